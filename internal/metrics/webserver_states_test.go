package metrics

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/prometheus/common/expfmt"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// statesOf collects the given WebServers' series with write.
type statesOf struct {
	items []webserverv1alpha1.WebServer
	write func(chan<- prometheus.Metric, []webserverv1alpha1.WebServer)
}

func (c statesOf) Describe(ch chan<- *prometheus.Desc) { WebServerStates.Describe(ch) }
func (c statesOf) Collect(ch chan<- prometheus.Metric) { c.write(ch, c.items) }

// constStates is what writeStates stands for: client_golang's const metrics.
func constStates(ch chan<- prometheus.Metric, items []webserverv1alpha1.WebServer) {
	for i := range items {
		ws := &items[i]
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

func fleet(n int) []webserverv1alpha1.WebServer {
	items := make([]webserverv1alpha1.WebServer, n)
	for i := range items {
		ws := &items[i]
		ws.Namespace, ws.Name = fmt.Sprintf("team-%d", i%7), fmt.Sprintf("site-%04d", i)
		ws.Spec.Replicas = ptr.To(int32(i % 4))
		ws.Spec.Idle = i%5 == 0
		ws.Status.ReadyReplicas = int32(i % 3)
		for j, t := range []string{webserverv1alpha1.ConditionAvailable, webserverv1alpha1.ConditionProgressing, webserverv1alpha1.ConditionDegraded} {
			status := []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown}[(i+j)%3]
			ws.Status.Conditions = append(ws.Status.Conditions, metav1.Condition{Type: t, Status: status})
		}
	}
	return items
}

func exposition(t testing.TB, c prometheus.Collector) string {
	registry := prometheus.NewPedanticRegistry()
	registry.MustRegister(c)
	families, err := registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	for _, f := range families {
		if _, err := expfmt.MetricFamilyToText(&out, f); err != nil {
			t.Fatal(err)
		}
	}
	return out.String()
}

func TestWriteStatesExposesWhatConstMetricsWould(t *testing.T) {
	items := fleet(12)
	got := exposition(t, statesOf{items, writeStates})
	want := exposition(t, statesOf{items, constStates})
	if got != want {
		t.Fatalf("series differ from const metrics:\n%s\nwant:\n%s", got, want)
	}
	// And what that is, for one WebServer.
	one := fleet(2)[1:]
	expected := `
# HELP webserver_operator_webserver_condition Conditions of a WebServer: 1 for the status it has, 0 for the others.
# TYPE webserver_operator_webserver_condition gauge
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="False",type="Available"} 1
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="False",type="Degraded"} 0
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="False",type="Progressing"} 0
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="True",type="Available"} 0
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="True",type="Degraded"} 1
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="True",type="Progressing"} 0
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="Unknown",type="Available"} 0
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="Unknown",type="Degraded"} 0
webserver_operator_webserver_condition{name="site-0001",namespace="team-1",status="Unknown",type="Progressing"} 1
# HELP webserver_operator_webserver_desired_replicas Pods a WebServer asks for (0 while idle).
# TYPE webserver_operator_webserver_desired_replicas gauge
webserver_operator_webserver_desired_replicas{name="site-0001",namespace="team-1"} 1
# HELP webserver_operator_webserver_ready_replicas Pods of a WebServer that are ready to serve.
# TYPE webserver_operator_webserver_ready_replicas gauge
webserver_operator_webserver_ready_replicas{name="site-0001",namespace="team-1"} 1
`
	if err := testutil.CollectAndCompare(statesOf{one, writeStates}, strings.NewReader(expected)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkGatherStates gathers the state series of 1,000 WebServers with 3 conditions
// each, as a scrape does: shared label pairs against const metrics.
func BenchmarkGatherStates(b *testing.B) {
	items := fleet(1000)
	for _, c := range []struct {
		name  string
		write func(chan<- prometheus.Metric, []webserverv1alpha1.WebServer)
	}{{"shared-labels", writeStates}, {"const-metrics", constStates}} {
		b.Run(c.name, func(b *testing.B) {
			registry := prometheus.NewRegistry()
			registry.MustRegister(statesOf{items, c.write})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := registry.Gather(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
