package controller

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// configMapRefIndex indexes WebServers by the names of the user's ConfigMaps they read.
const configMapRefIndex = ".spec.configMapRefs"

// webServersReferencing maps a ConfigMap event to the WebServers of its namespace that
// read that ConfigMap.
func (r *WebServerReconciler) webServersReferencing(ctx context.Context, cm client.Object) []reconcile.Request {
	list := &webserverv1alpha1.WebServerList{}
	if err := r.List(ctx, list, client.InNamespace(cm.GetNamespace()), client.MatchingFields{configMapRefIndex: cm.GetName()}); err != nil {
		logf.FromContext(ctx).Error(err, "Listing WebServers that reference a ConfigMap", "configMap", cm.GetName())
		return nil
	}
	requests := make([]reconcile.Request, 0, len(list.Items))
	for i := range list.Items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
	}
	return requests
}
