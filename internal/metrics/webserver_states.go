package metrics

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
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
	for i := range list.Items {
		ws := &list.Items[i]
		ch <- prometheus.MustNewConstMetric(desiredReplicasDesc, prometheus.GaugeValue, float64(ws.DesiredReplicas()), ws.Namespace, ws.Name)
		ch <- prometheus.MustNewConstMetric(readyReplicasDesc, prometheus.GaugeValue, float64(ws.Status.ReadyReplicas), ws.Namespace, ws.Name)
		for _, cond := range ws.Status.Conditions {
			for _, status := range conditionStatuses {
				value := 0.0
				if cond.Status == status {
					value = 1
				}
				ch <- prometheus.MustNewConstMetric(conditionDesc, prometheus.GaugeValue, value, ws.Namespace, ws.Name, cond.Type, string(status))
			}
		}
	}
}
