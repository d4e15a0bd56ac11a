package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// A Deployment's pod template is most of its size, and the phases read little of it: the
// image of each container, the volumes' ConfigMaps and Secrets, the ServiceAccount and
// the template's annotations. The cache keeps those and, in place of the rest, a
// fingerprint of the whole object as the API server has it. applyChild compares a
// fingerprint with the one it saw when it last found the Deployment to hold the desired
// fields; on any other fingerprint (someone changed it, a fresh process) it reads the
// Deployment live and compares every field.

// annotationObservedFingerprint exists only on cached Deployments, never in the API: the
// hash of their labels, annotations and spec before the template was trimmed.
const annotationObservedFingerprint = "webserver.dev/observed-fingerprint"

// trimDeployment is the cache's transform of Deployments.
var trimDeployment = func(in any) (any, error) {
	in, err := stripLargeMetadata(in)
	dep, ok := in.(*appsv1.Deployment)
	if err != nil || !ok {
		return in, err
	}
	fingerprint, err := deploymentFingerprint(dep)
	if err != nil {
		return nil, err
	}
	annotations := make(map[string]string, len(dep.Annotations)+1)
	for k, v := range dep.Annotations {
		annotations[k] = v
	}
	annotations[annotationObservedFingerprint] = fingerprint
	dep.Annotations = annotations
	dep.Spec.Template.Spec = trimmedPodSpec(&dep.Spec.Template.Spec)
	return dep, nil
}

// trimmedPodSpec keeps what the phases read of a pod template.
func trimmedPodSpec(spec *corev1.PodSpec) corev1.PodSpec {
	nameAndImage := func(containers []corev1.Container) []corev1.Container {
		kept := make([]corev1.Container, len(containers))
		for i, c := range containers {
			kept[i] = corev1.Container{Name: c.Name, Image: c.Image}
		}
		return kept
	}
	// Only volumes of ConfigMaps and Secrets are read (what a revision mounts); at 256
	// bytes a volume, the scratch ones are left out.
	mounted := 0
	for _, v := range spec.Volumes {
		if v.ConfigMap != nil || v.Secret != nil {
			mounted++
		}
	}
	volumes := make([]corev1.Volume, 0, mounted)
	for _, v := range spec.Volumes {
		switch {
		case v.ConfigMap != nil:
			volumes = append(volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{
				ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: v.ConfigMap.LocalObjectReference}}})
		case v.Secret != nil:
			volumes = append(volumes, corev1.Volume{Name: v.Name, VolumeSource: corev1.VolumeSource{
				Secret: &corev1.SecretVolumeSource{SecretName: v.Secret.SecretName}}})
		}
	}
	return corev1.PodSpec{
		ServiceAccountName: spec.ServiceAccountName,
		InitContainers:     nameAndImage(spec.InitContainers),
		Containers:         nameAndImage(spec.Containers),
		Volumes:            volumes,
	}
}

// deploymentFingerprint hashes what a Deployment's owner decides: labels, annotations
// (but the cache's own and kubectl's copy, which the cache drops) and spec.
func deploymentFingerprint(dep *appsv1.Deployment) (string, error) {
	annotations := make(map[string]string, len(dep.Annotations))
	for k, v := range dep.Annotations {
		if k != annotationObservedFingerprint && k != annotationLastApplied {
			annotations[k] = v
		}
	}
	raw, err := json.Marshal(struct {
		Labels      map[string]string     `json:"labels"`
		Annotations map[string]string     `json:"annotations"`
		Spec        appsv1.DeploymentSpec `json:"spec"`
	}{dep.Labels, annotations, dep.Spec})
	if err != nil {
		return "", fmt.Errorf("fingerprinting Deployment %s: %w", dep.Name, err)
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:16], nil
}

// fingerprintOf is the fingerprint the cache would give an object the API server
// returned, "" for anything but a Deployment.
func fingerprintOf(u *unstructured.Unstructured) (string, error) {
	if u.GetKind() != "Deployment" {
		return "", nil
	}
	dep := &appsv1.Deployment{}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, dep); err != nil {
		return "", fmt.Errorf("reading Deployment %s: %w", u.GetName(), err)
	}
	return deploymentFingerprint(dep)
}

// isTrimmed reports whether obj is a cached copy whose template was trimmed.
func isTrimmed(obj client.Object) bool {
	_, ok := obj.GetAnnotations()[annotationObservedFingerprint]
	return ok
}

// wholeDeployment is the Deployment with its whole pod template, read live once per pass
// when the cached one is trimmed; nil when it is gone.
func (r *WebServerReconciler) wholeDeployment(ctx context.Context, s *scope) (*appsv1.Deployment, error) {
	if s.deployment == nil || !isTrimmed(s.deployment) {
		return s.deployment, nil
	}
	if s.liveDeployment == nil {
		live := &appsv1.Deployment{}
		if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(s.deployment), live); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil
			}
			return nil, fmt.Errorf("reading Deployment %s: %w", s.deployment.Name, err)
		}
		s.liveDeployment = live
	}
	return s.liveDeployment, nil
}

// templateToCompare is the Deployment chooseTemplateFormat compares with: the cached one
// when it is built in the current format (nothing to compare), else the whole one.
func (r *WebServerReconciler) templateToCompare(ctx context.Context, s *scope) (*appsv1.Deployment, error) {
	if observedTemplateFormat(s.deployment) == resources.CurrentTemplateFormat {
		return s.deployment, nil
	}
	whole, err := r.wholeDeployment(ctx, s)
	if err != nil || whole != nil {
		return whole, err
	}
	return s.deployment, nil
}
