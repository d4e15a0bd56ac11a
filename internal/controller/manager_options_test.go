package controller

import (
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestStripLargeMetadata(t *testing.T) {
	tests := []struct {
		name        string
		annotations map[string]string
		want        map[string]string
	}{
		{"no annotations", nil, nil},
		{"kubectl apply copy only", map[string]string{annotationLastApplied: `{"data":{"big":"..."}}`}, nil},
		{"others kept", map[string]string{annotationLastApplied: "{}", "a": "b"}, map[string]string{"a": "b"}},
		{"nothing to strip", map[string]string{"a": "b"}, map[string]string{"a": "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, obj := range []metav1.Object{&corev1.ConfigMap{}, &metav1.PartialObjectMetadata{}} {
				obj.SetAnnotations(tt.annotations)
				obj.SetManagedFields([]metav1.ManagedFieldsEntry{{Manager: "kubectl"}})
				out, err := stripLargeMetadata(obj)
				if err != nil {
					t.Fatal(err)
				}
				got := out.(metav1.Object)
				if got.GetManagedFields() != nil {
					t.Errorf("%T: managedFields kept", obj)
				}
				if fmt.Sprint(got.GetAnnotations()) != fmt.Sprint(tt.want) {
					t.Errorf("%T: annotations %v, want %v", obj, got.GetAnnotations(), tt.want)
				}
			}
		})
	}
	if out, err := stripLargeMetadata("not an object"); err != nil || out != "not an object" {
		t.Errorf("non-object changed: %v, %v", out, err)
	}
}
