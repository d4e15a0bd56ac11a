package resources

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
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
	in := WorkloadInputs{Image: "nginx:1.27", ConfigMapName: "site-config-abc", ContentHash: "c0ffee", RestartedAt: ws.Spec.RestartedAt, ReplicasManaged: true}
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
	if dep.Annotations[AnnotationTemplateFormat] != "3" {
		t.Errorf("Deployment annotations = %v, want the template format", dep.Annotations)
	}
	tmpl := dep.Spec.Template
	if tmpl.Annotations[AnnotationRestartedAt] != "now" {
		t.Errorf("template annotations = %v", tmpl.Annotations)
	}
	if _, ok := tmpl.Annotations[AnnotationContentHash]; ok {
		t.Errorf("format 2 carries the content hash annotation: the snapshot's name rolls the pods")
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
	if pod.NodeSelector["disk"] != "ssd" || len(pod.Tolerations) != 1 || pod.ServiceAccountName != "site-nginx" {
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
	if content != "site-content-c0ffee" || config != "site-config-abc" {
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
	sa := asTyped[corev1.ServiceAccount](t, ServiceAccount(webServer(nil), CurrentTemplateFormat))
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Error("service account token is mounted")
	}
}

// A WebServer may have any name, including those of the ServiceAccounts Kubernetes and
// OpenShift put in every namespace.
func TestServiceAccountName(t *testing.T) {
	tests := []struct {
		name   string
		format TemplateFormat
		want   string
	}{
		{"default", TemplateFormat2, "default-nginx"},
		{"builder", TemplateFormat2, "builder-nginx"},
		{"deployer", TemplateFormat2, "deployer-nginx"},
		{"site", 0, "site-nginx"},
		{"site", TemplateFormat1, "site"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/format%d", tt.name, tt.format), func(t *testing.T) {
			ws := webServer(func(ws *webserverv1alpha1.WebServer) { ws.Name = tt.name })
			sa := asTyped[corev1.ServiceAccount](t, ServiceAccount(ws, tt.format))
			dep := asTyped[appsv1.Deployment](t, Deployment(ws, WorkloadInputs{Format: tt.format}))
			if sa.Name != tt.want || dep.Spec.Template.Spec.ServiceAccountName != tt.want {
				t.Errorf("ServiceAccount %q, pods run as %q, want %q", sa.Name, dep.Spec.Template.Spec.ServiceAccountName, tt.want)
			}
			if tt.format != TemplateFormat1 && ServiceAccountName(ws) != tt.want {
				t.Errorf("ServiceAccountName = %q, want %q", ServiceAccountName(ws), tt.want)
			}
		})
	}
}

// Format 1 is what operators before the template-format annotation built: an upgraded
// operator must be able to build it exactly, so it can leave such pods alone.
func TestDeploymentTemplateFormats(t *testing.T) {
	withContent := webServer(func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
	})
	tests := []struct {
		name               string
		ws                 *webserverv1alpha1.WebServer
		format             TemplateFormat
		wantFormat         string // Deployment annotation
		wantServiceAccount string
		wantContentVolume  string
		wantContentHash    string // pod annotation
	}{
		{"format 1 with content", withContent, TemplateFormat1, "", "site", "pages", "c0ffee"},
		{"format 2 with content", withContent, TemplateFormat2, "2", "site-nginx", "site-content-c0ffee", ""},
		{"format 1 without content", webServer(nil), TemplateFormat1, "", "site", "site-config-abc", ""},
		{"format 2 without content", webServer(nil), TemplateFormat2, "2", "site-nginx", "site-config-abc", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := WorkloadInputs{Image: "nginx", ConfigMapName: "site-config-abc", Format: tt.format}
			if tt.ws.Spec.Content != nil {
				in.ContentHash = "c0ffee"
			}
			dep := asTyped[appsv1.Deployment](t, Deployment(tt.ws, in))
			if got := dep.Annotations[AnnotationTemplateFormat]; got != tt.wantFormat {
				t.Errorf("template format annotation = %q, want %q", got, tt.wantFormat)
			}
			pod := dep.Spec.Template
			if pod.Spec.ServiceAccountName != tt.wantServiceAccount {
				t.Errorf("serviceAccountName = %q, want %q", pod.Spec.ServiceAccountName, tt.wantServiceAccount)
			}
			if got := pod.Annotations[AnnotationContentHash]; got != tt.wantContentHash {
				t.Errorf("content hash annotation = %q, want %q", got, tt.wantContentHash)
			}
			for _, v := range pod.Spec.Volumes {
				if v.Name == ContentVolume && v.ConfigMap.Name != tt.wantContentVolume {
					t.Errorf("content volume mounts %q, want %q", v.ConfigMap.Name, tt.wantContentVolume)
				}
			}
		})
	}
}

func TestContentConfigMap(t *testing.T) {
	ws := webServer(nil)
	data := map[string]string{"index.html": "<h1>hi</h1>"}
	binary := map[string][]byte{"logo.png": {0x89, 'P', 'N', 'G'}}
	cm := asTyped[corev1.ConfigMap](t, ContentConfigMap(ws, data, binary))

	hash := HashData(data, binary)
	if cm.Name != ContentConfigMapName(ws, hash) || cm.Name != "site-content-"+hash {
		t.Errorf("name = %q, want site-content-%s", cm.Name, hash)
	}
	if cm.Immutable == nil || !*cm.Immutable {
		t.Error("content snapshot is mutable")
	}
	if cm.Data["index.html"] != data["index.html"] || string(cm.BinaryData["logo.png"]) != string(binary["logo.png"]) {
		t.Errorf("data %v binaryData %v not copied", cm.Data, cm.BinaryData)
	}
	for k, v := range Labels(ws) {
		if cm.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, cm.Labels[k], v)
		}
	}
	if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != ws.UID || !*cm.OwnerReferences[0].Controller {
		t.Errorf("owner references = %+v", cm.OwnerReferences)
	}

	tests := []struct {
		name   string
		data   map[string]string
		binary map[string][]byte
	}{
		{"text changed", map[string]string{"index.html": "<h1>ho</h1>"}, binary},
		{"binary changed", data, map[string][]byte{"logo.png": {0x89, 'P', 'N', 'H'}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := asTyped[corev1.ConfigMap](t, ContentConfigMap(ws, tt.data, tt.binary))
			if other.Name == cm.Name {
				t.Errorf("different content shares the snapshot name %q", cm.Name)
			}
		})
	}
}

func TestPodDisruptionBudget(t *testing.T) {
	tests := []struct {
		name       string
		mutate     func(*webserverv1alpha1.WebServer)
		wantNil    bool
		wantMin    *intstr.IntOrString
		wantMaxUna *intstr.IntOrString
	}{
		{"one pod: none", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](1) }, true, nil, nil},
		{"idle: none", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](3); ws.Spec.Idle = true }, true, nil, nil},
		{"two pods: one stays up", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](2) }, false, ptr.To(intstr.FromInt32(1)), nil},
		{"minAvailable from the spec", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Replicas = ptr.To[int32](4)
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromString("75%"))}
		}, false, ptr.To(intstr.FromString("75%")), nil},
		{"maxUnavailable from the spec", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Replicas = ptr.To[int32](4)
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MaxUnavailable: ptr.To(intstr.FromInt32(2))}
		}, false, nil, ptr.To(intstr.FromInt32(2))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := webServer(tt.mutate)
			ac := PodDisruptionBudget(ws)
			if tt.wantNil {
				if ac != nil {
					t.Fatal("a budget for fewer than two pods")
				}
				return
			}
			pdb := asTyped[policyv1.PodDisruptionBudget](t, ac)
			if !reflect.DeepEqual(pdb.Spec.MinAvailable, tt.wantMin) || !reflect.DeepEqual(pdb.Spec.MaxUnavailable, tt.wantMaxUna) {
				t.Errorf("minAvailable %v maxUnavailable %v, want %v %v", pdb.Spec.MinAvailable, pdb.Spec.MaxUnavailable, tt.wantMin, tt.wantMaxUna)
			}
			if !reflect.DeepEqual(pdb.Spec.Selector.MatchLabels, SelectorLabels(ws)) {
				t.Errorf("selector %v", pdb.Spec.Selector.MatchLabels)
			}
		})
	}
}

func TestReadinessProbe(t *testing.T) {
	probe := func(ws *webserverv1alpha1.WebServer) *corev1.Probe {
		dep := asTyped[appsv1.Deployment](t, Deployment(ws, WorkloadInputs{Image: "nginx", ConfigMapName: "c"}))
		return dep.Spec.Template.Spec.Containers[0].ReadinessProbe
	}
	byDefault := probe(webServer(nil))
	if byDefault.HTTPGet.Path != HealthPath || byDefault.HTTPGet.Port.StrVal != StatusPortName {
		t.Errorf("default readiness %s on %s, want the health endpoint", byDefault.HTTPGet.Path, byDefault.HTTPGet.Port.String())
	}
	site := probe(webServer(func(ws *webserverv1alpha1.WebServer) { ws.Spec.ReadinessPath = readyPath }))
	if site.HTTPGet.Path != readyPath || site.HTTPGet.Port.StrVal != HTTPPortName || site.PeriodSeconds != 5 {
		t.Errorf("readiness %s on %s every %ds, want /ready on the site's port", site.HTTPGet.Path, site.HTTPGet.Port.String(), site.PeriodSeconds)
	}
}

func TestDefaultTopologySpread(t *testing.T) {
	spreadOf := func(ws *webserverv1alpha1.WebServer, format TemplateFormat) []corev1.TopologySpreadConstraint {
		return asTyped[appsv1.Deployment](t, Deployment(ws, WorkloadInputs{Image: "nginx", ConfigMapName: "c", Format: format})).Spec.Template.Spec.TopologySpreadConstraints
	}
	byDefault := spreadOf(webServer(nil), CurrentTemplateFormat)
	if len(byDefault) != 1 || byDefault[0].TopologyKey != corev1.LabelHostname || byDefault[0].WhenUnsatisfiable != corev1.ScheduleAnyway ||
		byDefault[0].MaxSkew != 1 || len(byDefault[0].MatchLabelKeys) != 1 || byDefault[0].MatchLabelKeys[0] != appsv1.DefaultDeploymentUniqueLabelKey {
		t.Errorf("default spread %+v, want one ScheduleAnyway constraint across nodes per rollout", byDefault)
	}
	if got := spreadOf(webServer(nil), TemplateFormat2); len(got) != 0 {
		t.Errorf("a format-2 template gained %+v: Deployments of older operators would restart", got)
	}
	own := []corev1.TopologySpreadConstraint{{MaxSkew: 2, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.DoNotSchedule}}
	got := spreadOf(webServer(func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{TopologySpreadConstraints: own}
	}), CurrentTemplateFormat)
	if len(got) != 1 || got[0].TopologyKey != "topology.kubernetes.io/zone" {
		t.Errorf("the spec's own constraints %+v, want them instead of the default", got)
	}
}

func TestTLSAndAuthWorkload(t *testing.T) {
	tlsSite := webServer(func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
		ws.Spec.ReadinessPath = readyPath
	})
	dep := asTyped[appsv1.Deployment](t, Deployment(tlsSite, WorkloadInputs{Image: "nginx", ConfigMapName: "c", SecretHash: "abc"}))
	pod := dep.Spec.Template.Spec
	var https bool
	for _, p := range pod.Containers[0].Ports {
		https = https || (p.Name == HTTPSPortName && p.ContainerPort == 8443)
	}
	if !https {
		t.Errorf("no https container port 8443: %+v", pod.Containers[0].Ports)
	}
	if probe := pod.Containers[0].ReadinessProbe.HTTPGet; probe.Port.StrVal != HTTPSPortName || probe.Scheme != corev1.URISchemeHTTPS {
		t.Errorf("readiness on %s over %s, want the https port over HTTPS (plain HTTP only redirects)", probe.Port.String(), probe.Scheme)
	}
	var mounted bool
	for _, v := range pod.Volumes {
		mounted = mounted || (v.Name == SecretVolume && v.Secret != nil && v.Secret.SecretName == "site-secret-abc" && *v.Secret.DefaultMode == 0o440)
	}
	if !mounted {
		t.Errorf("the secret snapshot site-secret-abc is not mounted read-only for the group: %+v", pod.Volumes)
	}

	plain := asTyped[appsv1.Deployment](t, Deployment(webServer(nil), WorkloadInputs{Image: "nginx", ConfigMapName: "c"}))
	if n := len(plain.Spec.Template.Spec.Volumes); n != 3 {
		t.Errorf("a WebServer without tls or auth has %d volumes, want 3", n)
	}

	svc := asTyped[corev1.Service](t, Service(tlsSite))
	if len(svc.Spec.Ports) != 2 || svc.Spec.Ports[1].Port != 443 || svc.Spec.Ports[1].TargetPort.StrVal != HTTPSPortName {
		t.Errorf("Service ports %+v, want http and https on 443", svc.Spec.Ports)
	}
	if url := ServiceURL(tlsSite); url != "https://site.web.svc" {
		t.Errorf("URL %s, want https://site.web.svc", url)
	}
}

func TestSecretSnapshot(t *testing.T) {
	ws := webServer(nil)
	material := SecretMaterial{TLSCert: []byte("cert"), TLSKey: []byte("key"), Htpasswd: []byte("u:h\n")}
	secret := asTyped[corev1.Secret](t, SecretSnapshot(ws, material, &CertificateFacts{NotAfter: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), DNSNames: []string{"a.test", "b.test"}}))
	if secret.Name != SecretSnapshotName(ws, material.Hash()) || !*secret.Immutable || len(secret.Data) != 3 {
		t.Errorf("snapshot %s immutable=%v with %d keys", secret.Name, *secret.Immutable, len(secret.Data))
	}
	facts, ok := ParseCertificateAnnotations(secret.Annotations)
	if !ok || !facts.NotAfter.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) || strings.Join(facts.DNSNames, " ") != "a.test b.test" {
		t.Errorf("certificate annotations read back as %+v", facts)
	}
	if (SecretMaterial{}).Hash() != "" {
		t.Error("no material must hash to nothing")
	}
	rotated := material
	rotated.TLSCert = []byte("cert2")
	if rotated.Hash() == material.Hash() {
		t.Error("a rotated certificate must change the hash")
	}
}
