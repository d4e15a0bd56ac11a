package resources

import (
	"os"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

func monitoredWebServer() *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{}
	ws.Name, ws.Namespace, ws.UID = "shop", "prod", "uid-shop"
	ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
	return ws
}

func TestPodMonitorScrapesTheMetricsPortOfTheWebServersPods(t *testing.T) {
	ws := monitoredWebServer()
	pm := PodMonitor(ws)
	if pm.GetNamespace() != "prod" || pm.GetName() != "shop" || pm.GetKind() != "PodMonitor" {
		t.Fatalf("identity: %s %s/%s", pm.GetKind(), pm.GetNamespace(), pm.GetName())
	}
	if refs := pm.GetOwnerReferences(); len(refs) != 1 || refs[0].UID != ws.UID || refs[0].Controller == nil || !*refs[0].Controller {
		t.Errorf("owner references: %+v", refs)
	}
	selector, _, _ := unstructured.NestedStringMap(pm.Object, "spec", "selector", "matchLabels")
	for k, v := range SelectorLabels(ws) {
		if selector[k] != v {
			t.Errorf("selector %s=%q, want %q", k, selector[k], v)
		}
	}
	endpoints, _, _ := unstructured.NestedSlice(pm.Object, "spec", "podMetricsEndpoints")
	if len(endpoints) != 1 || endpoints[0].(map[string]any)["port"] != MetricsPortName {
		t.Errorf("endpoints: %v", endpoints)
	}
}

func TestPrometheusRuleAlerts(t *testing.T) {
	thresholds := AlertThresholds{ErrorRatio: 0.02, LatencyP95: 250 * time.Millisecond}
	rule := PrometheusRule(monitoredWebServer(), thresholds)
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	if len(groups) != 1 {
		t.Fatalf("groups: %v", groups)
	}
	rules := groups[0].(map[string]any)["rules"].([]any)
	want := map[string]struct{ severity, exprHas string }{
		AlertSiteDown:       {"critical", `webserver_nginx_up{namespace="prod",webserver="shop"}`},
		AlertErrorRatioHigh: {"warning", "> 0.02"},
		AlertLatencyHigh:    {"warning", "> 0.25"},
		AlertRolloutFailed:  {"warning", `result=~"failed|rolled_back"`},
	}
	if len(rules) != len(want) {
		t.Fatalf("want %d alerts, got %d", len(want), len(rules))
	}
	for _, r := range rules {
		r := r.(map[string]any)
		name := r["alert"].(string)
		w, ok := want[name]
		if !ok {
			t.Errorf("unexpected alert %s", name)
			continue
		}
		if got := r["labels"].(map[string]any)["severity"]; got != w.severity {
			t.Errorf("%s: severity %v, want %s", name, got, w.severity)
		}
		if expr := r["expr"].(string); !strings.Contains(expr, w.exprHas) {
			t.Errorf("%s: expr %q lacks %q", name, expr, w.exprHas)
		}
		annotations := r["annotations"].(map[string]any)
		if url := annotations["runbook_url"].(string); !strings.HasSuffix(url, "/docs/runbooks/"+name+".md") {
			t.Errorf("%s: runbook_url %q", name, url)
		}
		if annotations["summary"] == "" || annotations["description"] == "" {
			t.Errorf("%s: annotations %v", name, annotations)
		}
	}
}

func TestMetricsContainerOnlyWithMonitoring(t *testing.T) {
	ws := monitoredWebServer()
	in := WorkloadInputs{Image: "nginx:1", ConfigMapName: "shop-config-1", Revision: "abc", MetricsImage: "metrics:1"}
	dep := Deployment(ws, in)
	inits := dep.Spec.Template.Spec.InitContainers
	if len(inits) != 1 || *inits[0].Name != MetricsContainerName || *inits[0].Image != "metrics:1" {
		t.Fatalf("init containers: %+v", inits)
	}
	c := inits[0]
	if c.RestartPolicy == nil || *c.RestartPolicy != "Always" {
		t.Error("the metrics container must be a native sidecar (restartPolicy Always)")
	}
	if c.ReadinessProbe != nil {
		t.Error("the metrics container must not take part in the pod's readiness")
	}
	var revision string
	for _, e := range c.Env {
		if *e.Name == RevisionEnv {
			revision = *e.Value
		}
	}
	if revision != "abc" {
		t.Errorf("revision env %q", revision)
	}
	if sc := c.SecurityContext; sc == nil || !*sc.ReadOnlyRootFilesystem || *sc.AllowPrivilegeEscalation {
		t.Errorf("security context: %+v", sc)
	}

	// nginx, the metrics container and the config check all see the log pipe's directory.
	check := ConfigCheckPod(ws, "abc", in)
	for name, pod := range map[string]*corev1ac.PodSpecApplyConfiguration{"serving pod": dep.Spec.Template.Spec, "config check": check.Spec} {
		if !hasVolume(pod, metricsLogVolumeName) {
			t.Errorf("%s: no %s volume", name, metricsLogVolumeName)
		}
		for _, c := range append(pod.InitContainers, pod.Containers...) {
			if !mounts(c, metricsLogVolumeName, MetricsLogDir) {
				t.Errorf("%s: container %s does not mount %s at %s", name, *c.Name, metricsLogVolumeName, MetricsLogDir)
			}
		}
	}

	ws.Spec.Monitoring.Enabled = false
	dep = Deployment(ws, in)
	if inits := dep.Spec.Template.Spec.InitContainers; len(inits) != 0 {
		t.Errorf("without monitoring: %d init containers", len(inits))
	}
	if hasVolume(dep.Spec.Template.Spec, metricsLogVolumeName) {
		t.Error("without monitoring: a log pipe volume")
	}
}

func hasVolume(pod *corev1ac.PodSpecApplyConfiguration, name string) bool {
	for _, v := range pod.Volumes {
		if *v.Name == name {
			return true
		}
	}
	return false
}

func mounts(c corev1ac.ContainerApplyConfiguration, volume, path string) bool {
	for _, m := range c.VolumeMounts {
		if *m.Name == volume && *m.MountPath == path {
			return true
		}
	}
	return false
}

func TestNginxConfLogsForMetricsOnlyWithMonitoring(t *testing.T) {
	ws := monitoredWebServer()
	conf := RenderNginxConf(ws, "", ContainerResources(ws))
	for _, want := range []string{"log_format webserver_metrics escape=json", "access_log /run/webserver-metrics/requests.pipe webserver_metrics buffer=4096 flush=1s", "~^kube-probe/ 0;"} {
		if !strings.Contains(conf, want) {
			t.Errorf("nginx.conf lacks %q", want)
		}
	}
	ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
	conf = RenderNginxConf(ws, "", ContainerResources(ws))
	site := conf[strings.Index(conf, "listen unix:"):]
	if !strings.Contains(site[:strings.Index(site, "root ")], "access_log /dev/stdout;") {
		t.Error("behind basic auth, the inner hop must not be counted again")
	}
	ws.Spec.Monitoring = nil
	if conf := RenderNginxConf(ws, "", ContainerResources(ws)); strings.Contains(conf, "webserver_metrics") {
		t.Error("nginx.conf logs for metrics without monitoring")
	}
}

// TestEveryAlertHasARunbook: runbook_url points into docs/runbooks, which must hold the page.
func TestEveryAlertHasARunbook(t *testing.T) {
	for _, name := range []string{AlertSiteDown, AlertErrorRatioHigh, AlertLatencyHigh, AlertRolloutFailed} {
		page, err := os.ReadFile("../../docs/runbooks/" + name + ".md")
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for _, section := range []string{"**What it means.**", "**How to check.**", "**How to fix.**"} {
			if !strings.Contains(string(page), section) {
				t.Errorf("%s's runbook lacks %s", name, section)
			}
		}
	}
}
