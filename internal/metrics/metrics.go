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
	// UpgradeCanaryPromoted: the canary passed and every pod moved to its revision.
	UpgradeCanaryPromoted = "canary_promoted"
	// UpgradeCanaryAborted: the canary failed and its pods were removed.
	UpgradeCanaryAborted = "canary_aborted"
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

	// CanaryAnalysesTotal counts canary analyses by outcome (passed, failed, inconclusive).
	CanaryAnalysesTotal = prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: namespace,
		Name:      "canary_analyses_total",
		Help:      "Analyses comparing a WebServer's canary pods with its stable pods, by outcome (passed, failed, inconclusive).",
	}, []string{"namespace", "name", "outcome"})

	perWebServer = []*prometheus.CounterVec{UpgradesTotal, DriftRepairsTotal, ConfigValidationsTotal, CanaryAnalysesTotal}
)

// Collectors are the operator's own metrics, as registered; docs/metrics.md lists them.
var Collectors = []prometheus.Collector{WebServerStates, UpgradesTotal, DriftRepairsTotal, ConfigValidationsTotal, CanaryAnalysesTotal}

func init() {
	ctrlmetrics.Registry.MustRegister(Collectors...)
}

// ForgetWebServer drops the counters of a deleted WebServer, so deleted objects do not
// linger in scrapes, and returns how many series there were.
func ForgetWebServer(namespace, name string) int {
	deleted := 0
	for _, vec := range perWebServer {
		deleted += vec.DeletePartialMatch(prometheus.Labels{"namespace": namespace, "name": name})
	}
	return deleted
}
