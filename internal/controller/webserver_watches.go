package controller

import (
	"context"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Field indexes of WebServers by the names of the user's objects they read.
const (
	configMapRefIndex = ".spec.configMapRefs"
	secretRefIndex    = ".spec.secretRefs"
)

// controllerIndex indexes config check pods, config and content ConfigMaps and secret
// snapshots by the WebServer that controls them, so a pass lists its own in constant
// time instead of filtering every one of the namespace.
const controllerIndex = ".metadata.controller"

const webServerKind = "WebServer"

// controllingWebServer is the index function of controllerIndex.
func controllingWebServer(obj client.Object) []string {
	owner := metav1.GetControllerOfNoCopy(obj)
	if owner == nil || owner.Kind != webServerKind || !strings.HasPrefix(owner.APIVersion, webserverv1alpha1.GroupVersion.Group+"/") {
		return nil
	}
	return []string{owner.Name}
}

// webServersReferencing maps an event of a user's object to the WebServers of its
// namespace that read it, by the given field index.
func (r *WebServerReconciler) webServersReferencing(index string) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, obj client.Object) []reconcile.Request {
		list := &webserverv1alpha1.WebServerList{}
		if err := r.List(ctx, list, client.InNamespace(obj.GetNamespace()), client.MatchingFields{index: obj.GetName()}); err != nil {
			logf.FromContext(ctx).Error(err, "Listing WebServers that reference an object", "index", index, "name", obj.GetName())
			return nil
		}
		requests := make([]reconcile.Request, 0, len(list.Items))
		for i := range list.Items {
			requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
		return requests
	}
}

// specOrStatusChanged passes WebServer updates that change the spec (generation), start
// deletion, approve a canary, or change the status. Metadata-only updates, such as adding the finalizer,
// cost no pass. Status updates do: a pass that read a WebServer from a cache that had
// not yet seen the previous status write sees it then, and corrects a stale status.
var specOrStatusChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		before, okBefore := e.ObjectOld.(*webserverv1alpha1.WebServer)
		after, okAfter := e.ObjectNew.(*webserverv1alpha1.WebServer)
		if !okBefore || !okAfter {
			return true
		}
		return before.Generation != after.Generation ||
			!before.DeletionTimestamp.Equal(after.DeletionTimestamp) ||
			before.Annotations[webserverv1alpha1.AnnotationApproveCanary] != after.Annotations[webserverv1alpha1.AnnotationApproveCanary] ||
			!equality.Semantic.DeepEqual(before.Status, after.Status)
	},
}
