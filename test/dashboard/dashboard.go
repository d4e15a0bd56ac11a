// Package dashboard reads the Grafana dashboard of config/grafana, so that make test can check
// its queries against the metric registries and promtool, and the e2e suite can run them on a
// real Prometheus.
package dashboard

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// Query is one PromQL expression of the dashboard, named by where it is.
type Query struct {
	Panel string
	RefID string
	Expr  string
}

type panel struct {
	Type    string `json:"type"`
	Title   string `json:"title"`
	Targets []struct {
		RefID string `json:"refId"`
		Expr  string `json:"expr"`
	} `json:"targets"`
}

type file struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string `json:"name"`
			Type       string `json:"type"`
			Definition string `json:"definition"`
		} `json:"list"`
	} `json:"templating"`
}

// Load returns every query of the dashboard at path: the panels' targets and the variables'
// label_values() series selectors. A panel without a query is an error.
func Load(path string) ([]Query, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var f file
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	queries := make([]Query, 0, len(f.Panels))
	for _, p := range f.Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			return nil, fmt.Errorf("panel %q has no query", p.Title)
		}
		for _, t := range p.Targets {
			if t.Expr == "" {
				return nil, fmt.Errorf("panel %q, query %s is empty", p.Title, t.RefID)
			}
			queries = append(queries, Query{Panel: p.Title, RefID: t.RefID, Expr: t.Expr})
		}
	}
	for _, v := range f.Templating.List {
		if v.Type != "query" {
			continue
		}
		selector, ok := labelValuesSelector(v.Definition)
		if !ok {
			return nil, fmt.Errorf("variable %s: %q is not label_values(<series>, <label>)", v.Name, v.Definition)
		}
		queries = append(queries, Query{Panel: "variable " + v.Name, RefID: v.Name, Expr: selector})
	}
	return queries, nil
}

// labelValuesSelector is the series selector of Grafana's label_values(selector, label).
func labelValuesSelector(definition string) (string, bool) {
	inner, ok := strings.CutPrefix(definition, "label_values(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return "", false
	}
	inner = strings.TrimSuffix(inner, ")")
	i := strings.LastIndex(inner, ",")
	if i < 0 {
		return "", false
	}
	return strings.TrimSpace(inner[:i]), true
}

// Expand replaces Grafana's variables in expr: the dashboard's own ($namespace, $webserver)
// with the site's, and Grafana's intervals with fixed windows.
func Expand(expr, namespace, webserver string) string {
	return strings.NewReplacer(
		"$__rate_interval", "1m",
		"$__range", "1h",
		"$namespace", namespace,
		"$webserver", webserver,
	).Replace(expr)
}
