package controller

import (
	"context"
	"encoding/json"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// createOnce creates a child that is written once and never changed: a ConfigMap or Secret
// snapshot named by its content, a config check pod. Nothing is ever merged into it, so a
// create does what a server-side apply would, at less cost to the API server (no read of
// the absent object, no merge). desired is its apply configuration, obj the typed object
// to create it as. One that exists already is this WebServer's (the cache had not seen it
// yet) or someone else's, which is never taken over.
func (r *WebServerReconciler) createOnce(ctx context.Context, ws *webserverv1alpha1.WebServer, desired any, obj client.Object) error {
	raw, err := json.Marshal(desired)
	if err != nil {
		return fmt.Errorf("encoding %T: %w", desired, err)
	}
	if err := json.Unmarshal(raw, obj); err != nil {
		return fmt.Errorf("decoding %T: %w", obj, err)
	}
	gvk, name := obj.GetObjectKind().GroupVersionKind(), obj.GetName()
	err = r.Create(ctx, obj, client.FieldOwner(FieldOwner))
	switch {
	case err == nil:
		return nil
	case !apierrors.IsAlreadyExists(err):
		return childApplyError(gvk.Kind, name, err)
	}
	existing := &metav1.PartialObjectMetadata{}
	existing.SetGroupVersionKind(gvk)
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(obj), existing); err != nil {
		return fmt.Errorf("reading %s %s: %w", gvk.Kind, name, err)
	}
	if !metav1.IsControlledBy(existing, ws) {
		return blocked(webserverv1alpha1.ReasonNameConflict, "%s %s exists and is not owned by this WebServer: rename or delete it", gvk.Kind, name)
	}
	return nil
}
