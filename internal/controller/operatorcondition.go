package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"

	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// OperatorConditionEnv names the environment variable in which OLM passes the name of the
// operator's OperatorCondition (it lives in the operator's namespace).
const OperatorConditionEnv = "OPERATOR_CONDITION_NAME"

// maxNamedRollouts bounds the WebServers the Upgradeable message names.
const maxNamedRollouts = 5

// OperatorConditionReconciler tells OLM, through the operator's OperatorCondition, to hold an
// upgrade of the operator while any WebServer rolls out (its own Upgradeable condition is
// False): a new operator version then never takes over in the middle of a rollout.
//
// operator-lib's conditions helper is not used because it writes on every call, while this
// must write only when the condition changes, and it finds its namespace only in a pod.
type OperatorConditionReconciler struct {
	// Client reads WebServers from the cache and patches the OperatorCondition.
	Client client.Client
	// APIReader reads the OperatorCondition live: OLM grants get, update and patch on that one
	// object by name, not list or watch.
	APIReader client.Reader
	// Key is the OperatorCondition OLM created for this operator.
	Key types.NamespacedName

	mu sync.Mutex
	// applied is the condition last found or written, so an unchanged fleet costs no request.
	applied *metav1.Condition
}

// Reconcile recomputes Upgradeable from every WebServer and writes it when it changed.
func (r *OperatorConditionReconciler) Reconcile(ctx context.Context, _ ctrl.Request) (ctrl.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()

	list := &webserverv1alpha1.WebServerList{}
	if err := r.Client.List(ctx, list); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing WebServers: %w", err)
	}
	want := upgradeableCondition(rollingOut(list.Items))
	if r.applied != nil && sameCondition(*r.applied, want) {
		return ctrl.Result{}, nil
	}

	oc := &operatorsv2.OperatorCondition{}
	if err := r.APIReader.Get(ctx, r.Key, oc); err != nil {
		return ctrl.Result{}, fmt.Errorf("reading OperatorCondition %s: %w", r.Key, err)
	}
	if current := meta.FindStatusCondition(oc.Spec.Conditions, operatorsv2.Upgradeable); current == nil || !sameCondition(*current, want) {
		logf.FromContext(ctx).Info("Setting the operator's Upgradeable condition", "status", want.Status, "message", want.Message)
		patch := client.MergeFromWithOptions(oc.DeepCopy(), client.MergeFromWithOptimisticLock{})
		meta.SetStatusCondition(&oc.Spec.Conditions, want)
		if err := r.Client.Patch(ctx, oc, patch); err != nil {
			return ctrl.Result{}, fmt.Errorf("patching OperatorCondition %s: %w", r.Key, err)
		}
	}
	r.applied = &want
	return ctrl.Result{}, nil
}

// rollingOut returns namespace/name of the WebServers whose Upgradeable condition is False.
func rollingOut(items []webserverv1alpha1.WebServer) []string {
	var names []string
	for i := range items {
		if meta.IsStatusConditionFalse(items[i].Status.Conditions, webserverv1alpha1.ConditionUpgradeable) {
			names = append(names, items[i].Namespace+"/"+items[i].Name)
		}
	}
	slices.Sort(names)
	return names
}

// upgradeableCondition is the operator's Upgradeable condition while the named WebServers
// roll out.
func upgradeableCondition(rollouts []string) metav1.Condition {
	if len(rollouts) == 0 {
		return metav1.Condition{
			Type: operatorsv2.Upgradeable, Status: metav1.ConditionTrue, Reason: webserverv1alpha1.ReasonAsExpected,
			Message: "no WebServer rollout is in progress",
		}
	}
	named := rollouts[:min(len(rollouts), maxNamedRollouts)]
	msg := fmt.Sprintf("%d WebServer rollout(s) in progress: %s", len(rollouts), strings.Join(named, ", "))
	if len(rollouts) > len(named) {
		msg += ", …"
	}
	return metav1.Condition{
		Type: operatorsv2.Upgradeable, Status: metav1.ConditionFalse, Reason: webserverv1alpha1.ReasonRolloutInProgress,
		Message: msg + "; the operator upgrade waits for them",
	}
}

func sameCondition(a, b metav1.Condition) bool {
	return a.Type == b.Type && a.Status == b.Status && a.Reason == b.Reason && a.Message == b.Message
}

// SetupWithManager runs the reconciler on every WebServer event; all of them map to the one
// OperatorCondition.
func (r *OperatorConditionReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("operatorcondition").
		Watches(&webserverv1alpha1.WebServer{}, handler.EnqueueRequestsFromMapFunc(
			func(context.Context, client.Object) []reconcile.Request {
				return []reconcile.Request{{NamespacedName: r.Key}}
			})).
		Complete(r)
}
