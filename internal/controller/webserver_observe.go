package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// observeChildren reads the Deployment from the cache; later phases compare against it
// and status is computed from it.
func (r *WebServerReconciler) observeChildren(ctx context.Context, s *scope) (ctrl.Result, error) {
	dep := &appsv1.Deployment{}
	err := r.Get(ctx, client.ObjectKeyFromObject(s.ws), dep)
	switch {
	case apierrors.IsNotFound(err):
		s.deployment = nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading Deployment: %w", err)
	default:
		s.deployment = dep
	}
	s.observed = true
	return ctrl.Result{}, nil
}
