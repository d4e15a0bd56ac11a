package resources

import (
	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const (
	// ConfigCheckAppName is the app.kubernetes.io/name of config check pods. It differs
	// from the serving pods' so that neither the Service nor the Deployment selects them.
	ConfigCheckAppName = "webserver-config-check"
	// LabelRevision names the revision a config check pod checks.
	LabelRevision = "webserver.dev/revision"
	// ConfigCheckDeadlineSeconds bounds a config check pod's whole life, image pull
	// included; it is never restarted.
	ConfigCheckDeadlineSeconds = 120
)

// ConfigCheckLabels select the config check pods; the operator caches pods by them.
func ConfigCheckLabels() map[string]string {
	return map[string]string{LabelName: ConfigCheckAppName, LabelManagedBy: ManagedBy}
}

// ConfigCheckPodName names the pod that checks one revision of ws.
func ConfigCheckPodName(ws *webserverv1alpha1.WebServer, revision string) string {
	return ws.Name + "-check-" + revision
}

// ConfigCheckPod runs `nginx -t` on a revision before any serving pod gets it: the same
// image, config and content mounts, user, security context and scheduling as the serving
// pods, with no service account token, no restarts and a deadline. nginx's error goes to
// stderr and, as the container fails, into its termination message, so the operator reads
// it from the pod's status without reading logs.
func ConfigCheckPod(ws *webserverv1alpha1.WebServer, revision string, in WorkloadInputs) *corev1ac.PodApplyConfiguration {
	labels := Labels(ws)
	for k, v := range ConfigCheckLabels() {
		labels[k] = v
	}
	labels[LabelRevision] = revision

	var extra webserverv1alpha1.PodTemplateSpec
	if ws.Spec.PodTemplate != nil {
		extra = *ws.Spec.PodTemplate
	}
	container := corev1ac.Container().
		WithName(ContainerName).
		WithImage(in.Image).
		WithCommand("nginx").
		WithArgs("-t", "-q", "-e", "stderr", "-c", ConfigFile).
		WithResources(corev1ac.ResourceRequirements().
			WithRequests(corev1.ResourceList{corev1.ResourceCPU: resourceMustParse("10m"), corev1.ResourceMemory: resourceMustParse("32Mi")}).
			WithLimits(corev1.ResourceList{corev1.ResourceCPU: resourceMustParse("500m"), corev1.ResourceMemory: resourceMustParse("128Mi")})).
		WithTerminationMessagePolicy(corev1.TerminationMessageFallbackToLogsOnError).
		WithSecurityContext(ContainerSecurityContext()).
		WithVolumeMounts(nginxVolumeMounts(ws, in)...)
	for i := range extra.Env {
		container.WithEnv(envVar(extra.Env[i]))
	}

	pod := corev1ac.PodSpec().
		WithRestartPolicy(corev1.RestartPolicyNever).
		WithActiveDeadlineSeconds(ConfigCheckDeadlineSeconds).
		WithServiceAccountName(ServiceAccountNameFor(ws, CurrentTemplateFormat)).
		WithAutomountServiceAccountToken(false).
		WithEnableServiceLinks(false).
		WithSecurityContext(PodSecurityContext()).
		WithTerminationGracePeriodSeconds(1).
		WithContainers(container).
		WithVolumes(volumes(ws, in)...)
	if len(extra.NodeSelector) > 0 {
		pod.WithNodeSelector(extra.NodeSelector)
	}
	for i := range extra.Tolerations {
		pod.WithTolerations(toleration(extra.Tolerations[i]))
	}
	if extra.Affinity != nil && extra.Affinity.NodeAffinity != nil {
		// Node affinity only: pod (anti-)affinity is about the serving pods' placement.
		pod.WithAffinity(affinity(&corev1.Affinity{NodeAffinity: extra.Affinity.NodeAffinity}))
	}

	return corev1ac.Pod(ConfigCheckPodName(ws, revision), ws.Namespace).
		WithLabels(labels).
		WithOwnerReferences(OwnerReference(ws)).
		WithSpec(pod)
}
