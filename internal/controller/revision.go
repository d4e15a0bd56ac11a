package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// maxRevisionHistory bounds status.revisions; the revisions the pods, the spec and a
// rollback need are always kept.
const maxRevisionHistory = 10

// revision is everything a pod template runs: the one notion behind validation, rollout
// and rollback. Two pod templates with equal revisions run the same site.
type revision struct {
	Image       string
	ConfigHash  string
	ContentHash string
	// SecretHash identifies the snapshot of the TLS certificate and htpasswd users.
	SecretHash  string
	RestartedAt string
}

// name identifies the revision: a short hash of what it runs.
func (r revision) name() string {
	h := sha256.New()
	parts := []string{r.Image, r.ConfigHash, r.ContentHash, r.RestartedAt}
	if r.SecretHash != "" {
		// Only when set: revisions without secrets keep the names they always had.
		parts = append(parts, r.SecretHash)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:10]
}

// checkedLike reports whether nginx -t gives both revisions the same verdict: they differ
// at most in restartedAt.
func (r revision) checkedLike(other revision) bool {
	return r.Image == other.Image && r.ConfigHash == other.ConfigHash && r.ContentHash == other.ContentHash &&
		r.SecretHash == other.SecretHash
}

// String names the revision and what it runs, for messages and events.
func (r revision) String() string {
	text := fmt.Sprintf("revision %s (image %s, config %s", r.name(), r.Image, r.ConfigHash)
	if r.ContentHash != "" {
		text += ", content " + r.ContentHash
	}
	if r.SecretHash != "" {
		text += ", secrets " + r.SecretHash
	}
	if r.RestartedAt != "" {
		text += ", restarted at " + r.RestartedAt
	}
	return text + ")"
}

// configMapName is the config ConfigMap the revision mounts.
func (r revision) configMapName(ws *webserverv1alpha1.WebServer) string {
	return resources.ConfigMapName(ws, r.ConfigHash)
}

// workloadInputs are the Deployment inputs that run this revision in the given format.
func (r revision) workloadInputs(ws *webserverv1alpha1.WebServer, format resources.TemplateFormat) resources.WorkloadInputs {
	return resources.WorkloadInputs{
		Image:           r.Image,
		ConfigMapName:   r.configMapName(ws),
		ContentHash:     r.ContentHash,
		SecretHash:      r.SecretHash,
		RestartedAt:     r.RestartedAt,
		ReplicasManaged: true,
		Format:          format,
		Revision:        r.name(),
	}
}

// deploymentRevision is the revision a Deployment's pod template runs.
func deploymentRevision(dep *appsv1.Deployment) (revision, bool) {
	if dep == nil {
		return revision{}, false
	}
	return revision{
		Image:       containerImage(dep),
		ConfigHash:  configHashOf(mountedConfigMap(dep)),
		ContentHash: contentHashOf(dep),
		SecretHash:  secretHashOf(dep),
		RestartedAt: dep.Spec.Template.Annotations[resources.AnnotationRestartedAt],
	}, true
}

func revisionOf(st webserverv1alpha1.RevisionStatus) revision {
	return revision{Image: st.Image, ConfigHash: st.ConfigHash, ContentHash: st.ContentHash, SecretHash: st.SecretHash, RestartedAt: st.RestartedAt}
}

// revisionHistory is status.revisions, newest first.
type revisionHistory []webserverv1alpha1.RevisionStatus

func (h revisionHistory) find(name string) *webserverv1alpha1.RevisionStatus {
	for i := range h {
		if h[i].Name == name {
			return &h[i]
		}
	}
	return nil
}

// passedCheck reports whether nginx -t already accepted a revision checked like rev.
func (h revisionHistory) passedCheck(rev revision) bool {
	for _, entry := range h {
		if revisionOf(entry).checkedLike(rev) &&
			(entry.Phase == webserverv1alpha1.RevisionValid || entry.Phase == webserverv1alpha1.RevisionGood ||
				(entry.Phase == webserverv1alpha1.RevisionFailed && entry.Reason != webserverv1alpha1.ReasonValidationFailed)) {
			return true
		}
	}
	return false
}

// record sets the phase of rev, adding it at the front when it is new. The transition
// time changes only with the phase, so recording the same facts again changes nothing.
func (h *revisionHistory) record(rev revision, phase webserverv1alpha1.RevisionPhase, reason, message string, now metav1.Time) {
	if entry := h.find(rev.name()); entry != nil {
		if entry.Phase != phase {
			entry.LastTransitionTime = now
		}
		entry.Phase, entry.Reason, entry.Message = phase, reason, message
		return
	}
	*h = slices.Insert(*h, 0, webserverv1alpha1.RevisionStatus{
		Name:               rev.name(),
		Image:              rev.Image,
		ConfigHash:         rev.ConfigHash,
		ContentHash:        rev.ContentHash,
		SecretHash:         rev.SecretHash,
		RestartedAt:        rev.RestartedAt,
		Phase:              phase,
		Reason:             reason,
		Message:            message,
		LastTransitionTime: now,
	})
}

// forgetUnchecked drops the revisions other than keep that still wait for nginx -t: the
// spec moved on before their check decided, so nothing checks them any more, the history
// must not show them as being checked, and their check pods are collected as orphans.
func (h *revisionHistory) forgetUnchecked(keep string) {
	*h = slices.DeleteFunc(*h, func(entry webserverv1alpha1.RevisionStatus) bool {
		return entry.Phase == webserverv1alpha1.RevisionValidating && entry.Name != keep
	})
}

// trim drops the oldest revisions beyond maxRevisionHistory, never one named in keep.
func (h *revisionHistory) trim(keep ...string) {
	for i := len(*h) - 1; i >= 0 && len(*h) > maxRevisionHistory; i-- {
		if !slices.Contains(keep, (*h)[i].Name) {
			*h = slices.Delete(*h, i, i+1)
		}
	}
}
