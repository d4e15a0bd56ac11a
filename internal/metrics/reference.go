package metrics

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Family is one metric as a scrape shows it: name, type, help and labels.
type Family struct {
	Name   string
	Type   string
	Help   string
	Labels []string
}

// client_golang exposes a descriptor's parts only through its String form.
var descPattern = regexp.MustCompile(`^Desc\{fqName: ("(?:[^"\\]|\\.)*"), help: ("(?:[^"\\]|\\.)*"), constLabels: \{[^}]*\}, variableLabels: \{([^}]*)\}\}$`)

// Reference describes every collector in Collectors, sorted by name.
func Reference() ([]Family, error) {
	var families []Family
	for _, c := range Collectors {
		kind, err := typeOf(c)
		if err != nil {
			return nil, err
		}
		descs := make(chan *prometheus.Desc, 4)
		go func() { c.Describe(descs); close(descs) }()
		for d := range descs {
			f, err := parseDesc(d.String())
			if err != nil {
				return nil, err
			}
			f.Type = kind
			families = append(families, f)
		}
	}
	sort.Slice(families, func(i, j int) bool { return families[i].Name < families[j].Name })
	return families, nil
}

func typeOf(c prometheus.Collector) (string, error) {
	// Counter and Gauge share their method set, so only the vectors tell them apart.
	switch c.(type) {
	case *prometheus.CounterVec:
		return "counter", nil
	case *prometheus.GaugeVec:
		return "gauge", nil
	case *prometheus.HistogramVec:
		return "histogram", nil
	}
	return "", fmt.Errorf("metric collector %T has no documented type", c)
}

func parseDesc(s string) (Family, error) {
	m := descPattern.FindStringSubmatch(s)
	if m == nil {
		return Family{}, fmt.Errorf("unexpected descriptor %s", s)
	}
	name, err := strconv.Unquote(m[1])
	if err != nil {
		return Family{}, err
	}
	help, err := strconv.Unquote(m[2])
	if err != nil {
		return Family{}, err
	}
	f := Family{Name: name, Help: help}
	if m[3] != "" {
		f.Labels = strings.Split(m[3], ",")
	}
	return f, nil
}

// Markdown renders docs/metrics.md from the families.
func Markdown(families []Family) string {
	var b strings.Builder
	b.WriteString(`# Metrics

The operator serves its metrics over HTTPS on port 8443 at ` + "`/metrics`" + `, to clients whose
token may ` + "`GET /metrics`" + ` (the ClusterRole ` + "`webserver-operator-metrics-reader`" + `). Besides
controller-runtime's own (` + "`controller_runtime_reconcile_*`" + `, ` + "`workqueue_*`" + `,
` + "`rest_client_*`" + `, Go and process metrics), these are the operator's, one series per
WebServer (labels ` + "`namespace`" + ` and ` + "`name`" + `), dropped when the WebServer is deleted.

This page is generated from the operator's registry by ` + "`make docs`" + `; a test fails when they differ.

| metric | type | labels | meaning |
|---|---|---|---|
`)
	for _, f := range families {
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", f.Name, f.Type, "`"+strings.Join(f.Labels, "`, `")+"`", f.Help)
	}
	return b.String()
}
