package sidecar

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StubStatus is what nginx's stub_status page reports.
type StubStatus struct {
	Active, Accepted, Handled, Requests, Reading, Writing, Waiting float64
}

// ParseStubStatus reads the stub_status page:
//
//	Active connections: 2
//	server accepts handled requests
//	 16630948 16630948 31070465
//	Reading: 0 Writing: 1 Waiting: 1
func ParseStubStatus(page string) (StubStatus, error) {
	f := strings.Fields(page)
	// Active connections: N server accepts handled requests A H R Reading: r Writing: w Waiting: w
	if len(f) != 16 || f[0] != "Active" || f[4] != "accepts" || f[10] != "Reading:" || f[12] != "Writing:" || f[14] != "Waiting:" {
		return StubStatus{}, fmt.Errorf("unexpected stub_status page %q", page)
	}
	var v [7]float64
	for i, idx := range []int{2, 7, 8, 9, 11, 13, 15} {
		n, err := strconv.ParseFloat(f[idx], 64)
		if err != nil {
			return StubStatus{}, fmt.Errorf("stub_status field %q: %w", f[idx], err)
		}
		v[i] = n
	}
	return StubStatus{Active: v[0], Accepted: v[1], Handled: v[2], Requests: v[3], Reading: v[4], Writing: v[5], Waiting: v[6]}, nil
}

// Connections is a collector that reads stub_status at every scrape, so its numbers are
// as fresh as the scrape and nothing polls between scrapes.
type Connections struct {
	url    string
	client *http.Client

	up          *prometheus.Desc
	connections *prometheus.Desc
	accepted    *prometheus.Desc
	handled     *prometheus.Desc
}

// NewConnections reads stub_status at url.
func NewConnections(url, revision string) *Connections {
	constLabels := prometheus.Labels{RevisionLabel: revision}
	return &Connections{
		url:    url,
		client: &http.Client{Timeout: 2 * time.Second},
		up: prometheus.NewDesc("webserver_nginx_up",
			"1 when nginx answered its status page at this scrape, else 0.", nil, constLabels),
		connections: prometheus.NewDesc("webserver_connections",
			"Client connections by state (active is the sum of reading, writing and waiting).", []string{"state"}, constLabels),
		accepted: prometheus.NewDesc("webserver_connections_accepted_total",
			"Client connections nginx accepted.", nil, constLabels),
		handled: prometheus.NewDesc("webserver_connections_handled_total",
			"Client connections nginx handled (below accepted when a limit was reached).", nil, constLabels),
	}
}

// Describe implements prometheus.Collector.
func (c *Connections) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.up
	ch <- c.connections
	ch <- c.accepted
	ch <- c.handled
}

// Collect implements prometheus.Collector.
func (c *Connections) Collect(ch chan<- prometheus.Metric) {
	s, err := c.read()
	if err != nil {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	for state, v := range map[string]float64{"active": s.Active, "reading": s.Reading, "writing": s.Writing, "waiting": s.Waiting} {
		ch <- prometheus.MustNewConstMetric(c.connections, prometheus.GaugeValue, v, state)
	}
	ch <- prometheus.MustNewConstMetric(c.accepted, prometheus.CounterValue, s.Accepted)
	ch <- prometheus.MustNewConstMetric(c.handled, prometheus.CounterValue, s.Handled)
}

func (c *Connections) read() (StubStatus, error) {
	ctx, cancel := context.WithTimeout(context.Background(), c.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return StubStatus{}, err
	}
	resp, err := c.client.Do(req)
	if err != nil {
		return StubStatus{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return StubStatus{}, fmt.Errorf("stub_status answered %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if err != nil {
		return StubStatus{}, err
	}
	return ParseStubStatus(string(body))
}
