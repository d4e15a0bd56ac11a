package controller

import (
	"fmt"
	"regexp"
	"strconv"

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
	// metricsImage is the operator's image of the metrics container (monitoring.enabled).
	metricsImage string
	// config is the outcome of resolving and rendering the nginx config.
	config configResult
	// deployment is the Deployment as observed, then as applied; nil while absent.
	deployment *appsv1.Deployment
	// liveDeployment is the Deployment read live with its whole template (wholeDeployment).
	liveDeployment *appsv1.Deployment
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
	// contest is an active contest over a child with another writer; nil when none.
	contest *contest
	// revisions is what reconcileRevision decided; nil before it ran.
	revisions *revisionOutcome
	// tls is what the pass learned about the certificate; nil without spec.tls.
	tls *tlsObservation
	// announced are the reasons of the events this pass sent about the WebServer.
	announced map[string]bool
	// stale is set when the cached WebServer is older than the API server's: the pass ends
	// without writing anything, since its decisions could undo newer ones.
	stale bool
	// afterStatus are the actions of decisions that must not happen unless the status
	// recording them was written (events, metrics, deletions); run once it was.
	afterStatus []func()
}

// revisionOutcome is where the spec's revision stands and what the Deployment runs.
type revisionOutcome struct {
	// spec is the revision the spec asks for, entry its record in the history.
	spec  revision
	entry webserverv1alpha1.RevisionStatus
	// target is what the Deployment's pod template is to run; nil leaves the Deployment
	// as it is (or not created) while the spec's revision is being checked.
	target *revision
	// canary is true while the spec's revision runs on canary pods: target is then the
	// revision of the stable pods.
	canary bool
	// rollbackTo is the last good revision the pods return to after the spec's failed.
	rollbackTo *webserverv1alpha1.RevisionStatus
	// notReverted says why a failed revision was left in place.
	notReverted string
	// notices are the events and metrics of this pass's decisions, sent once they stand.
	notices []func()
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
	// secretHash identifies the snapshot of the spec's TLS and htpasswd Secrets ("" without
	// spec.tls and spec.auth); the pods mount resources.SecretSnapshotName(ws, secretHash).
	secretHash string
	// source names where the server block comes from; serverBlockFirstLine and
	// serverBlockLines place it in nginx.conf.
	source               string
	serverBlockFirstLine int
	serverBlockLines     int
}

// nginxConfLine finds "nginx.conf:<line>" in nginx's messages.
var nginxConfLine = regexp.MustCompile(`nginx\.conf:([0-9]+)`)

// explain adds to nginx's error line which line of the user's config it is about, when it
// is about one.
func (c configResult) explain(nginxError string) string {
	m := nginxConfLine.FindStringSubmatch(nginxError)
	if m == nil || c.serverBlockLines == 0 {
		return nginxError
	}
	line, _ := strconv.Atoi(m[1])
	if line < c.serverBlockFirstLine || line >= c.serverBlockFirstLine+c.serverBlockLines {
		return nginxError
	}
	return fmt.Sprintf("%s (line %d of %s)", nginxError, line-c.serverBlockFirstLine+1, c.source)
}

func newScope(ws *webserverv1alpha1.WebServer, defaultImage string) *scope {
	return &scope{
		ws:             ws,
		originalStatus: ws.Status.DeepCopy(),
		image:          ws.ImageOrDefault(defaultImage),
	}
}
