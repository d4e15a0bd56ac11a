package controller

import (
	"context"
	"fmt"
	"sync"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/yaml"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// Keys of the guardrails ConfigMap: a ResourceQuotaSpec and a LimitRangeSpec, as YAML.
const (
	GuardrailsResourceQuotaKey = "resourceQuota"
	GuardrailsLimitRangeKey    = "limitRange"
	// DefaultGuardrailsConfigMap is the name of the ConfigMap, in the operator's namespace,
	// through which a cluster admin configures the guardrails.
	DefaultGuardrailsConfigMap = "webserver-operator-guardrails"
)

// +kubebuilder:rbac:groups="",resources=resourcequotas;limitranges,verbs=get;list;watch;create;patch;delete

// GuardrailsReconciler keeps, in every namespace that holds WebServers, the ResourceQuota
// and LimitRange a cluster admin configured for the operator (not per WebServer) in one
// ConfigMap of the operator's namespace: a shape every install path can set, OLM's
// included (create the ConfigMap next to the Subscription). Drift is repaired; both go
// when the namespace's last WebServer does, or when the ConfigMap drops them. Requests are
// namespaces.
type GuardrailsReconciler struct {
	Client client.Client
	// APIReader reads the guardrails ConfigMap when its resourceVersion changed: the cache
	// holds ConfigMaps' metadata only.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// Config is the guardrails ConfigMap.
	Config types.NamespacedName

	mu sync.Mutex
	// parsed is the ConfigMap's content at resourceVersion.
	parsed *guardrailsConfig
}

// guardrailsConfig is what the ConfigMap asks for; nil specs are not wanted.
type guardrailsConfig struct {
	resourceVersion string
	quota           *corev1.ResourceQuotaSpec
	limitRange      *corev1.LimitRangeSpec
	// problem says why the ConfigMap cannot be used; the guardrails then stay as they are.
	problem string
}

// Reconcile brings one namespace's guardrails to what the ConfigMap and its WebServers ask.
func (r *GuardrailsReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	namespace := req.Name
	config, err := r.config(ctx)
	if err != nil {
		return ctrl.Result{}, err
	}
	if config.problem != "" {
		// Reported once per version of the ConfigMap (see config); nothing is changed on a
		// configuration the admin has to fix.
		return ctrl.Result{}, nil
	}
	holds, err := r.holdsWebServers(ctx, namespace)
	if err != nil {
		return ctrl.Result{}, err
	}
	var quota *corev1.ResourceQuotaSpec
	var limitRange *corev1.LimitRangeSpec
	if holds {
		quota, limitRange = config.quota, config.limitRange
	}

	observedQuota := &corev1.ResourceQuota{}
	if err := r.observe(ctx, namespace, observedQuota); err != nil {
		return ctrl.Result{}, err
	}
	switch {
	case quota == nil:
		err = r.remove(ctx, observedQuota)
	case observedQuota.UID == "" || !equality.Semantic.DeepEqual(observedQuota.Spec, *quota):
		logf.FromContext(ctx).Info("Applying the guardrails ResourceQuota", "namespace", namespace)
		err = r.Client.Apply(ctx, resources.NamespaceResourceQuota(namespace, quota), client.FieldOwner(FieldOwner), client.ForceOwnership)
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("guardrails ResourceQuota in %s: %w", namespace, err)
	}

	observedLimits := &corev1.LimitRange{}
	if err := r.observe(ctx, namespace, observedLimits); err != nil {
		return ctrl.Result{}, err
	}
	switch {
	case limitRange == nil:
		err = r.remove(ctx, observedLimits)
	case observedLimits.UID == "" || !equality.Semantic.DeepEqual(observedLimits.Spec, *limitRange):
		logf.FromContext(ctx).Info("Applying the guardrails LimitRange", "namespace", namespace)
		err = r.Client.Apply(ctx, resources.NamespaceLimitRange(namespace, limitRange), client.FieldOwner(FieldOwner), client.ForceOwnership)
	}
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("guardrails LimitRange in %s: %w", namespace, err)
	}
	return ctrl.Result{}, nil
}

// holdsWebServers reports whether namespace has a WebServer that is not being deleted.
func (r *GuardrailsReconciler) holdsWebServers(ctx context.Context, namespace string) (bool, error) {
	list := &webserverv1alpha1.WebServerList{}
	if err := r.Client.List(ctx, list, client.InNamespace(namespace)); err != nil {
		return false, fmt.Errorf("listing WebServers: %w", err)
	}
	for i := range list.Items {
		if list.Items[i].DeletionTimestamp.IsZero() {
			return true, nil
		}
	}
	return false, nil
}

// observe reads the namespace's guardrails object from the cache, leaving obj empty when
// it does not exist.
func (r *GuardrailsReconciler) observe(ctx context.Context, namespace string, obj client.Object) error {
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: namespace, Name: resources.GuardrailsName}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading %T: %w", obj, err)
	}
	return nil
}

// remove deletes a guardrails object the operator made; a foreign one of that name stays.
func (r *GuardrailsReconciler) remove(ctx context.Context, obj client.Object) error {
	if obj.GetUID() == "" || obj.GetLabels()[resources.LabelName] != resources.GuardrailsAppName {
		return nil
	}
	logf.FromContext(ctx).Info("Deleting a guardrails object no longer asked for", "kind", fmt.Sprintf("%T", obj), "namespace", obj.GetNamespace())
	uid := obj.GetUID()
	if err := r.Client.Delete(ctx, obj, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// config returns what the guardrails ConfigMap asks for, reading it only when its
// resourceVersion (from the metadata cache) changed. A ConfigMap that cannot be used gets
// a Warning event, once per version.
func (r *GuardrailsReconciler) config(ctx context.Context) (*guardrailsConfig, error) {
	meta, err := cachedMetadata(ctx, r.Client, "ConfigMap", r.Config)
	if err != nil || meta == nil {
		return &guardrailsConfig{}, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.parsed != nil && r.parsed.resourceVersion == meta.ResourceVersion {
		return r.parsed, nil
	}
	cm := &corev1.ConfigMap{}
	if err := r.APIReader.Get(ctx, r.Config, cm); apierrors.IsNotFound(err) {
		return &guardrailsConfig{}, nil
	} else if err != nil {
		return nil, fmt.Errorf("reading the guardrails ConfigMap: %w", err)
	}
	parsed := parseGuardrails(cm)
	if parsed.problem != "" {
		r.Recorder.Eventf(cm, nil, corev1.EventTypeWarning, "GuardrailsInvalid", "Configure",
			"%s; the guardrails of every namespace stay as they are until it is fixed", parsed.problem)
	}
	r.parsed = parsed
	return parsed, nil
}

// parseGuardrails reads the two specs of the ConfigMap, strictly: a misspelt field is a
// problem, not silently dropped.
func parseGuardrails(cm *corev1.ConfigMap) *guardrailsConfig {
	out := &guardrailsConfig{resourceVersion: cm.ResourceVersion}
	if text, ok := cm.Data[GuardrailsResourceQuotaKey]; ok {
		spec := &corev1.ResourceQuotaSpec{}
		if err := yaml.UnmarshalStrict([]byte(text), spec); err != nil {
			out.problem = fmt.Sprintf("key %s of ConfigMap %s is not a ResourceQuota spec: %v", GuardrailsResourceQuotaKey, cm.Name, err)
			return out
		}
		if len(spec.Hard) == 0 {
			out.problem = fmt.Sprintf("key %s of ConfigMap %s sets no hard limits", GuardrailsResourceQuotaKey, cm.Name)
			return out
		}
		out.quota = spec
	}
	if text, ok := cm.Data[GuardrailsLimitRangeKey]; ok {
		spec := &corev1.LimitRangeSpec{}
		if err := yaml.UnmarshalStrict([]byte(text), spec); err != nil {
			out.problem = fmt.Sprintf("key %s of ConfigMap %s is not a LimitRange spec: %v", GuardrailsLimitRangeKey, cm.Name, err)
			return out
		}
		if len(spec.Limits) == 0 {
			out.problem = fmt.Sprintf("key %s of ConfigMap %s sets no limits", GuardrailsLimitRangeKey, cm.Name)
			return out
		}
		out.limitRange = spec
	}
	return out
}

// SetupWithManager watches WebServers (their namespace), the guardrails objects (drift) and
// the guardrails ConfigMap (every namespace with WebServers or guardrails).
func (r *GuardrailsReconciler) SetupWithManager(mgr ctrl.Manager) error {
	byNamespace := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []reconcile.Request {
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Name: obj.GetNamespace()}}}
	})
	isConfig := predicate.NewPredicateFuncs(func(obj client.Object) bool {
		return obj.GetNamespace() == r.Config.Namespace && obj.GetName() == r.Config.Name
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("guardrails").
		Watches(&webserverv1alpha1.WebServer{}, byNamespace, builder.WithPredicates(createdOrDeleting)).
		Watches(&corev1.ResourceQuota{}, byNamespace).
		Watches(&corev1.LimitRange{}, byNamespace).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.everyNamespace), builder.OnlyMetadata, builder.WithPredicates(isConfig)).
		Complete(r)
}

// createdOrDeleting passes what changes whether a namespace holds WebServers.
var createdOrDeleting = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		return !e.ObjectOld.GetDeletionTimestamp().Equal(e.ObjectNew.GetDeletionTimestamp())
	},
}

// everyNamespace lists the namespaces that hold WebServers or guardrails.
func (r *GuardrailsReconciler) everyNamespace(ctx context.Context, _ client.Object) []reconcile.Request {
	seen := map[string]bool{}
	webServers := &webserverv1alpha1.WebServerList{}
	if err := r.Client.List(ctx, webServers); err != nil {
		logf.FromContext(ctx).Error(err, "Listing WebServers for the guardrails")
	}
	for i := range webServers.Items {
		seen[webServers.Items[i].Namespace] = true
	}
	quotas := &corev1.ResourceQuotaList{}
	if err := r.Client.List(ctx, quotas, client.MatchingLabels(resources.GuardrailsLabels())); err != nil {
		logf.FromContext(ctx).Error(err, "Listing guardrails ResourceQuotas")
	}
	for i := range quotas.Items {
		seen[quotas.Items[i].Namespace] = true
	}
	limits := &corev1.LimitRangeList{}
	if err := r.Client.List(ctx, limits, client.MatchingLabels(resources.GuardrailsLabels())); err != nil {
		logf.FromContext(ctx).Error(err, "Listing guardrails LimitRanges")
	}
	for i := range limits.Items {
		seen[limits.Items[i].Namespace] = true
	}
	requests := make([]reconcile.Request, 0, len(seen))
	for ns := range seen {
		requests = append(requests, reconcile.Request{NamespacedName: types.NamespacedName{Name: ns}})
	}
	return requests
}
