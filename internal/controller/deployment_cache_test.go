package controller

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

func monitoredDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	ws := &webserverv1alpha1.WebServer{}
	ws.Name, ws.Namespace = "shop", "prod"
	ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
	in := resources.WorkloadInputs{Image: "nginx:1", ConfigMapName: "shop-config-1", Revision: "abc", MetricsImage: "metrics:1",
		ContentHash: "c1", SecretHash: "s1", RestartedAt: "2026-12-03T00:00:00Z"}
	dep := builtDeployment(t, ws, in)
	dep.Annotations[annotationLastApplied] = `{"big":"copy"}`
	return dep
}

// TestTrimDeploymentKeepsWhatThePhasesRead: the revision's inputs read the same from the
// trimmed copy as from the whole Deployment.
func TestTrimDeploymentKeepsWhatThePhasesRead(t *testing.T) {
	whole := monitoredDeployment(t)
	out, err := trimDeployment(whole.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	trimmed := out.(*appsv1.Deployment)
	if !isTrimmed(trimmed) || isTrimmed(whole) {
		t.Fatal("only the trimmed copy carries a fingerprint")
	}
	for name, read := range map[string]func(*appsv1.Deployment) string{
		"template inputs": templateInputs,
		"metrics image":   metricsContainerImage,
		"service account": func(d *appsv1.Deployment) string { return d.Spec.Template.Spec.ServiceAccountName },
		"format":          func(d *appsv1.Deployment) string { return string(rune('0' + observedTemplateFormat(d))) },
	} {
		if got, want := read(trimmed), read(whole); got != want || want == "" {
			t.Errorf("%s: trimmed %q, whole %q", name, got, want)
		}
	}
	if !mountedBy(whole.Spec.Template.Spec.Volumes[0].ConfigMap.Name, trimmed) {
		t.Error("the trimmed copy no longer mounts the config ConfigMap")
	}
	for _, v := range trimmed.Spec.Template.Spec.Volumes {
		if v.ConfigMap == nil && v.Secret == nil {
			t.Errorf("volume %s kept: no phase reads a volume that is neither a ConfigMap nor a Secret", v.Name)
		}
	}
	if c := trimmed.Spec.Template.Spec.Containers[0]; c.ReadinessProbe != nil || c.SecurityContext != nil {
		t.Errorf("container not trimmed: %+v", c)
	}
	if _, ok := trimmed.Annotations[annotationLastApplied]; ok {
		t.Error("kubectl's copy kept")
	}
}

// TestFingerprintOfAnAPIAnswer: a Deployment the API server returns (unstructured, as
// applyChild reads it) has the fingerprint its cached copy gets; any change of spec,
// labels or annotations changes it, kubectl's copy does not.
func TestFingerprintOfAnAPIAnswer(t *testing.T) {
	whole := monitoredDeployment(t)
	out, err := trimDeployment(whole.DeepCopy())
	if err != nil {
		t.Fatal(err)
	}
	cached := out.(*appsv1.Deployment).Annotations[annotationObservedFingerprint]

	fingerprint := func(dep *appsv1.Deployment) string {
		t.Helper()
		obj, err := runtime.DefaultUnstructuredConverter.ToUnstructured(dep)
		if err != nil {
			t.Fatal(err)
		}
		u := &unstructured.Unstructured{Object: obj}
		u.SetAPIVersion("apps/v1")
		u.SetKind("Deployment")
		f, err := fingerprintOf(u)
		if err != nil {
			t.Fatal(err)
		}
		return f
	}
	if got := fingerprint(whole); got != cached || got == "" {
		t.Fatalf("API answer %q, cached copy %q", got, cached)
	}
	for name, change := range map[string]func(*appsv1.Deployment){
		"probe":      func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].ReadinessProbe.PeriodSeconds++ },
		"label":      func(d *appsv1.Deployment) { d.Labels["extra"] = "x" },
		"annotation": func(d *appsv1.Deployment) { d.Annotations["extra"] = "x" },
		"strategy":   func(d *appsv1.Deployment) { d.Spec.MinReadySeconds++ },
	} {
		changed := whole.DeepCopy()
		change(changed)
		if fingerprint(changed) == cached {
			t.Errorf("%s changed, fingerprint did not", name)
		}
	}
	unchanged := whole.DeepCopy()
	unchanged.Annotations[annotationLastApplied] = "another copy"
	unchanged.Status.ReadyReplicas = 7
	if fingerprint(unchanged) != cached {
		t.Error("kubectl's copy or the status changed the fingerprint")
	}
}
