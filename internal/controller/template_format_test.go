package controller

import (
	"encoding/json"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// builtDeployment is the Deployment the builder makes, as the API server would store it:
// with the defaults it fills in.
func builtDeployment(t *testing.T, ws *webserverv1alpha1.WebServer, in resources.WorkloadInputs) *appsv1.Deployment {
	t.Helper()
	raw, err := json.Marshal(resources.Deployment(ws, in))
	if err != nil {
		t.Fatal(err)
	}
	dep := &appsv1.Deployment{}
	if err := json.Unmarshal(raw, dep); err != nil {
		t.Fatal(err)
	}
	pod := &dep.Spec.Template.Spec
	pod.RestartPolicy = corev1.RestartPolicyAlways
	pod.DNSPolicy = corev1.DNSClusterFirst
	pod.SchedulerName = corev1.DefaultSchedulerName
	for i := range pod.Containers {
		pod.Containers[i].ImagePullPolicy = corev1.PullIfNotPresent
		pod.Containers[i].TerminationMessagePath = corev1.TerminationMessagePathDefault
	}
	for i := range pod.Volumes {
		if pod.Volumes[i].ConfigMap != nil {
			pod.Volumes[i].ConfigMap.DefaultMode = ptr.To[int32](0o644)
		}
	}
	return dep
}

func TestChooseTemplateFormat(t *testing.T) {
	spec := func(mutate func(*webserverv1alpha1.WebServer)) *webserverv1alpha1.WebServer {
		ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: "site", Namespace: "web", UID: "uid-1"}}
		ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		if mutate != nil {
			mutate(ws)
		}
		return ws
	}
	inputs := func(format resources.TemplateFormat, mutate func(*resources.WorkloadInputs)) resources.WorkloadInputs {
		in := resources.WorkloadInputs{Image: "nginx:1.26", ConfigMapName: "site-config-abc", ContentHash: "c0ffee", ReplicasManaged: true, Format: format}
		if mutate != nil {
			mutate(&in)
		}
		return in
	}
	running := spec(nil)
	format1 := builtDeployment(t, running, inputs(resources.TemplateFormat1, nil))
	format2 := builtDeployment(t, running, inputs(resources.TemplateFormat2, nil))
	format3 := builtDeployment(t, running, inputs(resources.TemplateFormat3, nil))
	spread := spec(func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
			{MaxSkew: 2, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.DoNotSchedule},
		}}
	})
	edited := format1.DeepCopy()
	edited.Spec.Template.Spec.Containers[0].Image = "evil:latest"

	tests := []struct {
		name     string
		observed *appsv1.Deployment
		ws       *webserverv1alpha1.WebServer
		in       func(*resources.WorkloadInputs)
		want     resources.TemplateFormat
	}{
		{"no Deployment yet", nil, running, nil, resources.TemplateFormat3},
		{"already format 3", format3, running, nil, resources.TemplateFormat3},
		{"format 3 stays after a revert", format3, running, func(in *resources.WorkloadInputs) { in.Image = "nginx:1.25" }, resources.TemplateFormat3},
		{"format 2, nothing changed", format2, running, nil, resources.TemplateFormat2},
		{"format 2, only scaled", format2, spec(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](5) }), nil, resources.TemplateFormat2},
		{"format 2, new image", format2, running, func(in *resources.WorkloadInputs) { in.Image = "nginx:1.27-new" }, resources.TemplateFormat3},
		{"format 2, the user's own spread added", format2, spread, nil, resources.TemplateFormat3},
		{"format 1, nothing changed", format1, running, nil, resources.TemplateFormat1},
		{"format 1, only scaled", format1, spec(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](5) }), nil, resources.TemplateFormat1},
		{"format 1, new image", format1, running, func(in *resources.WorkloadInputs) { in.Image = "nginx:1.27-new" }, resources.TemplateFormat3},
		{"format 1, new config", format1, running, func(in *resources.WorkloadInputs) { in.ConfigMapName = "site-config-def" }, resources.TemplateFormat3},
		{"format 1, new content", format1, running, func(in *resources.WorkloadInputs) { in.ContentHash = "beef" }, resources.TemplateFormat3},
		{"format 1, restarted", format1, running, func(in *resources.WorkloadInputs) { in.RestartedAt = "now" }, resources.TemplateFormat3},
		{"format 1, env added", format1, spec(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Env: []corev1.EnvVar{{Name: "A", Value: "b"}}}
		}), nil, resources.TemplateFormat3},
		{"format 1, edited by hand", edited, running, nil, resources.TemplateFormat3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := chooseTemplateFormat(tt.observed, func(format resources.TemplateFormat) *appsv1ac.DeploymentApplyConfiguration {
				return resources.Deployment(tt.ws, inputs(format, tt.in))
			})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("format %d, want %d", got, tt.want)
			}
		})
	}
}

func TestObservedTemplateFormat(t *testing.T) {
	annotated := func(annotations map[string]string) *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{Annotations: annotations}}
	}
	tests := []struct {
		name string
		dep  *appsv1.Deployment
		want resources.TemplateFormat
	}{
		{"absent", nil, resources.TemplateFormat3},
		{"no annotation", annotated(nil), resources.TemplateFormat1},
		{"other annotations only", annotated(map[string]string{"a": "b"}), resources.TemplateFormat1},
		{"format 2", annotated(map[string]string{resources.AnnotationTemplateFormat: "2"}), resources.TemplateFormat2},
		{"format 3", annotated(map[string]string{resources.AnnotationTemplateFormat: "3"}), resources.TemplateFormat3},
		{"a format from a newer operator", annotated(map[string]string{resources.AnnotationTemplateFormat: "9"}), resources.TemplateFormat3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := observedTemplateFormat(tt.dep); got != tt.want {
				t.Errorf("format %d, want %d", got, tt.want)
			}
		})
	}
}
