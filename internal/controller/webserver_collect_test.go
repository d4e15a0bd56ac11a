package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// mounting is a Deployment whose template mounts config and content; complete says
// whether the Deployment controller reports its rollout done.
func mounting(config, content string, complete bool) *appsv1.Deployment {
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Generation: 2, Annotations: map[string]string{resources.AnnotationTemplateFormat: "2"}},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To[int32](2)},
	}
	dep.Spec.Template.Spec.ServiceAccountName = "site-nginx"
	for name, cm := range map[string]string{resources.ConfigVolume: config, resources.ContentVolume: content} {
		dep.Spec.Template.Spec.Volumes = append(dep.Spec.Template.Spec.Volumes, corev1.Volume{
			Name:         name,
			VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: cm}}},
		})
	}
	dep.Status = appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}
	if !complete {
		dep.Status.UpdatedReplicas = 1
		dep.Status.Replicas = 3
	}
	return dep
}

// The collector decides from the cache; the live Deployment protects what a newer
// rollout mounts even when the cache has not seen it yet.
func TestConfigMapsToDelete(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: "site", UID: "uid-1"}}
	owned := func(name string) metav1.PartialObjectMetadata {
		cm := metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: name}}
		cm.OwnerReferences = []metav1.OwnerReference{{UID: ws.UID, Controller: ptr.To(true), Name: ws.Name, Kind: "WebServer"}}
		return cm
	}
	foreign := metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "site-config-foreign"}}
	all := []metav1.PartialObjectMetadata{
		owned("site-config-a"), owned("site-content-a"),
		owned("site-config-b"), owned("site-content-b"),
		owned("site-config-old"), owned("site-content-old"), foreign,
	}
	cachedOnA := mounting("site-config-a", "site-content-a", true)

	tests := []struct {
		name   string
		cached *appsv1.Deployment
		live   *appsv1.Deployment
		want   []string
	}{
		{"cache and live agree", cachedOnA, mounting("site-config-a", "site-content-a", true),
			[]string{"site-config-b", "site-content-b", "site-config-old", "site-content-old"}},
		{"live moved to b and finished: b is protected", cachedOnA, mounting("site-config-b", "site-content-b", true),
			[]string{"site-config-old", "site-content-old"}},
		{"live rolling out to b: nothing deleted", cachedOnA, mounting("site-config-b", "site-content-b", false), nil},
		{"live Deployment gone: nothing deleted", cachedOnA, nil, nil},
		{"user's content mounted directly (format 1)", mounting("site-config-a", "pages", true), mounting("site-config-a", "pages", true),
			[]string{"site-content-a", "site-config-b", "site-content-b", "site-config-old", "site-content-old"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, cm := range snapshotsToDelete(ws, collectableSnapshots(ws, nil, all, tt.cached), tt.cached, tt.live) {
				got = append(got, cm.Name)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("deletes %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Fatalf("deletes %v, want %v", got, tt.want)
				}
			}
		})
	}
}

func TestFormerServiceAccountUnused(t *testing.T) {
	format2 := mounting("c", "d", true)
	format1 := format2.DeepCopy()
	format1.Annotations = nil
	format1.Spec.Template.Spec.ServiceAccountName = "site"
	rolling := mounting("c", "d", false)

	tests := []struct {
		name         string
		cached, live *appsv1.Deployment
		want         bool
	}{
		{"format 2 everywhere, rollout complete", format2, format2, true},
		{"cache still on format 1", format1, format2, false},
		{"live back on format 1", format2, format1, false},
		{"live still rolling to format 2", format2, rolling, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := formerServiceAccountUnused("site", tt.cached, tt.live); got != tt.want {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

func TestContentHashOf(t *testing.T) {
	withContent := func(name, content string, annotations map[string]string) *appsv1.Deployment {
		dep := mounting(name+"-config-abc", content, true)
		dep.Name = name
		dep.Spec.Template.Annotations = annotations
		return dep
	}
	tests := []struct {
		name string
		dep  *appsv1.Deployment
		want string
	}{
		{"snapshot", withContent("site", "site-content-c0ffee", nil), "c0ffee"},
		{"format 1 annotation", withContent("site", "pages", map[string]string{resources.AnnotationContentHash: "beef"}), "beef"},
		{"default page from the config", withContent("my-content-site", "my-content-site-config-abc", nil), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := contentHashOf(tt.dep); got != tt.want {
				t.Errorf("contentHashOf = %q, want %q", got, tt.want)
			}
		})
	}
}
