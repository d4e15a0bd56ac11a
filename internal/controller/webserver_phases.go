package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// observeDeployment reads the Deployment from the cache; later phases compare against it.
func (r *WebServerReconciler) observeDeployment(ctx context.Context, s *scope) (ctrl.Result, error) {
	dep := &appsv1.Deployment{}
	err := r.Get(ctx, client.ObjectKeyFromObject(s.ws), dep)
	switch {
	case apierrors.IsNotFound(err):
		s.deployment = nil
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("reading Deployment: %w", err)
	default:
		s.deployment = dep
	}
	return ctrl.Result{}, nil
}

// reconcileConfig resolves the user's config and content, renders nginx.conf and makes
// sure its immutable ConfigMap exists. When a referenced ConfigMap is missing, the pods
// stay on the config they run now.
func (r *WebServerReconciler) reconcileConfig(ctx context.Context, s *scope) (ctrl.Result, error) {
	defer r.sweepConfigMapMemo(ctx)
	serverBlock, contentHash, problem, err := r.readReferencedConfig(ctx, s.ws)
	if err != nil {
		return ctrl.Result{}, err
	}
	if problem != "" {
		// The Deployment is left as it is (reconcileDeployment): a half-applied spec could
		// point new pods at what does not exist.
		s.config = configResult{
			reason:  webserverv1alpha1.ReasonConfigMapNotFound,
			message: problem + "; the pods keep running as they are until it exists",
			hash:    s.ws.Status.ConfigHash,
		}
		return ctrl.Result{}, nil
	}

	rendered := resources.RenderConfig(s.ws, serverBlock)
	s.config = configResult{
		valid:         true,
		reason:        webserverv1alpha1.ReasonConfigRendered,
		message:       fmt.Sprintf("nginx config %s rendered", rendered.Hash),
		configMapName: rendered.Name(s.ws),
		hash:          rendered.Hash,
		contentHash:   contentHash,
	}

	// The ConfigMap is immutable and named by its content: if it exists, it is right.
	existing := &metav1.PartialObjectMetadata{}
	existing.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	err = r.Get(ctx, types.NamespacedName{Namespace: s.ws.Namespace, Name: s.config.configMapName}, existing)
	if err == nil {
		return ctrl.Result{}, nil
	}
	if !apierrors.IsNotFound(err) {
		return ctrl.Result{}, fmt.Errorf("reading ConfigMap %s: %w", s.config.configMapName, err)
	}
	logf.FromContext(ctx).Info("Creating config ConfigMap", "name", s.config.configMapName)
	if err := r.Apply(ctx, resources.ConfigMap(s.ws, rendered), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return ctrl.Result{}, fmt.Errorf("applying ConfigMap %s: %w", s.config.configMapName, err)
	}
	return ctrl.Result{}, nil
}

// readReferencedConfig resolves the user's ConfigMaps, reading each only when it changed
// (referencedConfigMap). problem is set, instead of an error, when one is missing or
// lacks the key: a retry cannot fix that, a change to it will re-trigger.
func (r *WebServerReconciler) readReferencedConfig(ctx context.Context, ws *webserverv1alpha1.WebServer) (serverBlock, contentHash, problem string, err error) {
	if ws.Spec.Config != nil {
		serverBlock = ws.Spec.Config.Inline
		if ref := ws.Spec.Config.ConfigMapRef; ref != nil {
			facts, problem, err := r.referencedConfigMap(ctx, ws.Namespace, ref.Name, "spec.config.configMapRef", ref.ConfigMapKey())
			if problem != "" || err != nil {
				return "", "", problem, err
			}
			value := facts.values[ref.ConfigMapKey()]
			if !value.found {
				return "", "", fmt.Sprintf("ConfigMap %q has no key %q named in spec.config.configMapRef.key", ref.Name, ref.ConfigMapKey()), nil
			}
			serverBlock = value.value
		}
	}
	if ws.Spec.Content != nil {
		facts, problem, err := r.referencedConfigMap(ctx, ws.Namespace, ws.Spec.Content.ConfigMapName, "spec.content.configMapName")
		if problem != "" || err != nil {
			return "", "", problem, err
		}
		contentHash = facts.contentHash
	}
	return serverBlock, contentHash, "", nil
}

func (r *WebServerReconciler) reconcileServiceAccount(ctx context.Context, s *scope) (ctrl.Result, error) {
	observed := &corev1.ServiceAccount{}
	if err := r.getOptional(ctx, resources.ServiceAccountNameFor(s.ws, resources.TemplateFormat1), s.ws.Namespace, observed); err != nil {
		return ctrl.Result{}, err
	}
	_, err := r.applyChild(ctx, s, resources.ServiceAccount(s.ws, resources.TemplateFormat1), nilIfAbsent(observed), s.originalStatus.ObservedGeneration != 0)
	return ctrl.Result{}, err
}

func (r *WebServerReconciler) reconcileService(ctx context.Context, s *scope) (ctrl.Result, error) {
	observed := &corev1.Service{}
	if err := r.getOptional(ctx, s.ws.Name, s.ws.Namespace, observed); err != nil {
		return ctrl.Result{}, err
	}
	_, err := r.applyChild(ctx, s, resources.Service(s.ws), nilIfAbsent(observed), s.originalStatus.ObservedGeneration != 0)
	return ctrl.Result{}, err
}

// reconcileDeployment applies the nginx Deployment and tells users when it starts
// moving pods: creation, scaling, a new template.
func (r *WebServerReconciler) reconcileDeployment(ctx context.Context, s *scope) (ctrl.Result, error) {
	if !s.config.valid {
		// A referenced ConfigMap is missing; ConfigValid says which.
		return ctrl.Result{}, nil
	}
	ws := s.ws
	desired := resources.Deployment(ws, resources.WorkloadInputs{
		Image:           s.image,
		ConfigMapName:   s.config.configMapName,
		ContentHash:     s.config.contentHash,
		ReplicasManaged: true,
		Format:          resources.TemplateFormat1,
	})
	var observed client.Object
	if s.deployment != nil {
		observed = s.deployment
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
		r.Recorder.Eventf(ws, applied, corev1.EventTypeNormal, "Created", "Create",
			"Created Deployment with %d replicas of %s", ws.DesiredReplicas(), s.image)
	case before != nil:
		if from, to := replicasOf(before), replicasOf(applied); from != to {
			r.Recorder.Eventf(ws, applied, corev1.EventTypeNormal, "Scaled", "Scale", "Scaling from %d to %d replicas", from, to)
		}
		if templateInputs(before) != templateInputs(applied) {
			s.templateChanged = true
			r.Recorder.Eventf(ws, applied, corev1.EventTypeNormal, "UpgradeStarted", "Upgrade",
				"Rolling out %s (was %s)", templateInputs(applied), templateInputs(before))
		}
	}
	return ctrl.Result{}, nil
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
