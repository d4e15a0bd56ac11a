package resources

import (
	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// Guardrails are the ResourceQuota and LimitRange a cluster admin asks the operator to keep
// in every namespace that holds WebServers.
const (
	// GuardrailsName names both objects in each namespace.
	GuardrailsName = "webserver-guardrails"
	// GuardrailsAppName is their app.kubernetes.io/name.
	GuardrailsAppName = "webserver-guardrails"
)

// GuardrailsLabels mark the guardrails objects; the operator caches them by these.
func GuardrailsLabels() map[string]string {
	return map[string]string{LabelName: GuardrailsAppName, LabelManagedBy: ManagedBy, LabelPartOf: ManagedBy}
}

// NamespaceResourceQuota is the guardrails ResourceQuota of namespace.
func NamespaceResourceQuota(namespace string, spec *corev1.ResourceQuotaSpec) *corev1ac.ResourceQuotaApplyConfiguration {
	return corev1ac.ResourceQuota(GuardrailsName, namespace).
		WithLabels(GuardrailsLabels()).
		WithSpec(asApplyConfiguration[corev1ac.ResourceQuotaSpecApplyConfiguration](spec))
}

// NamespaceLimitRange is the guardrails LimitRange of namespace.
func NamespaceLimitRange(namespace string, spec *corev1.LimitRangeSpec) *corev1ac.LimitRangeApplyConfiguration {
	return corev1ac.LimitRange(GuardrailsName, namespace).
		WithLabels(GuardrailsLabels()).
		WithSpec(asApplyConfiguration[corev1ac.LimitRangeSpecApplyConfiguration](spec))
}
