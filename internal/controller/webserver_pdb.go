package controller

import (
	"context"
	"fmt"

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
	observed := &policyv1.PodDisruptionBudget{}
	if err := r.getOptional(ctx, s.ws.Name, s.ws.Namespace, observed); err != nil {
		return ctrl.Result{}, err
	}
	desired := resources.PodDisruptionBudget(s.ws)
	if desired == nil {
		if observed.UID == "" || !metav1.IsControlledBy(observed, s.ws) {
			return ctrl.Result{}, nil
		}
		logf.FromContext(ctx).Info("Deleting the PodDisruptionBudget, which fewer than two pods do not need", "name", observed.Name)
		if err := r.Delete(ctx, observed, client.Preconditions{UID: &observed.UID}); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("deleting PodDisruptionBudget %s: %w", observed.Name, err)
		}
		return ctrl.Result{}, nil
	}
	// A missing budget is created without a drift report: older operator versions made none.
	_, err := r.applyChild(ctx, s, desired, nilIfAbsent(observed), false)
	return ctrl.Result{}, err
}
