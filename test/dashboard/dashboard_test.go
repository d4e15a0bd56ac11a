package dashboard

import (
	"regexp"
	"strings"
	"testing"

	"github.com/webserver-operator/webserver-operator/internal/metrics"
	"github.com/webserver-operator/webserver-operator/internal/testutil"
)

const path = "../../config/grafana/webservers.json"

func load(t *testing.T) []Query {
	t.Helper()
	queries, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	return queries
}

func find(t *testing.T, queries []Query, panel string) Query {
	t.Helper()
	for _, q := range queries {
		if q.Panel == panel {
			return q
		}
	}
	t.Fatalf("the dashboard has no panel %q", panel)
	return Query{}
}

// Every query parses: promtool loads each, expanded as Grafana would, as a recording rule.
func TestEveryQueryIsPromQL(t *testing.T) {
	queries := load(t)
	rules := make([]map[string]any, 0, len(queries))
	for i, q := range queries {
		rules = append(rules, map[string]any{
			"record": "dashboard:query_" + string(rune('a'+i%26)) + strings.Repeat("x", i/26),
			"expr":   Expand(q.Expr, "prod", "shop"),
		})
	}
	testutil.PromtoolTestRules(t, map[string]any{"groups": []any{map[string]any{"name": "dashboard", "rules": rules}}},
		map[string]any{"tests": []any{}})
}

var metricName = regexp.MustCompile(`\bwebserver_[a-z0-9_]+\b`)

// Every metric a query names is one the operator or the pods' metrics containers serve.
func TestEveryQueryNamesMetricsThatExist(t *testing.T) {
	operator, err := metrics.Reference()
	if err != nil {
		t.Fatal(err)
	}
	operand, err := metrics.OperandReference()
	if err != nil {
		t.Fatal(err)
	}
	served := map[string]bool{}
	for _, f := range append(operator, operand...) {
		served[f.Name] = true
		if f.Type == "histogram" {
			for _, suffix := range []string{"_bucket", "_sum", "_count"} {
				served[f.Name+suffix] = true
			}
		}
	}
	named := 0
	for _, q := range load(t) {
		for _, name := range metricName.FindAllString(q.Expr, -1) {
			named++
			if !served[name] {
				t.Errorf("panel %q query %s names %s, which no registry serves", q.Panel, q.RefID, name)
			}
		}
	}
	if named == 0 {
		t.Fatal("no query names a metric")
	}
}

// The RED panels compute what their titles say: two revisions of one site, one of which
// answers 10 % of its requests with 5xx, and another site the dashboard must not count.
func TestPanelsComputeWhatTheySay(t *testing.T) {
	queries := load(t)
	series := func(site, revision, code, class string) string {
		return `webserver_http_requests_total{namespace="prod",webserver="` + site + `",revision="` + revision +
			`",code="` + code + `",class="` + class + `",method="GET"}`
	}
	input := []map[string]string{
		{"series": series("shop", "a", "200", "2xx"), "values": "0+90x60"},
		{"series": series("shop", "a", "503", "5xx"), "values": "0+10x60"},
		{"series": series("shop", "b", "200", "2xx"), "values": "0+30x60"},
		{"series": series("blog", "a", "500", "5xx"), "values": "0+50x60"},
		{"series": `webserver_nginx_up{namespace="prod",webserver="shop",revision="a",pod="shop-1"}`, "values": "1x60"},
		{"series": `webserver_nginx_up{namespace="prod",webserver="shop",revision="a",pod="shop-2"}`, "values": "1x60"},
		{"series": `webserver_nginx_up{namespace="prod",webserver="shop",revision="b",pod="shop-3"}`, "values": "1x60"},
		{"series": `webserver_nginx_up{namespace="prod",webserver="blog",revision="a",pod="blog-1"}`, "values": "1x60"},
	}
	check := func(panel string, samples ...map[string]any) map[string]any {
		return map[string]any{"expr": Expand(find(t, queries, panel).Expr, "prod", "shop"), "eval_time": "5m", "exp_samples": samples}
	}
	sample := func(labels string, value float64) map[string]any {
		return map[string]any{"labels": labels, "value": value}
	}
	testutil.PromtoolTestRules(t, map[string]any{"groups": []any{}}, map[string]any{"tests": []any{map[string]any{
		"interval":     "10s",
		"input_series": input,
		"promql_expr_test": []any{
			check("Requests per second", sample(`{revision="a"}`, 10), sample(`{revision="b"}`, 3)),
			check("Answers by status class", sample(`{class="2xx"}`, 12), sample(`{class="5xx"}`, 1)),
			check("Server error ratio", sample(`{revision="a"}`, 0.1), sample(`{revision="b"}`, 0)),
			check("Pods by revision", sample(`{revision="a"}`, 2), sample(`{revision="b"}`, 1)),
		},
	}}})
}
