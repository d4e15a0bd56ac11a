// Package metrics holds the operator's own Prometheus metrics, registered on
// controller-runtime's registry so they are served with its metrics (authn/authz included).
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

const namespace = "webserver_operator"

// Upgrade results for UpgradesTotal.
const (
	UpgradeCompleted  = "completed"
	UpgradeRolledBack = "rolled_back"
	UpgradeFailed     = "failed"
)

// Config check results for ConfigValidationsTotal.
const (
	ValidationValid   = "valid"
	ValidationInvalid = "invalid"
	// ValidationError: nginx -t could not be run (image not pulled, container not started).
	ValidationError = "error"
)

var (
	// ConfigValidationsTotal counts nginx -t checks of new revisions by result.
	ConfigValidationsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "config_validations_total",
		Help:      "nginx -t checks of new revisions of a WebServer, by result (valid, invalid, error).",
	}, []string{"namespace", "name", "result"})

	// DesiredReplicas is the pod count each WebServer asks for.
	DesiredReplicas = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "webserver_desired_replicas",
		Help:      "Pods a WebServer asks for (0 while idle).",
	}, []string{"namespace", "name"})

	// ReadyReplicas is the pod count ready to serve per WebServer.
	ReadyReplicas = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "webserver_ready_replicas",
		Help:      "Pods of a WebServer that are ready to serve.",
	}, []string{"namespace", "name"})

	// ConditionStatus is 1 for the current status of each condition of each WebServer.
	ConditionStatus = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: namespace,
		Name:      "webserver_condition",
		Help:      "Conditions of a WebServer: 1 for the status it has, 0 for the others.",
	}, []string{"namespace", "name", "type", "status"})

	// UpgradesTotal counts finished rollouts of new images or configs by result.
	UpgradesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "upgrades_total",
		Help:      "Rollouts of a new image or config, by result.",
	}, []string{"namespace", "name", "result"})

	// DriftRepairsTotal counts children restored after someone else changed or deleted them.
	DriftRepairsTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "drift_repairs_total",
		Help:      "Children of a WebServer restored after an outside change or deletion, by kind.",
	}, []string{"namespace", "name", "kind"})

	perWebServer = []interface {
		DeletePartialMatch(prometheus.Labels) int
	}{DesiredReplicas, ReadyReplicas, ConditionStatus, UpgradesTotal, DriftRepairsTotal, ConfigValidationsTotal}
)

// Collectors are the operator's own metrics, as registered; docs/metrics.md lists them.
var Collectors = []prometheus.Collector{DesiredReplicas, ReadyReplicas, ConditionStatus, UpgradesTotal, DriftRepairsTotal, ConfigValidationsTotal}

func init() {
	ctrlmetrics.Registry.MustRegister(Collectors...)
}

// ForgetWebServer drops every series of a deleted WebServer, so deleted objects do not
// linger in scrapes, and returns how many there were.
func ForgetWebServer(namespace, name string) int {
	deleted := 0
	for _, vec := range perWebServer {
		deleted += vec.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
	}
	return deleted
}
