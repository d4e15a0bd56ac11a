package controller

import (
	appsv1 "k8s.io/api/apps/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// scope is what the phases of one reconcile share: the WebServer, its status as read,
// and what each phase observed or decided.
type scope struct {
	ws             *webserverv1alpha1.WebServer
	originalStatus *webserverv1alpha1.WebServerStatus

	// image is the nginx image to run.
	image string
	// config is the outcome of resolving and rendering the nginx config.
	config configResult
	// deployment is the Deployment as observed, then as applied; nil while absent.
	deployment *appsv1.Deployment
	// observed is true once the Deployment was read: conditions about pods are recomputed
	// only from an observation, never from a pass that failed before making one.
	observed bool
	// serviceExists says whether the Service exists; nil when the pass did not get to it.
	serviceExists *bool
	// templateFormat is the pod template format to build (chooseTemplateFormat).
	templateFormat resources.TemplateFormat
	// templateChanged is true when this reconcile moved the pods to a new template.
	templateChanged bool
	// pods are the pods that do not serve, and why; read only while some are not ready.
	pods []podProblem
	// blocked is what stopped the pass before it applied everything the spec asks for.
	blocked *blockedError
}

// configResult is the config the pods should use and whether it is the one the spec asks for.
type configResult struct {
	valid   bool
	reason  string
	message string
	// configMapName and hash identify the rendered config ConfigMap to mount.
	configMapName string
	hash          string
	// contentHash identifies the content ConfigMap's data ("" without content); the pods
	// mount its snapshot resources.ContentConfigMapName(ws, contentHash).
	contentHash string
}

func newScope(ws *webserverv1alpha1.WebServer, defaultImage string) *scope {
	return &scope{
		ws:             ws,
		originalStatus: ws.Status.DeepCopy(),
		image:          ws.ImageOrDefault(defaultImage),
	}
}
