package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// WebServerStates reports what each WebServer asks for and shows (desired and ready pods,
// conditions) at scrape time, from the manager's cache, as kube-state-metrics does: between
// scrapes the series cost no memory, and a deleted WebServer's series go with it.
var WebServerStates = &StatesCollector{}

var (
	desiredReplicasDesc = prometheus.NewDesc(namespace+"_webserver_desired_replicas",
		"Pods a WebServer asks for (0 while idle).", []string{"namespace", "name"}, nil)
	readyReplicasDesc = prometheus.NewDesc(namespace+"_webserver_ready_replicas",
		"Pods of a WebServer that are ready to serve.", []string{"namespace", "name"}, nil)
	conditionDesc = prometheus.NewDesc(namespace+"_webserver_condition",
		"Conditions of a WebServer: 1 for the status it has, 0 for the others.", []string{"namespace", "name", "type", "status"}, nil)
)

// scrapeListTimeout bounds a scrape that waits for the cache to fill.
const scrapeListTimeout = 10 * time.Second

var conditionStatuses = []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}

// StatesCollector is a prometheus.Collector of the WebServers a reader lists.
type StatesCollector struct {
	reader atomic.Pointer[client.Reader]
}

// ReadFrom makes the collector list WebServers from reader (the manager's cache); until
// then it reports none.
func (c *StatesCollector) ReadFrom(reader client.Reader) { c.reader.Store(&reader) }

// Describe implements prometheus.Collector.
func (c *StatesCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- desiredReplicasDesc
	ch <- readyReplicasDesc
	ch <- conditionDesc
}

// Collect implements prometheus.Collector.
func (c *StatesCollector) Collect(ch chan<- prometheus.Metric) {
	reader := c.reader.Load()
	if reader == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeListTimeout)
	defer cancel()
	list := &webserverv1alpha1.WebServerList{}
	// Read-only: the cache's own objects, not a copy of each.
	if err := (*reader).List(ctx, list, client.UnsafeDisableDeepCopy); err != nil {
		ch <- prometheus.NewInvalidMetric(desiredReplicasDesc, err)
		return
	}
	writeStates(ch, list.Items)
}

// writeStates sends the series of each WebServer. A const metric would allocate, per
// series, a label pair and two strings for every label, the bulk of a scrape of a large
// fleet. These series share their label pairs instead (a WebServer's namespace and name
// pairs among its series, the type and status pairs among all), and a WebServer's series
// and gauges are allocated together.
func writeStates(ch chan<- prometheus.Metric, items []webserverv1alpha1.WebServer) {
	for i := range items {
		ws := &items[i]
		name := &dto.LabelPair{Name: proto.String("name"), Value: proto.String(ws.Name)}
		namespace := &dto.LabelPair{Name: proto.String("namespace"), Value: proto.String(ws.Namespace)}
		object := []*dto.LabelPair{name, namespace}
		samples := make([]stateSample, 2, 2+len(ws.Status.Conditions)*len(conditionStatuses))
		samples[0] = stateSample{desc: desiredReplicasDesc, labels: object, value: float64(ws.DesiredReplicas())}
		samples[1] = stateSample{desc: readyReplicasDesc, labels: object, value: float64(ws.Status.ReadyReplicas)}
		// Sorted by label name, as Write's contract recommends: name, namespace, status, type.
		labels := make([]*dto.LabelPair, 0, 4*len(ws.Status.Conditions)*len(conditionStatuses))
		for _, cond := range ws.Status.Conditions {
			condType := &dto.LabelPair{Name: proto.String("type"), Value: proto.String(cond.Type)}
			for j, status := range conditionStatuses {
				value := 0.0
				if cond.Status == status {
					value = 1
				}
				labels = append(labels, name, namespace, statusPairs[j], condType)
				samples = append(samples, stateSample{desc: conditionDesc, labels: labels[len(labels)-4 : len(labels) : len(labels)], value: value})
			}
		}
		for k := range samples {
			ch <- &samples[k]
		}
	}
}

// statusPairs are the status label pairs of conditionStatuses, shared by every series.
var statusPairs = func() []*dto.LabelPair {
	pairs := make([]*dto.LabelPair, len(conditionStatuses))
	for i, status := range conditionStatuses {
		pairs[i] = &dto.LabelPair{Name: proto.String("status"), Value: proto.String(string(status))}
	}
	return pairs
}()

// stateSample is one gauge series of a WebServer's state. Its label pairs are shared and
// never modified, as dto.Metric's labels are immutable by contract.
type stateSample struct {
	desc   *prometheus.Desc
	labels []*dto.LabelPair
	value  float64
}

// Desc implements prometheus.Metric.
func (s *stateSample) Desc() *prometheus.Desc { return s.desc }

// Write implements prometheus.Metric.
func (s *stateSample) Write(out *dto.Metric) error {
	out.Label = s.labels
	out.Gauge = &dto.Gauge{Value: &s.value}
	return nil
}
