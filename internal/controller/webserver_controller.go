// Package controller holds the WebServer reconciler, split by concern: wiring and the
// Reconcile skeleton here, phases, status, upgrade and delete in their own files.
package controller

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	kerrors "k8s.io/apimachinery/pkg/util/errors"
	"k8s.io/client-go/tools/events"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

// FieldOwner is the one server-side apply field manager of every child.
const FieldOwner = "webserver-operator"

// StaleCacheRetry is when a pass that found the cached WebServer older than the API
// server's runs again; the newer version's watch event usually starts it sooner.
const StaleCacheRetry = time.Second

// WebServerReconciler turns WebServers into running nginx fleets.
type WebServerReconciler struct {
	client.Client
	// APIReader reads the user's ConfigMaps from the API server: the cache holds only
	// their metadata, so the operator does not keep every ConfigMap of the cluster.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// DefaultImage is the nginx image for WebServers that name none (RELATED_IMAGE_NGINX).
	DefaultImage string
	// MetricsImage runs the metrics container of monitored WebServers (RELATED_IMAGE_METRICS).
	MetricsImage string
	// MonitoringRecheck overrides MonitoringCRDRecheckInterval (tests).
	MonitoringRecheck time.Duration
	// monitoringSeen is set once the Prometheus Operator's CRDs were found.
	monitoringSeen atomic.Bool
	// OperatorVersion is written to status.reconciledBy.
	OperatorVersion string
	// MaxConcurrentReconciles is the number of WebServers reconciled in parallel.
	MaxConcurrentReconciles int
	// PodLogs reads the last lines a crashed container wrote, so status can quote nginx's
	// error; nil disables it.
	PodLogs PodLogReader
	// BlockedRecheck overrides BlockedRecheckInterval (tests shorten it).
	BlockedRecheck time.Duration
	// ContestWindow overrides contestWindow (tests shorten it).
	ContestWindow time.Duration
	// PodAddress says where a pod's port is reached for canary analyses; nil reaches the
	// pod's IP, as inside the cluster.
	PodAddress PodAddress

	// applied remembers what was last applied per child, to see through cache lag.
	applied appliedMemo
	// written remembers the version of each WebServer's last status write.
	written writtenVersions
	// contests remembers drift repairs per child, to stop a tug of war with another writer.
	contests contestTracker
	// canaryWindows are the open canary analysis windows.
	canaryWindows canaryWindows
	// configMaps remembers what the user's ConfigMaps gave, so they are read only on a change.
	configMaps *configMapMemo
	memoOnce   sync.Once
	// secrets remembers what the user's Secrets gave, so they are read only on a change.
	secrets        *secretMemo
	secretMemoOnce sync.Once
}

// Least privilege: children are written by server-side apply (create + patch) and removed
// by garbage collection; only unused config and content ConfigMaps and secret snapshots,
// finished config check pods, the canary Deployment, a PodDisruptionBudget, HorizontalPodAutoscaler or Ingress
// no longer needed and the ServiceAccount of format-1 pod templates are deleted by the
// operator.
// +kubebuilder:rbac:groups=webserver.dev,resources=webservers,verbs=get;list;watch;patch
// +kubebuilder:rbac:groups=webserver.dev,resources=webservers/status,verbs=get;patch
// +kubebuilder:rbac:groups=webserver.dev,resources=webservers/finalizers,verbs=update
// The canary Deployment is deleted once its canary was promoted or aborted.
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=services,verbs=get;list;watch;create;patch
// +kubebuilder:rbac:groups="",resources=serviceaccounts,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;patch;delete
// Secrets named in spec.tls and spec.auth are read; their immutable snapshots, which the
// pods mount, are created and, once unused, deleted.
// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;patch;delete
// A PodDisruptionBudget exists only while two or more pods are desired.
// +kubebuilder:rbac:groups=policy,resources=poddisruptionbudgets,verbs=get;list;watch;create;patch;delete
// A HorizontalPodAutoscaler exists only while spec.autoscaling is set.
// +kubebuilder:rbac:groups=autoscaling,resources=horizontalpodautoscalers,verbs=get;list;watch;create;patch;delete
// An Ingress exists only while spec.ingress is set.
// +kubebuilder:rbac:groups=networking.k8s.io,resources=ingresses,verbs=get;list;watch;create;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch
// Pods are read live, only while some do not become ready, to say why in status.
// +kubebuilder:rbac:groups="",resources=pods,verbs=list
// Config check pods run nginx -t on a new revision before any serving pod gets it.
// +kubebuilder:rbac:groups="",resources=pods,verbs=get;watch;create;delete
// +kubebuilder:rbac:groups="",resources=pods/log,verbs=get

// Reconcile brings one WebServer's children to the state its spec asks for and
// records what it observes in status, written once at the end.
func (r *WebServerReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	ws := &webserverv1alpha1.WebServer{}
	if err := r.Get(ctx, req.NamespacedName, ws); err != nil {
		if apierrors.IsNotFound(err) {
			r.forget(ctx, req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if controllerutil.ContainsFinalizer(ws, webserverv1alpha1.LegacyFinalizer) {
		if err := r.removeLegacyFinalizer(ctx, ws); err != nil {
			return ctrl.Result{}, err
		}
	}
	if !ws.DeletionTimestamp.IsZero() {
		// Garbage collection removes the children; the WebServer's records go when it is gone.
		return ctrl.Result{}, nil
	}

	s := newScope(ws, r.DefaultImage)
	s.metricsImage = r.MetricsImage
	defer func() {
		if s.stale {
			// The cache lags behind the operator's own writes: act once it caught up.
			result, retErr = ctrl.Result{RequeueAfter: StaleCacheRetry}, nil
			return
		}
		if s.contest = r.contests.active(ws, time.Now()); s.contest != nil && retErr == nil {
			// The condition clears once the contest's window passed without a repair.
			result = lowestRequeue(result, ctrl.Result{RequeueAfter: time.Until(s.contest.until) + time.Second})
		}
		r.recordBlocked(s)
		switch err := r.patchStatus(ctx, s, retErr); {
		case apierrors.IsConflict(err):
			result, retErr = ctrl.Result{RequeueAfter: StaleCacheRetry}, nil
		case err != nil:
			retErr = kerrors.NewAggregate([]error{retErr, err})
		default:
			for _, act := range s.afterStatus {
				act()
			}
			r.announceTransitions(s)
		}
	}()
	return r.reconcileNormal(ctx, s)
}

// reconcileNormal runs the phases in order; each one sees what the previous observed. A
// phase that is blocked (see blockedError) ends the pass: status says why, and the pass is
// tried again after BlockedRecheckInterval or when an input changes.
func (r *WebServerReconciler) reconcileNormal(ctx context.Context, s *scope) (ctrl.Result, error) {
	phases := []func(context.Context, *scope) (ctrl.Result, error){
		r.observeChildren,
		r.reconcileConfig,
		r.reconcileServiceAccount,
		r.diagnosePods,
		r.reconcileRevision,
		r.reconcileCanary,
		r.reconcileDeployment,
		r.reconcileService,
		r.reconcileIngress,
		r.reconcilePodDisruptionBudget,
		r.reconcileAutoscaler,
		r.reconcileMonitoring,
		r.reconcileUpgrade,
	}
	result := ctrl.Result{}
	for _, phase := range phases {
		phaseResult, err := phase(ctx, s)
		if s.stale {
			return ctrl.Result{}, nil
		}
		if b, ok := asBlocked(err); ok {
			s.blocked = b
			r.stopCanaryWhenBlocked(ctx, s)
			return lowestRequeue(result, ctrl.Result{RequeueAfter: r.blockedRecheck()}), nil
		}
		if err != nil {
			s.blocked = &blockedError{reason: webserverv1alpha1.ReasonReconcileFailed, message: err.Error()}
			return ctrl.Result{}, err
		}
		result = lowestRequeue(result, phaseResult)
	}
	return result, nil
}

func (r *WebServerReconciler) blockedRecheck() time.Duration {
	if r.BlockedRecheck > 0 {
		return r.BlockedRecheck
	}
	return BlockedRecheckInterval
}

func lowestRequeue(a, b ctrl.Result) ctrl.Result {
	if a.RequeueAfter == 0 || (b.RequeueAfter != 0 && b.RequeueAfter < a.RequeueAfter) {
		return b
	}
	return a
}

// SetupWithManager registers the controller: WebServers, the children it owns, and the
// user's ConfigMaps and Secrets it reads (metadata only, mapped back through field indexes).
func (r *WebServerReconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	metrics.WebServerStates.ReadFrom(mgr.GetCache())
	r.contests.window = r.ContestWindow
	if err := mgr.GetFieldIndexer().IndexField(ctx, &webserverv1alpha1.WebServer{}, configMapRefIndex,
		func(obj client.Object) []string {
			return obj.(*webserverv1alpha1.WebServer).ReferencedConfigMaps()
		}); err != nil {
		return fmt.Errorf("indexing WebServers by referenced ConfigMap: %w", err)
	}
	if err := mgr.GetFieldIndexer().IndexField(ctx, &webserverv1alpha1.WebServer{}, secretRefIndex,
		func(obj client.Object) []string {
			return obj.(*webserverv1alpha1.WebServer).ReferencedSecrets()
		}); err != nil {
		return fmt.Errorf("indexing WebServers by referenced Secret: %w", err)
	}
	for _, obj := range []client.Object{&corev1.Pod{}, metadataOnly("ConfigMap"), metadataOnly("Secret")} {
		if err := mgr.GetFieldIndexer().IndexField(ctx, obj, controllerIndex, controllingWebServer); err != nil {
			return fmt.Errorf("indexing %T by controlling WebServer: %w", obj, err)
		}
	}
	// Children map back to their WebServer through the controller reference read as is:
	// Owns would resolve its kind through the REST mapper on every event.
	enqueueController := handler.EnqueueRequestsFromMapFunc(func(_ context.Context, obj client.Object) []reconcile.Request {
		names := controllingWebServer(obj)
		if len(names) == 0 {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: obj.GetNamespace(), Name: names[0]}}}
	})
	return ctrl.NewControllerManagedBy(mgr).
		For(&webserverv1alpha1.WebServer{}, builder.WithPredicates(specOrStatusChanged)).
		Watches(&appsv1.Deployment{}, enqueueController).
		Watches(&corev1.Service{}, enqueueController).
		Watches(&corev1.ServiceAccount{}, enqueueController).
		Watches(&corev1.ConfigMap{}, enqueueController, builder.OnlyMetadata).
		Watches(&corev1.Secret{}, enqueueController, builder.OnlyMetadata).
		Watches(&corev1.Pod{}, enqueueController).
		Watches(&policyv1.PodDisruptionBudget{}, enqueueController).
		Watches(&autoscalingv2.HorizontalPodAutoscaler{}, enqueueController).
		Watches(&networkingv1.Ingress{}, enqueueController).
		Watches(&corev1.ConfigMap{}, handler.EnqueueRequestsFromMapFunc(r.webServersReferencing(configMapRefIndex)), builder.OnlyMetadata).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.webServersReferencing(secretRefIndex)), builder.OnlyMetadata).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: max(1, r.MaxConcurrentReconciles),
			// controller-runtime's priority queue can deadlock on shutdown, its workers stuck in
			// Done (kubernetes-sigs/controller-runtime#3538, fixed in v0.25): the manager then
			// outlives its grace period and its lease. The client-go work queue cannot.
			UsePriorityQueue: ptr.To(false),
		}).
		Named("webserver").
		Complete(r)
}
