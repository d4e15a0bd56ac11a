package controller

import (
	"context"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// reconcileAutoscaler keeps the WebServer's HorizontalPodAutoscaler while spec.autoscaling
// is set and removes it otherwise. The HPA scales the WebServer, so nothing here touches
// replicas.
func (r *WebServerReconciler) reconcileAutoscaler(ctx context.Context, s *scope) (ctrl.Result, error) {
	observed := &autoscalingv2.HorizontalPodAutoscaler{}
	if err := r.getOptional(ctx, s.ws.Name, s.ws.Namespace, observed); err != nil {
		return ctrl.Result{}, err
	}
	desired := resources.HorizontalPodAutoscaler(s.ws)
	if desired == nil {
		if observed.UID == "" || !metav1.IsControlledBy(observed, s.ws) {
			return ctrl.Result{}, nil
		}
		logf.FromContext(ctx).Info("Deleting the HorizontalPodAutoscaler, as spec.autoscaling is unset", "name", observed.Name)
		if err := r.Delete(ctx, observed, client.Preconditions{UID: &observed.UID}); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("deleting HorizontalPodAutoscaler %s: %w", observed.Name, err)
		}
		return ctrl.Result{}, nil
	}
	_, err := r.applyChild(ctx, s, desired, nilIfAbsent(observed), false)
	return ctrl.Result{}, err
}
