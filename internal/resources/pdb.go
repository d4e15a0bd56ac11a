package resources

import (
	"k8s.io/apimachinery/pkg/util/intstr"
	policyv1ac "k8s.io/client-go/applyconfigurations/policy/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// defaultMinAvailable keeps one pod serving through voluntary disruptions.
var defaultMinAvailable = intstr.FromInt32(1)

// PodDisruptionBudget is the budget of ws, or nil when it should have none: with fewer
// than two desired pods a budget protects nothing and only blocks node drains.
func PodDisruptionBudget(ws *webserverv1alpha1.WebServer) *policyv1ac.PodDisruptionBudgetApplyConfiguration {
	if ws.DesiredReplicas() < 2 {
		return nil
	}
	spec := policyv1ac.PodDisruptionBudgetSpec().
		WithSelector(stableLabelSelector(ws))
	switch d := ws.Spec.Disruption; {
	case d != nil && d.MaxUnavailable != nil:
		spec.WithMaxUnavailable(*d.MaxUnavailable)
	case d != nil && d.MinAvailable != nil:
		spec.WithMinAvailable(*d.MinAvailable)
	default:
		spec.WithMinAvailable(defaultMinAvailable)
	}
	return policyv1ac.PodDisruptionBudget(ws.Name, ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithSpec(spec)
}
