package controller

import (
	"context"
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// reconcileConfig resolves the user's config and content, renders nginx.conf and makes
// sure its immutable ConfigMap exists, chooses the pod template format and, for the
// current one, makes sure the content snapshot exists. When a referenced ConfigMap is
// missing, the pods stay on the config they run now.
func (r *WebServerReconciler) reconcileConfig(ctx context.Context, s *scope) (ctrl.Result, error) {
	defer r.sweepReferenceMemos(ctx)
	refs, problem, err := r.readReferencedConfig(ctx, s.ws)
	if err != nil {
		return ctrl.Result{}, err
	}
	if problem != "" {
		// The pass stops here: a half-applied spec could point new pods at what does not exist.
		s.config = configResult{
			reason:  webserverv1alpha1.ReasonConfigMapNotFound,
			message: problem + "; the pods keep running as they are until it exists",
			hash:    s.ws.Status.ConfigHash,
		}
		return ctrl.Result{}, blocked(webserverv1alpha1.ReasonConfigMapNotFound, "%s", s.config.message)
	}
	if err := resources.CheckServerBlock(refs.serverBlock); err != nil {
		// Kept inside server {}, or not served at all: no pod gets it.
		s.config = configResult{
			reason:  webserverv1alpha1.ReasonConfigInvalid,
			message: fmt.Sprintf("%s: %v; the pods keep running as they are", configSource(s.ws), err),
			hash:    s.ws.Status.ConfigHash,
		}
		return ctrl.Result{}, blocked(webserverv1alpha1.ReasonConfigInvalid, "%s", s.config.message)
	}

	secrets, err := r.readReferencedSecrets(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	recheck := r.reportCertificate(s)
	if secrets.problemReason != "" {
		// Never served without its certificate or users: the pods keep what they mount.
		s.config = configResult{
			reason:  secrets.problemReason,
			message: secrets.problemMessage + "; the pods keep running as they are until it is fixed",
			hash:    s.ws.Status.ConfigHash,
		}
		return ctrl.Result{}, blocked(secrets.problemReason, "%s", s.config.message)
	}

	rendered := resources.RenderConfig(s.ws, refs.serverBlock)
	s.config = configResult{
		valid:         true,
		reason:        webserverv1alpha1.ReasonConfigRendered,
		message:       fmt.Sprintf("nginx config %s rendered", rendered.Hash),
		configMapName: rendered.Name(s.ws),
		hash:          rendered.Hash,
		contentHash:   refs.contentHash,
		secretHash:    secrets.hash,
		source:        configSource(s.ws),
	}
	if refs.serverBlock != "" {
		s.config.serverBlockFirstLine = resources.ServerBlockFirstLine(s.ws)
		s.config.serverBlockLines = strings.Count(strings.TrimRight(refs.serverBlock, "\n"), "\n") + 1
	}
	running, err := r.templateToCompare(ctx, s)
	if err != nil {
		return ctrl.Result{}, err
	}
	s.templateFormat, err = chooseTemplateFormat(running, func(format resources.TemplateFormat) *appsv1ac.DeploymentApplyConfiguration {
		return resources.Deployment(s.ws, s.workloadInputs(specRevision(s), format))
	})
	if err != nil {
		return ctrl.Result{}, err
	}

	// The ConfigMap is immutable and named by its content: if it exists, it is right.
	exists, err := r.ownedConfigMapExists(ctx, s.ws.Namespace, s.config.configMapName)
	if err != nil {
		return ctrl.Result{}, err
	}
	if !exists {
		logf.FromContext(ctx).Info("Creating config ConfigMap", "name", s.config.configMapName)
		if err := r.createOnce(ctx, s.ws, resources.ConfigMap(s.ws, rendered), &corev1.ConfigMap{}); err != nil {
			return ctrl.Result{}, err
		}
	}
	if err := r.ensureContentSnapshot(ctx, s, refs.liveContent); err != nil {
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: recheck}, r.ensureSecretSnapshot(ctx, s, secrets.live)
}

// configSource names the field the server block comes from.
func configSource(ws *webserverv1alpha1.WebServer) string {
	if ws.Spec.Config != nil && ws.Spec.Config.ConfigMapRef != nil {
		return fmt.Sprintf("spec.config.configMapRef (ConfigMap %q key %q)", ws.Spec.Config.ConfigMapRef.Name, ws.Spec.Config.ConfigMapRef.ConfigMapKey())
	}
	return "spec.config.inline"
}

// ensureContentSnapshot makes sure the immutable snapshot of the user's content exists
// when the pods mount one (format 2): a content change then rolls the pods to a new
// snapshot at full capacity, and a rollback can return to an older one. The user's
// ConfigMap is read only when the snapshot is missing; live is it when already read.
func (r *WebServerReconciler) ensureContentSnapshot(ctx context.Context, s *scope, live *corev1.ConfigMap) error {
	if s.ws.Spec.Content == nil || s.templateFormat == resources.TemplateFormat1 {
		return nil
	}
	name := resources.ContentConfigMapName(s.ws, s.config.contentHash)
	exists, err := r.ownedConfigMapExists(ctx, s.ws.Namespace, name)
	if err != nil || exists {
		return err
	}
	if live == nil {
		key := types.NamespacedName{Namespace: s.ws.Namespace, Name: s.ws.Spec.Content.ConfigMapName}
		if live, err = r.readConfigMap(ctx, key); err != nil {
			return err
		}
		// It may have changed since its metadata was cached: snapshot what it holds now.
		s.config.contentHash = r.configMapMemo().remember(live).contentHash
		name = resources.ContentConfigMapName(s.ws, s.config.contentHash)
	}
	logf.FromContext(ctx).Info("Creating content ConfigMap", "name", name, "from", live.Name)
	return r.createOnce(ctx, s.ws, resources.ContentConfigMap(s.ws, live.Data, live.BinaryData), &corev1.ConfigMap{})
}

// ownedConfigMapExists looks up one of the operator's immutable ConfigMaps in the cache.
func (r *WebServerReconciler) ownedConfigMapExists(ctx context.Context, namespace, name string) (bool, error) {
	existing, err := cachedMetadata(ctx, r, "ConfigMap", types.NamespacedName{Namespace: namespace, Name: name})
	return existing != nil, err
}

// referencedConfig is what the user's ConfigMaps give the pods.
type referencedConfig struct {
	serverBlock string
	contentHash string
	// liveContent is the content ConfigMap when this reconcile read it from the API server.
	liveContent *corev1.ConfigMap
}

// readReferencedConfig resolves the user's ConfigMaps, reading each only when it changed
// (referencedConfigMap). problem is set, instead of an error, when one is missing or
// lacks the key: a retry cannot fix that, a change to it will re-trigger.
func (r *WebServerReconciler) readReferencedConfig(ctx context.Context, ws *webserverv1alpha1.WebServer) (refs referencedConfig, problem string, err error) {
	if ws.Spec.Config != nil {
		refs.serverBlock = ws.Spec.Config.Inline
		if ref := ws.Spec.Config.ConfigMapRef; ref != nil {
			facts, _, problem, err := r.referencedConfigMap(ctx, ws.Namespace, ref.Name, "spec.config.configMapRef", ref.ConfigMapKey())
			if problem != "" || err != nil {
				return referencedConfig{}, problem, err
			}
			value := facts.values[ref.ConfigMapKey()]
			if !value.found {
				return referencedConfig{}, fmt.Sprintf("ConfigMap %q has no key %q named in spec.config.configMapRef.key", ref.Name, ref.ConfigMapKey()), nil
			}
			refs.serverBlock = value.value
		}
	}
	if ws.Spec.Content != nil {
		facts, live, problem, err := r.referencedConfigMap(ctx, ws.Namespace, ws.Spec.Content.ConfigMapName, "spec.content.configMapName")
		if problem != "" || err != nil {
			return referencedConfig{}, problem, err
		}
		refs.contentHash, refs.liveContent = facts.contentHash, live
	}
	return refs, "", nil
}

// reconcileServiceAccount applies the pods' ServiceAccount and, while the pods still run
// a format-1 template, the ServiceAccount named like the WebServer that they run as.
func (r *WebServerReconciler) reconcileServiceAccount(ctx context.Context, s *scope) (ctrl.Result, error) {
	formats := []resources.TemplateFormat{resources.CurrentTemplateFormat}
	if s.templateFormat == resources.TemplateFormat1 {
		formats = append(formats, resources.TemplateFormat1)
	}
	for _, format := range formats {
		observed := &corev1.ServiceAccount{}
		if err := r.getOptional(ctx, resources.ServiceAccountNameFor(s.ws, format), s.ws.Namespace, observed); err != nil {
			return ctrl.Result{}, err
		}
		if _, err := r.applyChild(ctx, s, resources.ServiceAccount(s.ws, format), nilIfAbsent(observed), s.originalStatus.ObservedGeneration != 0); err != nil {
			return ctrl.Result{}, err
		}
	}
	return ctrl.Result{}, nil
}

func (r *WebServerReconciler) reconcileService(ctx context.Context, s *scope) (ctrl.Result, error) {
	observed := &corev1.Service{}
	if err := r.getOptional(ctx, s.ws.Name, s.ws.Namespace, observed); err != nil {
		return ctrl.Result{}, err
	}
	outcome, err := r.applyChild(ctx, s, resources.Service(s.ws), nilIfAbsent(observed), s.originalStatus.ObservedGeneration != 0)
	s.serviceExists = ptr.To(outcome.exists)
	return ctrl.Result{}, err
}

// reconcileDeployment applies the nginx Deployment and tells users when it starts
// moving pods: creation, scaling, a new template.
func (r *WebServerReconciler) reconcileDeployment(ctx context.Context, s *scope) (ctrl.Result, error) {
	if !s.config.valid || s.revisions == nil || s.revisions.target == nil {
		// A referenced ConfigMap is missing (ConfigValid says which), or nginx -t has not
		// yet answered on the spec's revision: the Deployment stays as it is.
		return ctrl.Result{}, nil
	}
	ws := s.ws
	target := *s.revisions.target
	format := s.templateFormat
	if target != s.revisions.spec {
		running, err := r.templateToCompare(ctx, s)
		if err != nil {
			return ctrl.Result{}, err
		}
		if format, err = chooseTemplateFormat(running, func(format resources.TemplateFormat) *appsv1ac.DeploymentApplyConfiguration {
			return resources.Deployment(ws, s.workloadInputs(target, format))
		}); err != nil {
			return ctrl.Result{}, err
		}
	}
	desired := resources.Deployment(ws, s.workloadInputs(target, format))
	var observed client.Object
	if s.deployment != nil {
		observed = s.deployment
		if s.deployment.Spec.Paused {
			// A paused Deployment never finishes a rollout the spec asks for: resume it.
			desired.Spec.WithPaused(false)
			r.announce(s, s.deployment, corev1.EventTypeNormal, "Resumed", "Resume",
				"Resumed the Deployment, which was paused outside the operator; pause rollouts by not changing the WebServer")
		}
	}
	// A Deployment existed if an earlier reconcile saw pods on it or a rollout complete.
	existedBefore := s.originalStatus.LastGoodImage != "" || s.originalStatus.Replicas > 0
	outcome, err := r.applyChild(ctx, s, desired, observed, existedBefore)
	if err != nil || !outcome.applied {
		return ctrl.Result{}, err
	}

	before := s.deployment
	applied := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(outcome.object.Object, applied); err != nil {
		return ctrl.Result{}, fmt.Errorf("reading applied Deployment: %w", err)
	}
	s.deployment = applied

	switch {
	case before == nil && !outcome.drift:
		r.announce(s, applied, corev1.EventTypeNormal, "Created", "Create",
			"Created Deployment with %d replicas of %s", ws.DesiredReplicas(), s.image)
	case before != nil:
		if from, to := replicasOf(before), replicasOf(applied); from != to {
			r.announce(s, applied, corev1.EventTypeNormal, "Scaled", "Scale", "Scaling from %d to %d replicas", from, to)
		}
		if templateInputs(before) != templateInputs(applied) {
			s.templateChanged = true
		}
		if s.templateChanged && s.revisions.rollbackTo == nil {
			r.announce(s, applied, corev1.EventTypeNormal, "UpgradeStarted", "Upgrade",
				"Rolling out %s (was %s)", templateInputs(applied), templateInputs(before))
		}
	}
	return ctrl.Result{}, nil
}

// workloadInputs are the inputs of a Deployment that runs target in the given template
// format. Pods that already run target keep the metrics image they run, so an operator
// upgrade that ships a new one restarts no pod; the next rollout takes the new image.
func (s *scope) workloadInputs(target revision, format resources.TemplateFormat) resources.WorkloadInputs {
	in := target.workloadInputs(s.ws, format)
	in.MetricsImage = s.metricsImage
	if live, ok := deploymentRevision(s.deployment); ok && live == target {
		if image := metricsContainerImage(s.deployment); image != "" {
			in.MetricsImage = image
		}
	}
	return in
}

// metricsContainerImage is the image of the Deployment's metrics container, "" without one.
func metricsContainerImage(dep *appsv1.Deployment) string {
	for _, c := range dep.Spec.Template.Spec.InitContainers {
		if c.Name == resources.MetricsContainerName {
			return c.Image
		}
	}
	return ""
}

// getOptional reads a child from the cache, leaving obj empty when it does not exist.
func (r *WebServerReconciler) getOptional(ctx context.Context, name, namespace string, obj client.Object) error {
	err := r.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("reading %T %s: %w", obj, name, err)
	}
	return nil
}

func nilIfAbsent(obj client.Object) client.Object {
	if obj.GetUID() == "" {
		return nil
	}
	return obj
}
