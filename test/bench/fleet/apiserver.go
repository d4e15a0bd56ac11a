package main

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"k8s.io/client-go/kubernetes"
)

// requestKey is one row of apiserver_request_total, without the response code.
type requestKey struct{ verb, resource, subresource string }

func (k requestKey) String() string {
	if k.subresource != "" {
		return fmt.Sprintf("%s %s/%s", k.verb, k.resource, k.subresource)
	}
	return fmt.Sprintf("%s %s", k.verb, k.resource)
}

type requestCounts map[requestKey]int64

// apiRequests reads the API server's count of the requests it served.
func apiRequests(ctx context.Context, clientset *kubernetes.Clientset) (requestCounts, error) {
	raw, err := clientset.RESTClient().Get().AbsPath("/metrics").DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the API server's metrics: %w", err)
	}
	families, err := parseMetrics(raw)
	if err != nil {
		return nil, err
	}
	counts := requestCounts{}
	for _, m := range families["apiserver_request_total"].GetMetric() {
		labels := labelMap(m)
		counts[requestKey{labels["verb"], labels["resource"], labels["subresource"]}] += int64(m.GetCounter().GetValue())
	}
	return counts, nil
}

func (c requestCounts) minus(earlier requestCounts) requestCounts {
	d := requestCounts{}
	for k, v := range c {
		if v-earlier[k] != 0 {
			d[k] = v - earlier[k]
		}
	}
	return d
}

var writeVerbs = map[string]bool{"POST": true, "PUT": true, "PATCH": true, "APPLY": true, "DELETE": true, "DELETECOLLECTION": true}

// notTheManagers are writes the harness or the API server itself makes: the fleet and its
// namespace, the config check pods' status (the stand-in kubelet), and the API server's own
// leases, endpoints and Service IP addresses.
func notTheManagers(k requestKey) bool {
	switch {
	case k.verb == "POST" && k.subresource == "" && (k.resource == "namespaces" || k.resource == fleetResource):
		return true
	case k.resource == "pods" && k.subresource == "status":
		return true
	case k.resource == "leases" || k.resource == "endpoints" || k.resource == "endpointslices" || k.resource == "ipaddresses":
		return true
	}
	return false
}

// fleetResource is the plural of the resources the harness creates (set from the template).
var fleetResource string

func (c requestCounts) managerWrites() requestCounts {
	w := requestCounts{}
	for k, v := range c {
		if writeVerbs[k.verb] && !notTheManagers(k) {
			w[k] = v
		}
	}
	return w
}

// gets are single-object reads: what the manager did not take from its cache.
func (c requestCounts) gets() requestCounts {
	g := requestCounts{}
	for k, v := range c {
		if k.verb == "GET" {
			g[k] = v
		}
	}
	return g
}

func (c requestCounts) total() int64 {
	var t int64
	for _, v := range c {
		t += v
	}
	return t
}

func (c requestCounts) without(resource string) int64 {
	var t int64
	for k, v := range c {
		if k.resource != resource {
			t += v
		}
	}
	return t
}

// String lists the counts, largest first.
func (c requestCounts) String() string {
	keys := make([]requestKey, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return c[keys[i]] > c[keys[j]] })
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s: %d", k, c[k]))
	}
	return strings.Join(parts, ", ")
}

// reconcileQuantiles reads p50, p95 and p99 of the manager's busiest controller from
// controller-runtime's reconcile histogram.
func reconcileQuantiles(ctx context.Context) [3]float64 {
	var q [3]float64
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:18080/metrics", nil)
	if err != nil {
		return q
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return q
	}
	defer func() { _ = resp.Body.Close() }()
	var body bytes.Buffer
	if _, err := body.ReadFrom(resp.Body); err != nil {
		return q
	}
	families, err := parseMetrics(body.Bytes())
	if err != nil {
		return q
	}
	var busiest *dto.Histogram
	for _, m := range families["controller_runtime_reconcile_time_seconds"].GetMetric() {
		if h := m.GetHistogram(); busiest == nil || h.GetSampleCount() > busiest.GetSampleCount() {
			busiest = h
		}
	}
	for i, p := range []float64{0.5, 0.95, 0.99} {
		q[i] = quantile(busiest, p)
	}
	return q
}

// quantile interpolates linearly within the bucket holding the p-th observation, as
// PromQL's histogram_quantile does.
func quantile(h *dto.Histogram, p float64) float64 {
	if h == nil || h.GetSampleCount() == 0 {
		return math.NaN()
	}
	rank := p * float64(h.GetSampleCount())
	lower, below := 0.0, 0.0
	for _, b := range h.GetBucket() {
		count := float64(b.GetCumulativeCount())
		if count >= rank {
			if count == below {
				return b.GetUpperBound()
			}
			return lower + (b.GetUpperBound()-lower)*(rank-below)/(count-below)
		}
		lower, below = b.GetUpperBound(), count
	}
	return lower
}

func parseMetrics(raw []byte) (map[string]*dto.MetricFamily, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("parsing metrics: %w", err)
	}
	return families, nil
}

func labelMap(m *dto.Metric) map[string]string {
	labels := map[string]string{}
	for _, l := range m.GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	return labels
}
