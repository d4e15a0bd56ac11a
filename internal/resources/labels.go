// Package resources builds the desired child objects of a WebServer as server-side
// apply configurations. Builders are pure: no client calls, same input, same output.
package resources

import (
	"regexp"
	"strings"

	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Label keys and values shared by every child.
const (
	LabelName      = "app.kubernetes.io/name"
	LabelInstance  = "app.kubernetes.io/instance"
	LabelVersion   = "app.kubernetes.io/version"
	LabelManagedBy = "app.kubernetes.io/managed-by"
	LabelPartOf    = "app.kubernetes.io/part-of"

	AppName = "webserver"
	// ManagedBy marks every child; the operator's cache selects on it.
	ManagedBy = "webserver-operator"
)

// SelectorLabels select the pods of one WebServer; they never change, as a
// Deployment's selector is immutable.
func SelectorLabels(ws *webserverv1alpha1.WebServer) map[string]string {
	return map[string]string{
		LabelName:      AppName,
		LabelInstance:  ws.Name,
		LabelManagedBy: ManagedBy,
	}
}

// Labels are the app.kubernetes.io set of every child.
func Labels(ws *webserverv1alpha1.WebServer) map[string]string {
	labels := SelectorLabels(ws)
	labels[LabelPartOf] = ManagedBy
	return labels
}

// WorkloadLabels add the version of the image to Labels, for the Deployment and its
// pods only: objects that do not change with the image do not carry it, so an upgrade
// does not rewrite them.
func WorkloadLabels(ws *webserverv1alpha1.WebServer, image string) map[string]string {
	labels := Labels(ws)
	labels[LabelVersion] = VersionLabel(image)
	return labels
}

var invalidLabelChars = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// VersionLabel turns an image reference into a valid label value: its tag, the start of
// its digest, or "latest".
func VersionLabel(image string) string {
	version := "latest"
	if at := strings.LastIndex(image, "@"); at >= 0 {
		version = strings.TrimPrefix(image[at+1:], "sha256:")
		if len(version) > 12 {
			version = version[:12]
		}
	} else if colon := strings.LastIndex(image, ":"); colon > strings.LastIndex(image, "/") {
		version = image[colon+1:]
	}
	version = invalidLabelChars.ReplaceAllString(version, "-")
	if len(version) > 63 {
		version = version[:63]
	}
	return strings.Trim(version, "-_.")
}

// OwnerReference makes ws the controller of a child, so garbage collection removes the
// child with it and the operator's watches map child events back to it.
func OwnerReference(ws *webserverv1alpha1.WebServer) *metav1ac.OwnerReferenceApplyConfiguration {
	return metav1ac.OwnerReference().
		WithAPIVersion(webserverv1alpha1.GroupVersion.String()).
		WithKind("WebServer").
		WithName(ws.Name).
		WithUID(ws.UID).
		WithController(true).
		WithBlockOwnerDeletion(true)
}
