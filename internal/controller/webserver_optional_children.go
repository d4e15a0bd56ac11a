package controller

import (
	"context"
	"fmt"

	autoscalingv2 "k8s.io/api/autoscaling/v2"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// reconcilePodDisruptionBudget keeps the WebServer's PodDisruptionBudget while two or more
// pods are desired and removes it otherwise, when a budget would only block node drains.
func (r *WebServerReconciler) reconcilePodDisruptionBudget(ctx context.Context, s *scope) (ctrl.Result, error) {
	desired := resources.PodDisruptionBudget(s.ws)
	return ctrl.Result{}, r.reconcileOptionalChild(ctx, s, &policyv1.PodDisruptionBudget{}, desired, desired != nil,
		"fewer than two pods do not need it")
}

// reconcileAutoscaler keeps the WebServer's HorizontalPodAutoscaler while spec.autoscaling
// is set and removes it otherwise. The HPA scales the WebServer, so nothing here touches
// replicas.
func (r *WebServerReconciler) reconcileAutoscaler(ctx context.Context, s *scope) (ctrl.Result, error) {
	desired := resources.HorizontalPodAutoscaler(s.ws)
	return ctrl.Result{}, r.reconcileOptionalChild(ctx, s, &autoscalingv2.HorizontalPodAutoscaler{}, desired, desired != nil,
		"spec.autoscaling is unset")
}

// reconcileIngress keeps the WebServer's Ingress while spec.ingress is set and removes it
// otherwise.
func (r *WebServerReconciler) reconcileIngress(ctx context.Context, s *scope) (ctrl.Result, error) {
	desired := resources.Ingress(s.ws)
	return ctrl.Result{}, r.reconcileOptionalChild(ctx, s, &networkingv1.Ingress{}, desired, desired != nil, "spec.ingress is unset")
}

// reconcileOptionalChild applies desired when wanted, and otherwise deletes the child of
// that kind the WebServer controls under its name (unneeded says why). A missing child is
// created without a drift report: older operator versions made none.
func (r *WebServerReconciler) reconcileOptionalChild(ctx context.Context, s *scope, observed client.Object,
	desired childApplyConfiguration, wanted bool, unneeded string) error {
	if err := r.getOptional(ctx, s.ws.Name, s.ws.Namespace, observed); err != nil {
		return err
	}
	if wanted {
		_, err := r.applyChild(ctx, s, desired, nilIfAbsent(observed), false)
		return err
	}
	if observed.GetUID() == "" || !metav1.IsControlledBy(observed, s.ws) {
		return nil
	}
	kind := fmt.Sprintf("%T", observed)
	logf.FromContext(ctx).Info("Deleting a child no longer needed", "kind", kind, "name", observed.GetName(), "because", unneeded)
	uid := observed.GetUID()
	if err := r.Delete(ctx, observed, client.Preconditions{UID: &uid}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting %s %s: %w", kind, observed.GetName(), err)
	}
	return nil
}
