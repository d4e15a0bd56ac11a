package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// cachedMetadata reads the metadata of a core object of kind (ConfigMap, Secret) from the
// cache, which holds only metadata for those kinds; nil when it does not exist.
func cachedMetadata(ctx context.Context, c client.Reader, kind string, key types.NamespacedName) (*metav1.PartialObjectMetadata, error) {
	obj := metadataOnly(kind)
	err := c.Get(ctx, key, obj)
	switch {
	case err == nil:
		return obj, nil
	case apierrors.IsNotFound(err):
		return nil, nil
	default:
		return nil, fmt.Errorf("reading %s %s metadata: %w", kind, key.Name, err)
	}
}

// metadataOnly is an empty metadata-only object of a core kind (ConfigMap, Secret).
func metadataOnly(kind string) *metav1.PartialObjectMetadata {
	obj := &metav1.PartialObjectMetadata{}
	obj.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind(kind))
	return obj
}
