package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

func TestSpecOrStatusChanged(t *testing.T) {
	base := func() *webserverv1alpha1.WebServer {
		ws := &webserverv1alpha1.WebServer{}
		ws.Generation = 1
		ws.Status.ReadyReplicas = 1
		return ws
	}
	now := metav1.Now()
	tests := []struct {
		name   string
		mutate func(*webserverv1alpha1.WebServer)
		want   bool
	}{
		{"finalizer added", func(ws *webserverv1alpha1.WebServer) { ws.Finalizers = []string{webserverv1alpha1.LegacyFinalizer} }, false},
		{"annotation added", func(ws *webserverv1alpha1.WebServer) { ws.Annotations = map[string]string{"a": "b"} }, false},
		{"spec changed", func(ws *webserverv1alpha1.WebServer) { ws.Generation = 2 }, true},
		{"status changed", func(ws *webserverv1alpha1.WebServer) { ws.Status.ReadyReplicas = 2 }, true},
		{"deletion started", func(ws *webserverv1alpha1.WebServer) { ws.DeletionTimestamp = &now }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			after := base()
			tt.mutate(after)
			if got := specOrStatusChanged.Update(event.UpdateEvent{ObjectOld: base(), ObjectNew: after}); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}
