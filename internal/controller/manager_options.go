package controller

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// CacheOptions cache only what the operator owns: children are selected by the
// managed-by label, never every Deployment or Service of the cluster, and managedFields
// (large under server-side apply) are dropped. ConfigMaps are watched as metadata only.
func CacheOptions() cache.Options {
	owned := cache.ByObject{Label: labels.SelectorFromSet(labels.Set{resources.LabelManagedBy: resources.ManagedBy})}
	return cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&appsv1.Deployment{}:     owned,
			&corev1.Service{}:        owned,
			&corev1.ServiceAccount{}: owned,
		},
	}
}
