package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

// reconcileDelete tears a WebServer down in order: its children go by garbage
// collection (owner references); what the operator keeps outside the cluster, its
// metric series, goes here, and only then the finalizer.
func (r *WebServerReconciler) reconcileDelete(ctx context.Context, s *scope) error {
	ws := s.ws
	if !controllerutil.ContainsFinalizer(ws, webserverv1alpha1.Finalizer) {
		return nil
	}
	logf.FromContext(ctx).Info("Tearing down WebServer")
	metrics.ForgetWebServer(ws.Namespace, ws.Name)
	r.Recorder.Eventf(ws, nil, corev1.EventTypeNormal, "Deleted", "Delete",
		"Removed the operator's records of %s; its Deployment, Service, ServiceAccount and ConfigMaps go by garbage collection", ws.Name)

	patch := client.MergeFromWithOptions(ws.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(ws, webserverv1alpha1.Finalizer)
	if err := r.Patch(ctx, ws, patch); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("removing finalizer: %w", err))
	}
	return nil
}
