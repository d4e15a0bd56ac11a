package controller

import (
	"context"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// MonitoringCRDRecheckInterval is how soon a monitored WebServer looks again for the
// Prometheus Operator's CRDs when they are missing, so installing them later is picked up.
const MonitoringCRDRecheckInterval = time.Minute

// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=podmonitors;prometheusrules,verbs=get;create;patch;delete

// reconcileMonitoring keeps the PodMonitor and the PrometheusRule of a monitored WebServer
// where the Prometheus Operator's CRDs exist, and removes them when monitoring is turned
// off. Without the CRDs there is nothing to create, which is not an error: the pods still
// serve their metrics.
func (r *WebServerReconciler) reconcileMonitoring(ctx context.Context, s *scope) (ctrl.Result, error) {
	wanted := s.ws.MonitoringEnabled()
	if !wanted && !r.monitoringSeen.Load() {
		// Nothing was ever created by this process; skipping the lookup keeps unmonitored
		// fleets from asking the API server about the CRDs on every pass.
		return ctrl.Result{}, nil
	}
	children := []struct {
		gvk     schema.GroupVersionKind
		desired func() *unstructured.Unstructured
	}{
		{resources.PodMonitorGVK, func() *unstructured.Unstructured { return resources.PodMonitor(s.ws) }},
		{resources.PrometheusRuleGVK, func() *unstructured.Unstructured {
			return resources.PrometheusRule(s.ws, resources.AlertThresholdsOf(s.ws))
		}},
	}
	result := ctrl.Result{}
	for _, child := range children {
		served, err := r.kindServed(child.gvk)
		if err != nil {
			return ctrl.Result{}, err
		}
		if !served {
			if wanted {
				result.RequeueAfter = r.monitoringRecheck()
			}
			continue
		}
		r.monitoringSeen.Store(true)
		observed := &unstructured.Unstructured{}
		observed.SetGroupVersionKind(child.gvk)
		var desired childApplyConfiguration
		if wanted {
			desired = unstructuredChild{child.desired()}
		}
		if err := r.reconcileOptionalChild(ctx, s, observed, desired, wanted, "spec.monitoring.enabled is off"); err != nil {
			return ctrl.Result{}, err
		}
	}
	return result, nil
}

func (r *WebServerReconciler) monitoringRecheck() time.Duration {
	if r.MonitoringRecheck > 0 {
		return r.MonitoringRecheck
	}
	return MonitoringCRDRecheckInterval
}

// kindServed says whether the API server serves gvk (its CRD is installed).
func (r *WebServerReconciler) kindServed(gvk schema.GroupVersionKind) (bool, error) {
	_, err := r.RESTMapper().RESTMapping(gvk.GroupKind(), gvk.Version)
	switch {
	case meta.IsNoMatchError(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("looking up %s: %w", gvk.Kind, err)
	}
	return true, nil
}
