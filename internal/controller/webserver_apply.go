package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

// applyOutcome says what applyChild did.
type applyOutcome struct {
	applied bool
	created bool
	// drift is true when the child was changed or deleted by someone else.
	drift bool
	// object is the child as the API server returned it after the apply.
	object *unstructured.Unstructured
}

// applyChild server-side applies desired unless observed (nil when absent) already holds
// every field of it, so an unchanged WebServer costs no write at all.
func (r *WebServerReconciler) applyChild(ctx context.Context, s *scope, desired runtime.ApplyConfiguration, observed client.Object) (applyOutcome, error) {
	desiredMap, err := toMap(desired)
	if err != nil {
		return applyOutcome{}, err
	}
	hash, err := hashOf(desiredMap)
	if err != nil {
		return applyOutcome{}, err
	}
	u := &unstructured.Unstructured{Object: desiredMap}
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationAppliedHash] = hash
	u.SetAnnotations(annotations)
	kind := u.GetKind()

	var outcome applyOutcome
	if observed == nil {
		outcome.created = true
		// Children exist from the first successful reconcile on; one missing later was deleted.
		outcome.drift = s.originalStatus.ObservedGeneration != 0
	} else {
		observedMap, err := toMap(observed)
		if err != nil {
			return applyOutcome{}, err
		}
		// Typed objects from the cache carry no apiVersion and kind; compare the rest.
		comparable := make(map[string]any, len(u.Object))
		for k, v := range u.Object {
			if k != "apiVersion" && k != "kind" {
				comparable[k] = v
			}
		}
		if isSubset(comparable, observedMap) {
			return applyOutcome{}, nil
		}
		// Same intent as last applied, yet different fields: someone else changed it.
		outcome.drift = observed.GetAnnotations()[AnnotationAppliedHash] == hash
	}

	logf.FromContext(ctx).Info("Applying child", "kind", kind, "name", u.GetName(), "created", outcome.created, "drift", outcome.drift)
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return applyOutcome{}, fmt.Errorf("applying %s %s: %w", kind, u.GetName(), err)
	}
	outcome.applied = true
	outcome.object = u
	if outcome.drift {
		metrics.DriftRepairsTotal.WithLabelValues(s.ws.Namespace, s.ws.Name, kind).Inc()
		r.Recorder.Eventf(s.ws, nil, "Normal", "DriftRepaired", "Repair",
			"Restored %s %s, which was changed or deleted outside the operator", kind, u.GetName())
	}
	return outcome, nil
}
