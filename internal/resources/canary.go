package resources

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// LabelCanary marks the canary Deployment and its pods. The Service selects the pods by
// SelectorLabels alone, so the canary pods get their share of the traffic.
const LabelCanary = "webserver.dev/canary"

// CanaryDeploymentName names the Deployment of the canary pods.
func CanaryDeploymentName(ws *webserverv1alpha1.WebServer) string {
	return ws.Name + "-canary"
}

// CanarySelectorLabels select the canary pods of ws.
func CanarySelectorLabels(ws *webserverv1alpha1.WebServer) map[string]string {
	set := SelectorLabels(ws)
	set[LabelCanary] = "true"
	return set
}

// CanaryDeployment runs replicas canary pods of the revision in: the pod template of the
// stable Deployment that runs the same revision, plus the canary label. Its selector
// includes the label, so it never claims the stable pods; the stable Deployment's
// ReplicaSets select on their pod-template-hash, so they never claim the canary pods.
func CanaryDeployment(ws *webserverv1alpha1.WebServer, in WorkloadInputs, replicas int32) *appsv1ac.DeploymentApplyConfiguration {
	in.ReplicasManaged = false
	dep := Deployment(ws, in)
	canary := map[string]string{LabelCanary: "true"}
	dep.WithName(CanaryDeploymentName(ws)).WithLabels(canary)
	dep.Spec.WithReplicas(replicas)
	dep.Spec.Selector.WithMatchLabels(canary)
	dep.Spec.Template.WithLabels(canary)
	return dep
}

// StablePodSelector selects the pods of ws but its canary's: what the scale subresource
// counts (so an autoscaler sizes the stable pods on their own load) and what the
// disruption budget protects (so a drain never leaves only unjudged canary pods serving).
func StablePodSelector(ws *webserverv1alpha1.WebServer) labels.Selector {
	notCanary, _ := labels.NewRequirement(LabelCanary, selection.DoesNotExist, nil)
	return labels.SelectorFromSet(SelectorLabels(ws)).Add(*notCanary)
}

// stableLabelSelector is StablePodSelector for API objects.
func stableLabelSelector(ws *webserverv1alpha1.WebServer) *metav1ac.LabelSelectorApplyConfiguration {
	return metav1ac.LabelSelector().
		WithMatchLabels(SelectorLabels(ws)).
		WithMatchExpressions(metav1ac.LabelSelectorRequirement().WithKey(LabelCanary).WithOperator(metav1.LabelSelectorOpDoesNotExist))
}
