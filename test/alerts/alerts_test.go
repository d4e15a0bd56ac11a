// Package alerts runs the alerts of a WebServer's PrometheusRule through promtool's rule
// unit tests: synthetic series in, the alerts that fire (with their labels and
// annotations) out, so a broken expression or a wrong threshold fails make test.
package alerts

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
	"github.com/webserver-operator/webserver-operator/internal/testutil"
)

type series struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type expectedAlert struct {
	Labels      map[string]string `json:"exp_labels"`
	Annotations map[string]string `json:"exp_annotations"`
}

type alertTest struct {
	EvalTime  string          `json:"eval_time"`
	AlertName string          `json:"alertname"`
	ExpAlerts []expectedAlert `json:"exp_alerts"`
}

type unitTest struct {
	Name      string      `json:"name"`
	Interval  string      `json:"interval"`
	Input     []series    `json:"input_series"`
	AlertTest []alertTest `json:"alert_rule_test"`
}

const (
	site   = `namespace="prod",webserver="shop"`
	object = `namespace="prod",name="shop"`
)

// ruleOf renders the WebServer's PrometheusRule and returns its rule groups (what promtool
// reads) and each alert's annotations.
func ruleOf(t *testing.T, ws *webserverv1alpha1.WebServer) (map[string]any, map[string]map[string]string) {
	rule := resources.PrometheusRule(ws, resources.AlertThresholdsOf(ws))
	spec, _, err := unstructured.NestedMap(rule.Object, "spec")
	if err != nil {
		t.Fatal(err)
	}
	annotations := map[string]map[string]string{}
	groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
	for _, g := range groups {
		for _, r := range g.(map[string]any)["rules"].([]any) {
			r := r.(map[string]any)
			a := map[string]string{}
			for k, v := range r["annotations"].(map[string]any) {
				a[k] = v.(string)
			}
			annotations[r["alert"].(string)] = a
		}
	}
	return spec, annotations
}

func firing(annotations map[string]map[string]string, alert, severity string) []expectedAlert {
	return []expectedAlert{{Labels: map[string]string{"severity": severity, "namespace": "prod", "webserver": "shop"}, Annotations: annotations[alert]}}
}

func TestAlertsWithPromtool(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{}
	ws.Name, ws.Namespace = "shop", "prod"
	ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true, ErrorRatioPercent: 5, LatencyP95Milliseconds: 500}
	groups, a := ruleOf(t, ws)

	tests := []unitTest{
		{
			Name: "site down: pods desired, no nginx answers; not while idle", Interval: "1m",
			Input: []series{
				{`webserver_operator_webserver_desired_replicas{` + object + `}`, "2x10"},
				{`webserver_nginx_up{` + site + `,pod="a"}`, "1 1 1 stale"},
				{`webserver_operator_webserver_desired_replicas{namespace="prod",name="sleeping"}`, "0x10"},
			},
			AlertTest: []alertTest{
				{EvalTime: "2m", AlertName: resources.AlertSiteDown},
				{EvalTime: "6m", AlertName: resources.AlertSiteDown, ExpAlerts: firing(a, resources.AlertSiteDown, "critical")},
			},
		},
		{
			Name: "error ratio: 10 of 110 requests a minute answer 5xx", Interval: "1m",
			Input: []series{
				{`webserver_http_requests_total{` + site + `,code="200",class="2xx",method="GET"}`, "0+100x20"},
				{`webserver_http_requests_total{` + site + `,code="503",class="5xx",method="GET"}`, "0+10x20"},
			},
			AlertTest: []alertTest{
				{EvalTime: "3m", AlertName: resources.AlertErrorRatioHigh},
				{EvalTime: "15m", AlertName: resources.AlertErrorRatioHigh, ExpAlerts: firing(a, resources.AlertErrorRatioHigh, "warning")},
			},
		},
		{
			Name: "error ratio below the threshold", Interval: "1m",
			Input: []series{
				{`webserver_http_requests_total{` + site + `,code="200",class="2xx",method="GET"}`, "0+100x20"},
				{`webserver_http_requests_total{` + site + `,code="500",class="5xx",method="GET"}`, "0+1x20"},
			},
			AlertTest: []alertTest{{EvalTime: "15m", AlertName: resources.AlertErrorRatioHigh}},
		},
		{
			// 80 of every 100 requests take between 0.5 s and 1 s: the p95 is about 0.97 s.
			Name: "latency above the p95 threshold", Interval: "1m",
			Input: []series{
				{`webserver_http_request_duration_seconds_bucket{` + site + `,class="2xx",le="0.25"}`, "0+10x30"},
				{`webserver_http_request_duration_seconds_bucket{` + site + `,class="2xx",le="0.5"}`, "0+20x30"},
				{`webserver_http_request_duration_seconds_bucket{` + site + `,class="2xx",le="1"}`, "0+100x30"},
				{`webserver_http_request_duration_seconds_bucket{` + site + `,class="2xx",le="+Inf"}`, "0+100x30"},
			},
			AlertTest: []alertTest{
				{EvalTime: "5m", AlertName: resources.AlertLatencyHigh},
				{EvalTime: "20m", AlertName: resources.AlertLatencyHigh, ExpAlerts: firing(a, resources.AlertLatencyHigh, "warning")},
			},
		},
		{
			Name: "a rollback, then quiet for 15 minutes", Interval: "1m",
			Input: []series{
				{`webserver_operator_upgrades_total{` + object + `,result="completed"}`, "0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"},
				{`webserver_operator_upgrades_total{` + object + `,result="rolled_back"}`, "0 0 0 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1"},
			},
			AlertTest: []alertTest{
				{EvalTime: "2m", AlertName: resources.AlertRolloutFailed},
				{EvalTime: "4m", AlertName: resources.AlertRolloutFailed, ExpAlerts: []expectedAlert{{
					Labels:      map[string]string{"severity": "warning", "namespace": "prod", "webserver": "shop", "name": "shop", "result": "rolled_back"},
					Annotations: a[resources.AlertRolloutFailed],
				}}},
				{EvalTime: "22m", AlertName: resources.AlertRolloutFailed},
			},
		},
	}

	testutil.PromtoolTestRules(t, groups, map[string]any{
		"evaluation_interval": (30 * time.Second).String(),
		"tests":               tests,
	})
}
