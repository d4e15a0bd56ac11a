package resources

import (
	"fmt"
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/sidecar"
)

// The Prometheus Operator's kinds the operator writes when their CRDs exist.
var (
	PodMonitorGVK     = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PodMonitor"}
	PrometheusRuleGVK = schema.GroupVersionKind{Group: "monitoring.coreos.com", Version: "v1", Kind: "PrometheusRule"}
)

// Alert names; each has a runbook at docs/runbooks/<name>.md.
const (
	AlertSiteDown       = "WebServerSiteDown"
	AlertErrorRatioHigh = "WebServerErrorRatioHigh"
	AlertLatencyHigh    = "WebServerLatencyHigh"
	AlertRolloutFailed  = "WebServerRolloutFailed"

	// WebServerLabel is the label the PodMonitor gives every series of a WebServer's pods.
	WebServerLabel = "webserver"

	runbookBase = "https://github.com/webserver-operator/webserver-operator/blob/main/docs/runbooks/"
)

// AlertThresholds are the limits of the warning alerts.
type AlertThresholds struct {
	// ErrorRatio is the share of 5xx answers (0..1) above which the error alert fires.
	ErrorRatio float64
	// LatencyP95 is the 95th percentile of request duration above which the latency alert fires.
	LatencyP95 time.Duration
}

// DefaultAlertThresholds: 5 % server errors, or a p95 over half a second, for 5 minutes.
var DefaultAlertThresholds = AlertThresholds{ErrorRatio: 0.05, LatencyP95: 500 * time.Millisecond}

// MonitoringName names the PodMonitor and the PrometheusRule of ws.
func MonitoringName(ws *webserverv1alpha1.WebServer) string { return ws.Name }

func monitoringObject(ws *webserverv1alpha1.WebServer, gvk schema.GroupVersionKind, spec map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	u.SetGroupVersionKind(gvk)
	u.SetNamespace(ws.Namespace)
	u.SetName(MonitoringName(ws))
	labels := map[string]string{}
	for k, v := range Labels(ws) {
		labels[k] = v
	}
	u.SetLabels(labels)
	owner := OwnerReference(ws)
	u.Object["metadata"].(map[string]any)["ownerReferences"] = []any{map[string]any{
		"apiVersion": *owner.APIVersion, "kind": *owner.Kind, "name": *owner.Name, "uid": string(*owner.UID),
		"controller": true, "blockOwnerDeletion": true,
	}}
	return u
}

// PodMonitor has Prometheus scrape the metrics container of every pod of ws, its series
// labelled with the WebServer's name. Pods are scraped directly, so no Service (which may
// be a NodePort or a LoadBalancer) ever exposes the metrics port.
func PodMonitor(ws *webserverv1alpha1.WebServer) *unstructured.Unstructured {
	selector := map[string]any{}
	for k, v := range SelectorLabels(ws) {
		selector[k] = v
	}
	return monitoringObject(ws, PodMonitorGVK, map[string]any{
		"selector": map[string]any{"matchLabels": selector},
		"podMetricsEndpoints": []any{map[string]any{
			"port": MetricsPortName,
			"path": "/metrics",
			"relabelings": []any{map[string]any{
				"action":       "replace",
				"sourceLabels": []any{"__meta_kubernetes_pod_label_app_kubernetes_io_instance"},
				"targetLabel":  WebServerLabel,
			}},
		}},
	})
}

// PrometheusRule holds the few symptom alerts of ws: the site is down (critical); it
// answers with errors or slowly (warning); a rollout failed or was rolled back (warning,
// from the operator's own metrics).
func PrometheusRule(ws *webserverv1alpha1.WebServer, t AlertThresholds) *unstructured.Unstructured {
	site := fmt.Sprintf(`namespace=%q,%s=%q`, ws.Namespace, WebServerLabel, ws.Name)
	object := fmt.Sprintf(`namespace=%q,name=%q`, ws.Namespace, ws.Name)
	requests := fmt.Sprintf(`sum(rate(%s{%s}[5m]))`, sidecar.RequestsTotal, site)
	rules := []any{
		alert(ws, AlertSiteDown, "critical", "1m",
			// Pods are wanted (not idle) but no nginx answers its metrics container.
			fmt.Sprintf(`(max(webserver_operator_webserver_desired_replicas{%s}) > 0) unless on() (sum(webserver_nginx_up{%s}) > 0)`, object, site),
			"WebServer "+ws.Namespace+"/"+ws.Name+" is down",
			"No pod of WebServer "+ws.Namespace+"/"+ws.Name+" answers, although pods are desired."),
		alert(ws, AlertErrorRatioHigh, "warning", "5m",
			fmt.Sprintf(`sum(rate(%s{%s,class="5xx"}[5m])) / %s > %s`, sidecar.RequestsTotal, site, requests, strconv.FormatFloat(t.ErrorRatio, 'f', -1, 64)),
			"WebServer "+ws.Namespace+"/"+ws.Name+" answers with server errors",
			fmt.Sprintf("More than %s %% of the requests of WebServer %s/%s got a 5xx answer over the last 5 minutes.",
				strconv.FormatFloat(t.ErrorRatio*100, 'f', -1, 64), ws.Namespace, ws.Name)),
		alert(ws, AlertLatencyHigh, "warning", "10m",
			fmt.Sprintf(`histogram_quantile(0.95, sum by (le) (rate(%s_bucket{%s}[5m]))) > %s`,
				sidecar.RequestDuration, site, strconv.FormatFloat(t.LatencyP95.Seconds(), 'f', -1, 64)),
			"WebServer "+ws.Namespace+"/"+ws.Name+" answers slowly",
			fmt.Sprintf("The 95th percentile of request duration of WebServer %s/%s was above %s over the last 5 minutes.",
				ws.Namespace, ws.Name, t.LatencyP95)),
		alert(ws, AlertRolloutFailed, "warning", "0s",
			fmt.Sprintf(`increase(webserver_operator_upgrades_total{%s,result=~"failed|rolled_back"}[15m]) > 0`, object),
			"A rollout of WebServer "+ws.Namespace+"/"+ws.Name+" failed",
			"A new revision of WebServer "+ws.Namespace+"/"+ws.Name+" failed in the last 15 minutes and was rolled back or left in place; its status says why."),
	}
	return monitoringObject(ws, PrometheusRuleGVK, map[string]any{
		"groups": []any{map[string]any{"name": "webserver-" + ws.Name, "rules": rules}},
	})
}

// alert is one rule; its labels name the WebServer, whatever the expression keeps, so an
// Alertmanager can route by namespace and site.
func alert(ws *webserverv1alpha1.WebServer, name, severity, forDuration, expr, summary, description string) map[string]any {
	r := map[string]any{
		"alert":  name,
		"expr":   expr,
		"labels": map[string]any{"severity": severity, "namespace": ws.Namespace, WebServerLabel: ws.Name},
		"annotations": map[string]any{
			"summary":     summary,
			"description": description,
			"runbook_url": runbookBase + name + ".md",
		},
	}
	if forDuration != "0s" {
		r["for"] = forDuration
	}
	return r
}

// AlertThresholdsOf are the spec's thresholds, defaults where it sets none.
func AlertThresholdsOf(ws *webserverv1alpha1.WebServer) AlertThresholds {
	t := DefaultAlertThresholds
	if m := ws.Spec.Monitoring; m != nil {
		if m.ErrorRatioPercent > 0 {
			t.ErrorRatio = float64(m.ErrorRatioPercent) / 100
		}
		if m.LatencyP95Milliseconds > 0 {
			t.LatencyP95 = time.Duration(m.LatencyP95Milliseconds) * time.Millisecond
		}
	}
	return t
}
