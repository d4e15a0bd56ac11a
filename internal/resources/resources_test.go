package resources

import (
	"encoding/json"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

func webServer(mutate func(*webserverv1alpha1.WebServer)) *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: "site", Namespace: "web", UID: "uid-1"}}
	if mutate != nil {
		mutate(ws)
	}
	return ws
}

// asTyped converts an apply configuration to its typed object for easy assertions.
func asTyped[T any](t *testing.T, applyConfig any) *T {
	t.Helper()
	raw, err := json.Marshal(applyConfig)
	if err != nil {
		t.Fatal(err)
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestVersionLabel(t *testing.T) {
	tests := map[string]string{
		"nginx":                               "latest",
		"nginx:1.27":                          "1.27",
		"127.0.0.1:5000/nginx":                "latest",
		"127.0.0.1:5000/nginx:1.27-bookworm":  "1.27-bookworm",
		"nginx@sha256:0123456789abcdef012345": "0123456789ab",
		"nginx:" + strings.Repeat("a", 80):    strings.Repeat("a", 63),
	}
	for image, want := range tests {
		if got := VersionLabel(image); got != want {
			t.Errorf("VersionLabel(%q) = %q, want %q", image, got, want)
		}
	}
}

func TestContainerResources(t *testing.T) {
	cpu, mem := resource.MustParse("500m"), resource.MustParse("256Mi")
	tests := []struct {
		name string
		in   *corev1.ResourceRequirements
		want corev1.ResourceList
	}{
		{"defaults", nil, corev1.ResourceList{corev1.ResourceCPU: defaultCPU, corev1.ResourceMemory: defaultMemory}},
		{"limits only", &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}},
			corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}},
		{"requests only", &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}},
			corev1.ResourceList{corev1.ResourceCPU: cpu, corev1.ResourceMemory: mem}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ContainerResources(webServer(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Resources = tt.in }))
			for name, q := range tt.want {
				if r, l := got.Requests[name], got.Limits[name]; r.Cmp(q) != 0 || l.Cmp(q) != 0 {
					t.Errorf("%s: requests %s limits %s, want both %s", name, r.String(), l.String(), q.String())
				}
			}
		})
	}
}

func TestWorkerProcesses(t *testing.T) {
	tests := map[string]int64{"100m": 1, "1": 1, "1500m": 2, "4": 4, "64": 16}
	for cpu, want := range tests {
		r := corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu)}}
		if got := WorkerProcesses(r); got != want {
			t.Errorf("WorkerProcesses(cpu=%s) = %d, want %d", cpu, got, want)
		}
	}
}

func TestRenderConfig(t *testing.T) {
	plain := RenderConfig(webServer(nil), "")
	conf := plain.Data[NginxConfKey]
	for _, want := range []string{
		"pid /tmp/nginx.pid;", "listen 8080;", "listen 8079;", "location = /healthz", "stub_status;",
		"client_body_temp_path /tmp/client_body;", "try_files $uri $uri/ =404;", "worker_processes 1;",
	} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q:\n%s", want, conf)
		}
	}
	if _, ok := plain.Data[DefaultIndexKey]; !ok {
		t.Error("no default page without spec.content")
	}

	custom := RenderConfig(webServer(nil), "location / { return 200 'hi'; }")
	if !strings.Contains(custom.Data[NginxConfKey], "return 200 'hi';") || strings.Contains(custom.Data[NginxConfKey], "try_files") {
		t.Errorf("user server block not rendered in place of the default:\n%s", custom.Data[NginxConfKey])
	}
	if custom.Hash == plain.Hash {
		t.Error("different configs share a hash")
	}
	if again := RenderConfig(webServer(nil), "location / { return 200 'hi'; }"); again.Hash != custom.Hash {
		t.Error("hash is not stable")
	}
	withContent := RenderConfig(webServer(func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
	}), "")
	if _, ok := withContent.Data[DefaultIndexKey]; ok {
		t.Error("default page rendered although spec.content serves the files")
	}
}

func TestDeployment(t *testing.T) {
	ws := webServer(func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.Replicas = ptr.To[int32](3)
		ws.Spec.RestartedAt = "now"
		ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{
			NodeSelector: map[string]string{"disk": "ssd"},
			Tolerations:  []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}},
			Env:          []corev1.EnvVar{{Name: "A", Value: "b"}},
		}
	})
	in := WorkloadInputs{Image: "nginx:1.27", ConfigMapName: "site-config-abc", ContentHash: "c0ffee", ReplicasManaged: true}
	dep := asTyped[appsv1.Deployment](t, Deployment(ws, in))

	if *dep.Spec.Replicas != 3 {
		t.Errorf("replicas = %d", *dep.Spec.Replicas)
	}
	if dep.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue() != 0 {
		t.Error("rollouts may drop capacity")
	}
	if dep.OwnerReferences[0].UID != "uid-1" || !*dep.OwnerReferences[0].Controller {
		t.Errorf("owner reference = %+v", dep.OwnerReferences)
	}
	tmpl := dep.Spec.Template
	if tmpl.Annotations[AnnotationRestartedAt] != "now" || tmpl.Annotations[AnnotationContentHash] != "c0ffee" {
		t.Errorf("template annotations = %v", tmpl.Annotations)
	}
	for k, v := range SelectorLabels(ws) {
		if tmpl.Labels[k] != v || dep.Spec.Selector.MatchLabels[k] != v {
			t.Errorf("selector label %s missing", k)
		}
	}
	if _, ok := dep.Spec.Selector.MatchLabels[LabelVersion]; ok {
		t.Error("selector holds the version: it is immutable, upgrades would fail")
	}
	pod := tmpl.Spec
	if pod.NodeSelector["disk"] != "ssd" || len(pod.Tolerations) != 1 || pod.ServiceAccountName != "site" {
		t.Errorf("pod settings lost: %+v", pod)
	}
	c := pod.Containers[0]
	if c.Image != "nginx:1.27" || c.Env[0].Name != "A" || c.Lifecycle.PreStop.Sleep == nil {
		t.Errorf("container = %+v", c)
	}
	sc := c.SecurityContext
	if !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation || !*sc.RunAsNonRoot || sc.Capabilities.Drop[0] != "ALL" {
		t.Errorf("container security context not restricted: %+v", sc)
	}
	var content, config string
	for _, v := range pod.Volumes {
		switch v.Name {
		case "html":
			content = v.ConfigMap.Name
		case ConfigVolume:
			config = v.ConfigMap.Name
		}
	}
	if content != "pages" || config != "site-config-abc" {
		t.Errorf("volumes: content %q config %q", content, config)
	}

	in.ReplicasManaged = false
	if dep := asTyped[appsv1.Deployment](t, Deployment(ws, in)); dep.Spec.Replicas != nil {
		t.Error("replicas set although another controller owns them")
	}
	idle := webServer(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](3); ws.Spec.Idle = true })
	if dep := asTyped[appsv1.Deployment](t, Deployment(idle, WorkloadInputs{ReplicasManaged: true})); *dep.Spec.Replicas != 0 {
		t.Error("idle WebServer keeps pods")
	}
}

func TestService(t *testing.T) {
	tests := []struct {
		name         string
		spec         webserverv1alpha1.ServiceSpec
		wantType     corev1.ServiceType
		wantPort     int32
		wantNodePort int32
	}{
		{"defaults", webserverv1alpha1.ServiceSpec{}, corev1.ServiceTypeClusterIP, 80, 0},
		{"node port", webserverv1alpha1.ServiceSpec{Type: corev1.ServiceTypeNodePort, Port: 8080, NodePort: 30080}, corev1.ServiceTypeNodePort, 8080, 30080},
		{"node port ignored for ClusterIP", webserverv1alpha1.ServiceSpec{Type: corev1.ServiceTypeClusterIP, NodePort: 30080}, corev1.ServiceTypeClusterIP, 80, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := asTyped[corev1.Service](t, Service(webServer(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service = tt.spec })))
			p := svc.Spec.Ports[0]
			if svc.Spec.Type != tt.wantType || p.Port != tt.wantPort || p.NodePort != tt.wantNodePort || p.TargetPort.StrVal != HTTPPortName {
				t.Errorf("service = %s %+v", svc.Spec.Type, p)
			}
		})
	}
}

func TestServiceAccountMountsNoToken(t *testing.T) {
	sa := asTyped[corev1.ServiceAccount](t, ServiceAccount(webServer(nil)))
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("service account token is mounted")
	}
}
