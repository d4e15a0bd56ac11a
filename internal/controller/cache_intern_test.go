package controller

import (
	"reflect"
	"runtime"
	"strings"
	"testing"
	"unique"
	"unsafe"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// decoded is a child as a decoder gives it: every string a copy of its own.
func decoded(name string) *corev1.Service {
	own := func(s string) string { return strings.Clone(s) }
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   own("shop"),
			Name:        own(name),
			Labels:      map[string]string{own("app.kubernetes.io/instance"): own("site"), own("app.kubernetes.io/managed-by"): own("webserver-operator")},
			Annotations: map[string]string{own(AnnotationAppliedHash): own("0123456789abcdef")},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: own("webserver.dev/v1alpha1"), Kind: own("WebServer"),
				Name: own("site"), UID: "u", Controller: ptr.To(true)}},
		},
		Spec: corev1.ServiceSpec{Selector: map[string]string{own("app.kubernetes.io/instance"): own("site")}},
	}
}

func sameCopy(a, b string) bool { return unsafe.StringData(a) == unsafe.StringData(b) }

func TestCachedChildrenShareTheirCommonStrings(t *testing.T) {
	// Held for the test: unique may drop a copy no handle holds when the GC runs.
	common := []string{"shop", "site", "webserver-operator", "app.kubernetes.io/instance", "app.kubernetes.io/managed-by",
		AnnotationAppliedHash, "webserver.dev/v1alpha1", "WebServer"}
	held := make([]unique.Handle[string], 0, len(common))
	for _, s := range common {
		held = append(held, unique.Make(s))
	}
	defer runtime.KeepAlive(held)
	a, b := decoded("site"), decoded("site-canary")
	want := decoded("site")
	for _, obj := range []*corev1.Service{a, b} {
		if _, err := stripLargeMetadata(obj); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(a, want) {
		t.Errorf("interning changed the object:\n%+v\nwant\n%+v", a, want)
	}
	if !sameCopy(a.Namespace, b.Namespace) || !sameCopy(a.OwnerReferences[0].APIVersion, b.OwnerReferences[0].APIVersion) ||
		!sameCopy(a.OwnerReferences[0].Kind, b.OwnerReferences[0].Kind) {
		t.Error("namespace and owner kind are not shared")
	}
	for key, value := range a.Labels {
		for otherKey, otherValue := range b.Labels {
			if key == otherKey && (!sameCopy(key, otherKey) || !sameCopy(value, otherValue)) {
				t.Errorf("label %s is not shared", key)
			}
		}
	}
	for key := range a.Annotations {
		for otherKey := range b.Annotations {
			if !sameCopy(key, otherKey) {
				t.Errorf("annotation key %s is not shared", key)
			}
		}
	}
	if !sameCopy(a.Spec.Selector["app.kubernetes.io/instance"], b.Spec.Selector["app.kubernetes.io/instance"]) {
		t.Error("the selector's values are not shared")
	}
}

func TestInterningKeepsEmptyAndAbsentMetadata(t *testing.T) {
	dep := &appsv1.Deployment{}
	if _, err := stripLargeMetadata(dep); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(dep, &appsv1.Deployment{}) {
		t.Errorf("an empty Deployment changed: %+v", dep)
	}
}
