package controller

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// annotationLastApplied is where `kubectl apply` keeps a full copy of the object: for a
// ConfigMap, all of its data.
const annotationLastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// CacheOptions cache only what the operator owns: children are selected by the
// managed-by label, never every Deployment or Service of the cluster, and the large
// metadata nobody here reads is dropped (stripLargeMetadata), so are the parts of pod
// templates the phases do not read (trimDeployment). ConfigMaps are watched as metadata
// only.
func CacheOptions() cache.Options {
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{resources.LabelManagedBy: resources.ManagedBy})}
	return cache.Options{
		DefaultTransform: stripLargeMetadata,
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.Deployment{}:                     {Label: owned.Label, Transform: trimDeployment},
			&corev1.Service{}:                        owned,
			&corev1.ServiceAccount{}:                 owned,
			&policyv1.PodDisruptionBudget{}:          owned,
			&autoscalingv2.HorizontalPodAutoscaler{}: owned,
			&networkingv1.Ingress{}:                  owned,
			&corev1.ResourceQuota{}:                  owned,
			&corev1.LimitRange{}:                     owned,
			// Config check pods only: the serving pods are read live, and only while some
			// do not become ready, so a large fleet costs no cached pods.
			&corev1.Pod{}: {Label: labels.SelectorFromSet(resources.ConfigCheckLabels()), Transform: trimCheckPod},
		},
	}
}

// trimCheckPod keeps of a config check pod what its verdict is read from: metadata and
// the phase, reasons, conditions and container states of its status. A fleet created at
// once has a check pod per WebServer in the cache; their specs would be most of it.
var trimCheckPod toolscache.TransformFunc = func(in any) (any, error) {
	in, err := stripLargeMetadata(in)
	pod, ok := in.(*corev1.Pod)
	if err != nil || !ok {
		return in, err
	}
	containers := make([]corev1.ContainerStatus, len(pod.Status.ContainerStatuses))
	for i, c := range pod.Status.ContainerStatuses {
		containers[i] = corev1.ContainerStatus{Name: c.Name, Image: c.Image, State: c.State}
	}
	pod.Spec = corev1.PodSpec{}
	pod.Status = corev1.PodStatus{
		Phase:             pod.Status.Phase,
		Reason:            pod.Status.Reason,
		Message:           pod.Status.Message,
		Conditions:        pod.Status.Conditions,
		ContainerStatuses: containers,
	}
	return pod, nil
}

// stripLargeMetadata drops, from every cached object, managedFields (large under
// server-side apply) and kubectl's last-applied-configuration annotation, which would put
// the data of every ConfigMap of the cluster back into a cache meant to hold metadata only;
// the strings it shares with other objects it interns (cache_intern.go).
var stripLargeMetadata toolscache.TransformFunc = func(in any) (any, error) {
	obj, err := meta.Accessor(in)
	if err != nil {
		// Not an object (e.g. a tombstone): nothing to strip.
		return in, nil
	}
	// Set only when present: https://github.com/kubernetes/kubernetes/issues/124337
	if obj.GetManagedFields() != nil {
		obj.SetManagedFields(nil)
	}
	internMetadata(obj, annotationLastApplied)
	internSelectors(in)
	return in, nil
}
