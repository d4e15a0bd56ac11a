package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

// A WebServer carries no finalizer: its children carry owner references and go by garbage
// collection, and what the operator keeps in memory (metric series, the applied-hash memo)
// is dropped when the WebServer is gone. So deleting a WebServer, its namespace or the CRD
// never waits for the operator, even when the operator is uninstalled first.

// forget drops the operator's records of a WebServer that no longer exists and, when it
// had any (it was reconciled by this process), says so in an event.
func (r *WebServerReconciler) forget(ctx context.Context, key types.NamespacedName) {
	applied := r.applied.forget(key)
	r.contests.forget(key)
	r.written.forget(key)
	r.canaryWindows.forget(key)
	if metrics.ForgetWebServer(key.Namespace, key.Name) == 0 && !applied {
		return
	}
	logf.FromContext(ctx).Info("Forgot deleted WebServer")
	gone := &webserverv1alpha1.WebServer{}
	gone.SetGroupVersionKind(webserverv1alpha1.GroupVersion.WithKind("WebServer"))
	gone.Namespace, gone.Name = key.Namespace, key.Name
	r.Recorder.Eventf(gone, nil, corev1.EventTypeNormal, "Deleted", "Delete",
		"WebServer %s deleted; its Deployment, Service, ServiceAccount and ConfigMaps go by garbage collection", key.Name)
}

// removeLegacyFinalizer removes the finalizer older operator versions added.
func (r *WebServerReconciler) removeLegacyFinalizer(ctx context.Context, ws *webserverv1alpha1.WebServer) error {
	logf.FromContext(ctx).Info("Removing the finalizer of an older operator version")
	patch := client.MergeFromWithOptions(ws.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(ws, webserverv1alpha1.LegacyFinalizer)
	if err := r.Patch(ctx, ws, patch); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("removing finalizer %s: %w", webserverv1alpha1.LegacyFinalizer, err))
	}
	return nil
}
