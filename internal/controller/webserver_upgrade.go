package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// rolloutState is where the Deployment's rollout stands.
type rolloutState string

const (
	rolloutAbsent      rolloutState = "Absent"
	rolloutProgressing rolloutState = "Progressing"
	rolloutComplete    rolloutState = "Complete"
	rolloutStalled     rolloutState = "Stalled"
	rolloutPaused      rolloutState = "Paused"
)

// deploymentCompleteReason is the reason the Deployment controller gives its Progressing
// condition once every pod of a rollout was available; it keeps it when pods fail later.
const deploymentCompleteReason = "NewReplicaSetAvailable"

// observeRollout reads the rollout state from the Deployment as the Deployment
// controller reports it; a template changed in this very reconcile has not started yet.
// A rollout that completed stays complete when pods fail afterwards: that is a degraded
// web server, not one whose pods are moving.
func observeRollout(dep *appsv1.Deployment, templateChanged bool) rolloutState {
	if dep == nil {
		return rolloutAbsent
	}
	if dep.Spec.Paused && !templateChanged {
		return rolloutPaused
	}
	if templateChanged || dep.Generation > dep.Status.ObservedGeneration {
		// The status, its conditions included, still describes an older template.
		return rolloutProgressing
	}
	completedOnce := false
	for _, c := range dep.Status.Conditions {
		if c.Type != appsv1.DeploymentProgressing {
			continue
		}
		if c.Status == corev1.ConditionFalse && c.Reason == "ProgressDeadlineExceeded" {
			return rolloutStalled
		}
		completedOnce = c.Status == corev1.ConditionTrue && c.Reason == deploymentCompleteReason
	}
	want := replicasOf(dep)
	st := dep.Status
	switch {
	case st.UpdatedReplicas < want || st.Replicas > st.UpdatedReplicas:
		return rolloutProgressing
	case st.AvailableReplicas < st.UpdatedReplicas && !completedOnce:
		return rolloutProgressing
	default:
		return rolloutComplete
	}
}

// reconcileUpgrade follows the rollout: it reports its end (events, metrics) and, once
// the pods settled, deletes ConfigMaps that neither they, the spec nor a rollback need.
// Failures and rollbacks are decided and reported by reconcileRevision.
func (r *WebServerReconciler) reconcileUpgrade(ctx context.Context, s *scope) (ctrl.Result, error) {
	ws := s.ws
	if observeRollout(s.deployment, s.templateChanged) != rolloutComplete {
		return ctrl.Result{}, nil
	}
	previous := meta.FindStatusCondition(s.originalStatus.Conditions, webserverv1alpha1.ConditionProgressing)
	switch {
	case previous != nil && previous.Reason == webserverv1alpha1.ReasonUpgrading:
		metrics.UpgradesTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.UpgradeCompleted).Inc()
		r.announce(s, s.deployment, corev1.EventTypeNormal, "UpgradeCompleted", "Upgrade",
			"Every pod runs %s", templateInputs(s.deployment))
	case previous != nil && previous.Reason == webserverv1alpha1.ReasonRollingBack && s.revisions != nil && s.revisions.rollbackTo != nil:
		failedFor := time.Since(s.revisions.entry.LastTransitionTime.Time).Round(time.Second)
		r.announce(s, s.deployment, corev1.EventTypeNormal, "RollbackCompleted", "Rollback",
			"Every pod runs %s again, %s after %s failed", revisionOf(*s.revisions.rollbackTo), failedFor, s.revisions.spec)
	}
	return ctrl.Result{}, r.collectUnused(ctx, s)
}

// collectUnused deletes what neither the pods nor a rollback need any more: config and
// content ConfigMaps and secret snapshots the Deployment does not mount, and the format-1 ServiceAccount once
// the pods run as the current one. It runs only once the rollout completed: what is
// mounted is then also the last good revision, the target of any later rollback, and no
// pod needs an older one. The decision is made from the cache; before deleting anything,
// the Deployment is read from the API server, so a cache that lags behind a newer
// rollout cannot make it delete what new pods mount.
func (r *WebServerReconciler) collectUnused(ctx context.Context, s *scope) error {
	configMaps, err := r.ownedSnapshots(ctx, s.ws, "ConfigMapList")
	if err != nil {
		return err
	}
	secrets, err := r.ownedSnapshots(ctx, s.ws, "SecretList")
	if err != nil {
		return err
	}
	unusedConfigMaps := collectableSnapshots(s.ws, keptConfigMaps(s), configMaps, s.deployment)
	unusedSecrets := collectableSnapshots(s.ws, keptSecrets(s), secrets, s.deployment)
	formerSA, err := r.formerServiceAccount(ctx, s)
	if err != nil {
		return err
	}
	if len(unusedConfigMaps) == 0 && len(unusedSecrets) == 0 && formerSA == nil {
		return nil
	}

	live := &appsv1.Deployment{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(s.ws), live); apierrors.IsNotFound(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading Deployment: %w", err)
	}
	log := logf.FromContext(ctx)
	for kind, unused := range map[string][]metav1.PartialObjectMetadata{"ConfigMap": unusedConfigMaps, "Secret": unusedSecrets} {
		for _, obj := range snapshotsToDelete(s.ws, unused, s.deployment, live) {
			log.Info("Deleting unused snapshot", "kind", kind, "name", obj.Name)
			obj.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(kind))
			if err := r.Delete(ctx, &obj, client.Preconditions{UID: &obj.UID}); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("deleting %s %s: %w", kind, obj.Name, err)
			}
		}
	}
	if formerSA != nil && formerServiceAccountUnused(formerSA.Name, s.deployment, live) {
		log.Info("Deleting the ServiceAccount of the format-1 pod template", "name", formerSA.Name)
		if err := r.Delete(ctx, formerSA, client.Preconditions{UID: &formerSA.UID}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting ServiceAccount %s: %w", formerSA.Name, err)
		}
	}
	return nil
}

// ownedSnapshots lists the metadata of the WebServer's ConfigMaps or Secrets (listKind)
// from the cache.
func (r *WebServerReconciler) ownedSnapshots(ctx context.Context, ws *webserverv1alpha1.WebServer, listKind string) ([]metav1.PartialObjectMetadata, error) {
	list := &metav1.PartialObjectMetadataList{}
	list.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(listKind))
	if err := r.List(ctx, list, client.InNamespace(ws.Namespace), client.MatchingFields{controllerIndex: ws.Name},
		client.MatchingLabels(resources.SelectorLabels(ws))); err != nil {
		return nil, fmt.Errorf("listing %s: %w", listKind, err)
	}
	return list.Items, nil
}

// formerServiceAccount is the ServiceAccount format-1 pod templates ran as (named like the
// WebServer), when this WebServer controls it and the cached Deployment no longer needs it.
func (r *WebServerReconciler) formerServiceAccount(ctx context.Context, s *scope) (*corev1.ServiceAccount, error) {
	name := resources.ServiceAccountNameFor(s.ws, resources.TemplateFormat1)
	if !formerServiceAccountUnused(name, s.deployment, nil) {
		return nil, nil
	}
	sa := &corev1.ServiceAccount{}
	if err := r.getOptional(ctx, name, s.ws.Namespace, sa); err != nil {
		return nil, err
	}
	if sa.UID == "" || !metav1.IsControlledBy(sa, s.ws) {
		return nil, nil
	}
	return sa, nil
}

// formerServiceAccountUnused reports whether no given Deployment (nil ones are skipped)
// still has a format-1 template or runs its pods as name; a live Deployment must also
// have completed its rollout, so no pod of an older template is left.
func formerServiceAccountUnused(name string, cached, live *appsv1.Deployment) bool {
	for _, dep := range []*appsv1.Deployment{cached, live} {
		if dep != nil && (observedTemplateFormat(dep) == resources.TemplateFormat1 || dep.Spec.Template.Spec.ServiceAccountName == name) {
			return false
		}
	}
	return live == nil || observeRollout(live, false) == rolloutComplete
}

// snapshotsToDelete narrows the ConfigMaps unused by the cached Deployment to those the
// live one does not mount either. Nothing is deleted while the live Deployment is rolling
// out (its pods may still mount what neither template names) or when it is absent.
func snapshotsToDelete(ws *webserverv1alpha1.WebServer, unused []metav1.PartialObjectMetadata,
	cached, live *appsv1.Deployment) []metav1.PartialObjectMetadata {
	if live == nil || observeRollout(live, false) != rolloutComplete {
		return nil
	}
	return collectableSnapshots(ws, nil, unused, cached, live)
}

// keptConfigMaps are the ConfigMaps of the spec's revision: after a rollback the pods do
// not mount them, but the spec still names them, and collecting them would make the next
// pass create them again.
func keptConfigMaps(s *scope) []string {
	if !s.config.valid {
		return nil
	}
	kept := []string{s.config.configMapName}
	if s.ws.Spec.Content != nil {
		kept = append(kept, resources.ContentConfigMapName(s.ws, s.config.contentHash))
	}
	return kept
}

// keptSecrets is the secret snapshot of the spec's revision (see keptConfigMaps).
func keptSecrets(s *scope) []string {
	if !s.config.valid || s.config.secretHash == "" {
		return nil
	}
	return []string{resources.SecretSnapshotName(s.ws, s.config.secretHash)}
}

// collectableSnapshots are the ConfigMaps or Secrets of owned that ws controls, that are
// not kept and that no given Deployment's pod template mounts.
func collectableSnapshots(ws *webserverv1alpha1.WebServer, kept []string, owned []metav1.PartialObjectMetadata,
	deps ...*appsv1.Deployment) []metav1.PartialObjectMetadata {
	out := make([]metav1.PartialObjectMetadata, 0, len(owned))
	for _, cm := range owned {
		if !metav1.IsControlledBy(&cm, ws) || slices.Contains(kept, cm.Name) || mountedBy(cm.Name, deps...) {
			continue
		}
		out = append(out, cm)
	}
	return out
}

func mountedBy(name string, deps ...*appsv1.Deployment) bool {
	for _, dep := range deps {
		if dep == nil {
			continue
		}
		for _, v := range dep.Spec.Template.Spec.Volumes {
			if (v.ConfigMap != nil && v.ConfigMap.Name == name) || (v.Secret != nil && v.Secret.SecretName == name) {
				return true
			}
		}
	}
	return false
}

// templateInputs summarises what a pod template runs: image and config.
func templateInputs(dep *appsv1.Deployment) string {
	summary := fmt.Sprintf("image %s, config %s", containerImage(dep), configHashOf(mountedConfigMap(dep)))
	if h := contentHashOf(dep); h != "" {
		summary += ", content " + h
	}
	if h := secretHashOf(dep); h != "" {
		summary += ", secrets " + h
	}
	if at := dep.Spec.Template.Annotations[resources.AnnotationRestartedAt]; at != "" {
		summary += ", restarted at " + at
	}
	return summary
}

func replicasOf(dep *appsv1.Deployment) int32 {
	if dep.Spec.Replicas == nil {
		return 1
	}
	return *dep.Spec.Replicas
}

func containerImage(dep *appsv1.Deployment) string {
	for _, c := range dep.Spec.Template.Spec.Containers {
		if c.Name == resources.ContainerName {
			return c.Image
		}
	}
	return ""
}

// mountedConfigMap is the config ConfigMap the Deployment's pods mount.
func mountedConfigMap(dep *appsv1.Deployment) string {
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == resources.ConfigVolume && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	return ""
}

// contentHashOf identifies the content the pods serve: the hash annotation of a format-1
// template, the hash part of the mounted snapshot's name (<name>-content-<hash>) otherwise.
func contentHashOf(dep *appsv1.Deployment) string {
	if h := dep.Spec.Template.Annotations[resources.AnnotationContentHash]; h != "" {
		return h
	}
	// The Deployment is named like its WebServer, and so are its snapshots.
	prefix := resources.ContentConfigMapName(&webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: dep.Name}}, "")
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == resources.ContentVolume && v.ConfigMap != nil {
			if hash, ok := strings.CutPrefix(v.ConfigMap.Name, prefix); ok {
				return hash
			}
		}
	}
	return ""
}

// secretHashOf is the hash part of the mounted secret snapshot's name (<name>-secret-<hash>).
func secretHashOf(dep *appsv1.Deployment) string {
	prefix := resources.SecretSnapshotName(&webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: dep.Name}}, "")
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == resources.SecretVolume && v.Secret != nil {
			if hash, ok := strings.CutPrefix(v.Secret.SecretName, prefix); ok {
				return hash
			}
		}
	}
	return ""
}

// configHashOf is the hash part of a config ConfigMap name (<name>-config-<hash>).
func configHashOf(configMapName string) string {
	if i := strings.LastIndex(configMapName, "-config-"); i >= 0 {
		return configMapName[i+len("-config-"):]
	}
	return configMapName
}
