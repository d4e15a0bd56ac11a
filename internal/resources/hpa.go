package resources

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	autoscalingv2ac "k8s.io/client-go/applyconfigurations/autoscaling/v2"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// defaultCPUUtilization is the average CPU utilization (of requests) an HPA keeps by default.
const defaultCPUUtilization = 80

// HorizontalPodAutoscaler is the autoscaler of ws, or nil without spec.autoscaling. It
// scales the WebServer itself through its scale subresource, not the Deployment: the HPA
// writes spec.replicas, which the operator carries to the Deployment as it would a
// user's kubectl scale, so the two never fight and kubectl get ws shows the HPA's choice.
func HorizontalPodAutoscaler(ws *webserverv1alpha1.WebServer) *autoscalingv2ac.HorizontalPodAutoscalerApplyConfiguration {
	as := ws.Spec.Autoscaling
	if as == nil {
		return nil
	}
	utilization := func(resource corev1.ResourceName, percent int32) *autoscalingv2ac.MetricSpecApplyConfiguration {
		return autoscalingv2ac.MetricSpec().
			WithType(autoscalingv2.ResourceMetricSourceType).
			WithResource(autoscalingv2ac.ResourceMetricSource().
				WithName(resource).
				WithTarget(autoscalingv2ac.MetricTarget().
					WithType(autoscalingv2.UtilizationMetricType).
					WithAverageUtilization(percent)))
	}
	spec := autoscalingv2ac.HorizontalPodAutoscalerSpec().
		WithScaleTargetRef(autoscalingv2ac.CrossVersionObjectReference().
			WithAPIVersion(webserverv1alpha1.GroupVersion.String()).
			WithKind("WebServer").
			WithName(ws.Name)).
		WithMinReplicas(ptr.Deref(as.MinReplicas, 1)).
		WithMaxReplicas(as.MaxReplicas).
		WithMetrics(utilization(corev1.ResourceCPU, ptr.Deref(as.TargetCPUUtilizationPercentage, defaultCPUUtilization)))
	if as.TargetMemoryUtilizationPercentage != nil {
		spec.WithMetrics(utilization(corev1.ResourceMemory, *as.TargetMemoryUtilizationPercentage))
	}
	if as.Behavior != nil {
		spec.WithBehavior(asApplyConfiguration[autoscalingv2ac.HorizontalPodAutoscalerBehaviorApplyConfiguration](as.Behavior))
	}
	return autoscalingv2ac.HorizontalPodAutoscaler(ws.Name, ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithSpec(spec)
}
