package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"

	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

// applyOutcome says what applyChild did.
type applyOutcome struct {
	applied bool
	created bool
	// exists is true when the child exists after the call (found or written).
	exists bool
	// drift is true when the child was changed or deleted by someone else.
	drift bool
	// object is the child as the API server returned it after the apply.
	object *unstructured.Unstructured
}

// applyChild server-side applies desired unless the child already holds every field of
// it, so an unchanged WebServer costs no write at all. observed is the cached child (nil
// when the cache has none); it is trusted only when it shows what this process last
// applied, otherwise (a cache that lags behind a write, a cache miss) the child is read
// live. existedBefore says whether an earlier reconcile created the child, so a missing
// one was deleted by someone else.
func (r *WebServerReconciler) applyChild(ctx context.Context, s *scope, desired childApplyConfiguration, observed client.Object,
	existedBefore bool) (applyOutcome, error) {
	kind, name := ptr.Deref(desired.GetKind(), ""), ptr.Deref(desired.GetName(), "")
	key := kind + "/" + name
	intent, err := intentOf(desired)
	if err != nil {
		return applyOutcome{}, err
	}
	if observed != nil && r.applied.unchanged(s.ws, key, intent, observed) {
		return applyOutcome{exists: true}, nil
	}
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

	if observed != nil && isTrimmed(observed) {
		fingerprint := observed.GetAnnotations()[annotationObservedFingerprint]
		if r.applied.confirmed(s.ws, key, hash, fingerprint) {
			r.applied.remember(s.ws, key, appliedRecord{hash: hash, fingerprint: fingerprint, intent: intent, resourceVersion: observed.GetResourceVersion()})
			return applyOutcome{exists: true}, nil
		}
		// Changed since this process last compared it, or never compared: read it whole.
		observed = nil
	}
	if observed != nil && !r.applied.matches(s.ws, key, observed.GetAnnotations()[AnnotationAppliedHash]) {
		observed = nil
	}
	var fingerprint string
	var observedMap map[string]any
	if observed != nil {
		if observedMap, err = toMap(observed); err != nil {
			return applyOutcome{}, err
		}
	} else {
		// Read live: the cache holds only labelled children (so an object of the user's
		// that has the name is never taken over) and may not have seen the last write yet.
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(u.GroupVersionKind())
		err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(u), live)
		switch {
		case apierrors.IsNotFound(err):
		case err != nil:
			return applyOutcome{}, fmt.Errorf("reading %s %s: %w", kind, name, err)
		case !metav1.IsControlledBy(live, s.ws):
			return applyOutcome{}, blocked(webserverv1alpha1.ReasonNameConflict,
				"%s %s exists and is not owned by this WebServer: rename or delete it", kind, name)
		default:
			// The same JSON round trip as desired, so numbers compare as numbers.
			if observedMap, err = toMap(live.Object); err != nil {
				return applyOutcome{}, err
			}
			if fingerprint, err = fingerprintOf(live); err != nil {
				return applyOutcome{}, err
			}
			observed = live
		}
	}

	outcome := applyOutcome{exists: observed != nil}
	if observed == nil {
		outcome.created = true
		outcome.drift = existedBefore
	} else {
		// Typed objects from the cache carry no apiVersion and kind; compare the rest.
		comparable := make(map[string]any, len(u.Object))
		for k, v := range u.Object {
			if k != "apiVersion" && k != "kind" {
				comparable[k] = v
			}
		}
		if isSubset(comparable, observedMap) {
			r.applied.remember(s.ws, key, appliedRecord{hash: hash, fingerprint: fingerprint, intent: intent, resourceVersion: observed.GetResourceVersion()})
			return outcome, nil
		}
		// Same intent as last applied, yet different fields: someone else changed it.
		outcome.drift = observed.GetAnnotations()[AnnotationAppliedHash] == hash
	}

	if outcome.drift {
		now := time.Now()
		if message, held := r.contests.held(s.ws, key, now, r.blockedRecheck()); held {
			return applyOutcome{}, blocked(webserverv1alpha1.ReasonChildContested, "%s", message)
		}
		r.contests.record(s.ws, key, now, func() string {
			return r.contestMessage(ctx, u.GroupVersionKind(), client.ObjectKeyFromObject(u), observed)
		})
	}
	logf.FromContext(ctx).Info("Applying child", "kind", kind, "name", name, "created", outcome.created, "drift", outcome.drift)
	if err := r.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return applyOutcome{}, childApplyError(kind, name, err)
	}
	// u now holds what the API server made of the apply.
	if fingerprint, err = fingerprintOf(u); err != nil {
		return applyOutcome{}, err
	}
	r.applied.remember(s.ws, key, appliedRecord{hash: hash, fingerprint: fingerprint, intent: intent, resourceVersion: u.GetResourceVersion()})
	outcome.applied, outcome.exists, outcome.object = true, true, u
	if outcome.drift {
		metrics.DriftRepairsTotal.WithLabelValues(s.ws.Namespace, s.ws.Name, kind).Inc()
		r.announce(s, nil, corev1.EventTypeNormal, "DriftRepaired", "Repair",
			"Restored %s %s, which was changed or deleted outside the operator", kind, name)
	}
	return outcome, nil
}
