package metrics

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/webserver-operator/webserver-operator/internal/sidecar"
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
	case *StatesCollector:
		return "gauge", nil
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

// OperandReference describes the metrics of a WebServer pod's metrics container, as a
// scrape of it shows them (its registry, gathered with one request and a status page).
func OperandReference() ([]Family, error) {
	status := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("Active connections: 1 \nserver accepts handled requests\n 1 1 1 \nReading: 0 Writing: 1 Waiting: 0 \n"))
	}))
	defer status.Close()
	reg := prometheus.NewPedanticRegistry()
	sidecar.NewRequests(reg, "r").Observe(sidecar.Record{Status: 200, Method: "GET"})
	reg.MustRegister(sidecar.NewConnections(status.URL, "r"))
	gathered, err := reg.Gather()
	if err != nil {
		return nil, err
	}
	families := make([]Family, 0, len(gathered))
	for _, mf := range gathered {
		f := Family{Name: mf.GetName(), Help: mf.GetHelp(), Type: strings.ToLower(mf.GetType().String())}
		if len(mf.GetMetric()) > 0 {
			for _, l := range mf.GetMetric()[0].GetLabel() {
				f.Labels = append(f.Labels, l.GetName())
			}
		}
		families = append(families, f)
	}
	return families, nil
}

// Markdown renders docs/metrics.md from the operator's and the pods' families.
func Markdown(families, operand []Family) string {
	var b strings.Builder
	b.WriteString(`# Metrics

The operator serves its metrics over HTTPS on port 8443 at ` + "`/metrics`" + `, to clients whose
token may ` + "`GET /metrics`" + ` (the ClusterRole ` + "`webserver-operator-metrics-reader`" + `). Besides
controller-runtime's own (` + "`controller_runtime_reconcile_*`" + `, ` + "`workqueue_*`" + `,
` + "`rest_client_*`" + `, Go and process metrics), these are the operator's, one series per
WebServer (labels ` + "`namespace`" + ` and ` + "`name`" + `), dropped when the WebServer is deleted.

This page is generated from the registries by ` + "`make docs`" + `; a test fails when they differ.

`)
	table(&b, families)
	b.WriteString(`
## The pods' metrics (spec.monitoring)

With ` + "`spec.monitoring.enabled`" + `, every pod runs a metrics container that serves these on port
9113 (` + "`/metrics`" + `, plain HTTP inside the cluster; no Service exposes it). They come from
nginx's own request log (one record per request, kubelet probes left out) and its
stub_status page, read at each scrape. Every series carries the pod's ` + "`revision`" + `; a
Prometheus scraping through the WebServer's PodMonitor adds ` + "`namespace`" + `, ` + "`pod`" + ` and
` + "`webserver`" + ` (the WebServer's name).

`)
	table(&b, operand)
	return b.String()
}

func table(b *strings.Builder, families []Family) {
	b.WriteString("| metric | type | labels | meaning |\n|---|---|---|---|\n")
	for _, f := range families {
		fmt.Fprintf(b, "| `%s` | %s | %s | %s |\n", f.Name, f.Type, "`"+strings.Join(f.Labels, "`, `")+"`", f.Help)
	}
}
