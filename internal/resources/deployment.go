package resources

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
	metav1ac "k8s.io/client-go/applyconfigurations/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Names and annotations of the nginx pod.
const (
	ContainerName     = "nginx"
	HTTPPortName      = "http"
	HTTPSPortName     = "https"
	StatusPortName    = "status"
	ConfigVolume      = "config"
	ContentVolume     = "html"
	tmpVolume         = "tmp"
	tmpVolumeSize     = "64Mi"
	preStopSleepSecs  = 5
	defaultMaxSurge   = 1
	defaultDeadline   = 600
	revisionsToRetain = 5

	// AnnotationRestartedAt carries spec.restartedAt into the pod template: a new
	// value rolls every pod.
	AnnotationRestartedAt = "webserver.dev/restarted-at"
	// AnnotationContentHash carries the hash of the user's content ConfigMap into a
	// format-1 pod template, which mounts that ConfigMap directly: new content rolls the
	// pods instead of appearing pod by pod.
	AnnotationContentHash = "webserver.dev/content-hash"
	// AnnotationTemplateFormat, on the Deployment (not its pod template), says which
	// TemplateFormat built the pod template. Deployments without it are format 1.
	AnnotationTemplateFormat = "webserver.dev/template-format"
)

// TemplateFormat is the shape of the pod template. An operator upgrade must not restart
// pods merely because the operator now builds templates differently, so a Deployment
// keeps the format it was built with until its pods roll for a reason of their own.
type TemplateFormat int

const (
	// TemplateFormat1 is what operators before the template-format annotation built: the
	// ServiceAccount is named like the WebServer, and the user's content ConfigMap is
	// mounted directly, its hash in the AnnotationContentHash pod annotation.
	TemplateFormat1 TemplateFormat = 1
	// TemplateFormat2 uses the ServiceAccount ServiceAccountName names and mounts an
	// immutable snapshot of the content (ContentConfigMapName), so content rolls and rolls
	// back like config.
	TemplateFormat2 TemplateFormat = 2
	// TemplateFormat3 is format 2 plus, when the spec sets no topology spread constraints,
	// a default one that spreads the pods across nodes (ScheduleAnyway).
	TemplateFormat3 TemplateFormat = 3
	// CurrentTemplateFormat is what new Deployments and every rollout get.
	CurrentTemplateFormat = TemplateFormat3
)

// WorkloadInputs are what the Deployment depends on besides the spec: resolved by the
// reconciler from the cluster, so the builder itself stays pure.
type WorkloadInputs struct {
	Image         string
	ConfigMapName string
	// ContentHash identifies the content ConfigMap's data ("" without spec.content).
	ContentHash string
	// SecretHash identifies the secret snapshot (SecretSnapshotName) the pods mount: ""
	// without spec.tls and spec.auth.
	SecretHash string
	// RestartedAt is the restartedAt value the pods carry: the spec's, or that of the
	// revision a rollback returns to.
	RestartedAt     string
	ReplicasManaged bool // false when something else (an HPA) owns spec.replicas
	// Format is the pod template format to build; zero means CurrentTemplateFormat.
	Format TemplateFormat
	// Revision names what the pods run; the metrics container labels its metrics with it.
	Revision string
	// MetricsImage runs the metrics container (monitoring.enabled).
	MetricsImage string
}

func (in WorkloadInputs) format() TemplateFormat {
	if in.Format == 0 {
		return CurrentTemplateFormat
	}
	return in.Format
}

// Deployment is the nginx Deployment of ws.
func Deployment(ws *webserverv1alpha1.WebServer, in WorkloadInputs) *appsv1ac.DeploymentApplyConfiguration {
	upgrade := ws.Spec.Upgrade
	strategy := appsv1ac.DeploymentStrategy().
		WithType("RollingUpdate").
		WithRollingUpdate(appsv1ac.RollingUpdateDeployment().
			WithMaxSurge(ptr.Deref(upgrade.MaxSurge, intstr.FromInt32(defaultMaxSurge))).
			WithMaxUnavailable(ptr.Deref(upgrade.MaxUnavailable, intstr.FromInt32(0))))

	spec := appsv1ac.DeploymentSpec().
		WithSelector(metav1ac.LabelSelector().WithMatchLabels(SelectorLabels(ws))).
		WithStrategy(strategy).
		WithProgressDeadlineSeconds(ptr.Deref(upgrade.ProgressDeadlineSeconds, defaultDeadline)).
		WithRevisionHistoryLimit(revisionsToRetain).
		WithTemplate(podTemplate(ws, in))
	if in.ReplicasManaged {
		spec.WithReplicas(ws.DesiredReplicas())
	}

	dep := appsv1ac.Deployment(ws.Name, ws.Namespace).
		WithLabels(WorkloadLabels(ws, in.Image)).
		WithOwnerReferences(OwnerReference(ws)).
		WithSpec(spec)
	if format := in.format(); format != TemplateFormat1 {
		dep.WithAnnotations(map[string]string{AnnotationTemplateFormat: strconv.Itoa(int(format))})
	}
	return dep
}

func podTemplate(ws *webserverv1alpha1.WebServer, in WorkloadInputs) *corev1ac.PodTemplateSpecApplyConfiguration {
	annotations := map[string]string{}
	var extra webserverv1alpha1.PodTemplateSpec
	if ws.Spec.PodTemplate != nil {
		extra = *ws.Spec.PodTemplate
	}
	for k, v := range extra.Annotations {
		annotations[k] = v
	}
	if in.RestartedAt != "" {
		annotations[AnnotationRestartedAt] = in.RestartedAt
	}
	if in.ContentHash != "" && in.format() == TemplateFormat1 {
		annotations[AnnotationContentHash] = in.ContentHash
	}

	pod := corev1ac.PodSpec().
		WithServiceAccountName(ServiceAccountNameFor(ws, in.format())).
		WithAutomountServiceAccountToken(false).
		WithEnableServiceLinks(false).
		WithSecurityContext(PodSecurityContext()).
		WithTerminationGracePeriodSeconds(30).
		WithContainers(nginxContainer(ws, in, extra.Env)).
		WithVolumes(volumes(ws, in)...)
	if ws.MonitoringEnabled() {
		pod.WithInitContainers(metricsContainer(in))
	}
	if len(extra.NodeSelector) > 0 {
		pod.WithNodeSelector(extra.NodeSelector)
	}
	for i := range extra.Tolerations {
		pod.WithTolerations(toleration(extra.Tolerations[i]))
	}
	if extra.Affinity != nil {
		pod.WithAffinity(affinity(extra.Affinity))
	}
	for i := range extra.TopologySpreadConstraints {
		pod.WithTopologySpreadConstraints(topologySpread(extra.TopologySpreadConstraints[i]))
	}
	if len(extra.TopologySpreadConstraints) == 0 && in.format() >= TemplateFormat3 {
		pod.WithTopologySpreadConstraints(defaultTopologySpread(ws))
	}

	template := corev1ac.PodTemplateSpec().
		WithLabels(WorkloadLabels(ws, in.Image)).
		WithSpec(pod)
	if len(annotations) > 0 {
		template.WithAnnotations(annotations)
	}
	return template
}

// defaultTopologySpread spreads the pods of one rollout (pod-template-hash) across nodes
// when it can, and never keeps a pod from being scheduled for it.
func defaultTopologySpread(ws *webserverv1alpha1.WebServer) *corev1ac.TopologySpreadConstraintApplyConfiguration {
	return corev1ac.TopologySpreadConstraint().
		WithMaxSkew(1).
		WithTopologyKey(corev1.LabelHostname).
		WithWhenUnsatisfiable(corev1.ScheduleAnyway).
		WithLabelSelector(metav1ac.LabelSelector().WithMatchLabels(SelectorLabels(ws))).
		WithMatchLabelKeys(appsv1.DefaultDeploymentUniqueLabelKey)
}

func nginxContainer(ws *webserverv1alpha1.WebServer, in WorkloadInputs, env []corev1.EnvVar) *corev1ac.ContainerApplyConfiguration {
	resources := ContainerResources(ws)
	health := func() *corev1ac.ProbeApplyConfiguration {
		return corev1ac.Probe().WithHTTPGet(corev1ac.HTTPGetAction().
			WithPath(HealthPath).
			WithPort(intstr.FromString(StatusPortName)))
	}
	ports := []*corev1ac.ContainerPortApplyConfiguration{
		corev1ac.ContainerPort().WithName(HTTPPortName).WithContainerPort(ws.HTTPPort()).WithProtocol(corev1.ProtocolTCP),
		corev1ac.ContainerPort().WithName(StatusPortName).WithContainerPort(webserverv1alpha1.StatusPort).WithProtocol(corev1.ProtocolTCP),
	}
	if ws.Spec.TLS != nil {
		ports = append(ports, corev1ac.ContainerPort().WithName(HTTPSPortName).WithContainerPort(ws.HTTPSPort()).WithProtocol(corev1.ProtocolTCP))
	}
	container := corev1ac.Container().
		WithName(ContainerName).
		WithImage(in.Image).
		WithCommand("nginx").
		WithArgs("-e", "stderr", "-c", ConfigFile).
		WithPorts(ports...).
		WithResources(corev1ac.ResourceRequirements().
			WithRequests(resources.Requests).
			WithLimits(resources.Limits)).
		WithReadinessProbe(readinessProbe(ws, health())).
		WithLivenessProbe(health().WithPeriodSeconds(10).WithFailureThreshold(3)).
		// Keep serving while endpoints drop this pod, so no request reaches a closed socket.
		WithLifecycle(corev1ac.Lifecycle().
			WithPreStop(corev1ac.LifecycleHandler().WithSleep(corev1ac.SleepAction().WithSeconds(preStopSleepSecs)))).
		WithSecurityContext(ContainerSecurityContext()).
		WithVolumeMounts(nginxVolumeMounts(ws, in)...)
	for i := range env {
		container.WithEnv(envVar(env[i]))
	}
	return container
}

// readinessProbe asks the site itself when spec.readinessPath is set, over HTTPS with
// spec.tls (plain HTTP may only redirect), and the operator's health endpoint otherwise.
func readinessProbe(ws *webserverv1alpha1.WebServer, health *corev1ac.ProbeApplyConfiguration) *corev1ac.ProbeApplyConfiguration {
	if ws.Spec.ReadinessPath != "" {
		get := corev1ac.HTTPGetAction().WithPath(ws.Spec.ReadinessPath).WithPort(intstr.FromString(HTTPPortName))
		if ws.Spec.TLS != nil {
			get.WithPort(intstr.FromString(HTTPSPortName)).WithScheme(corev1.URISchemeHTTPS)
		}
		health = corev1ac.Probe().WithHTTPGet(get)
	}
	return health.WithPeriodSeconds(5).WithFailureThreshold(2)
}

func nginxVolumeMounts(ws *webserverv1alpha1.WebServer, in WorkloadInputs) []*corev1ac.VolumeMountApplyConfiguration {
	mounts := []*corev1ac.VolumeMountApplyConfiguration{
		corev1ac.VolumeMount().WithName(ConfigVolume).WithMountPath(ConfigDir).WithReadOnly(true),
		corev1ac.VolumeMount().WithName(ContentVolume).WithMountPath(DocumentRoot).WithReadOnly(true),
		corev1ac.VolumeMount().WithName(tmpVolume).WithMountPath(TmpDir),
	}
	if in.SecretHash != "" {
		mounts = append(mounts, corev1ac.VolumeMount().WithName(SecretVolume).WithMountPath(SecretDir).WithReadOnly(true))
	}
	if ws.MonitoringEnabled() {
		mounts = append(mounts, metricsLogMount())
	}
	return mounts
}

func volumes(ws *webserverv1alpha1.WebServer, in WorkloadInputs) []*corev1ac.VolumeApplyConfiguration {
	config := corev1ac.Volume().WithName(ConfigVolume).WithConfigMap(
		corev1ac.ConfigMapVolumeSource().WithName(in.ConfigMapName).
			WithItems(corev1ac.KeyToPath().WithKey(NginxConfKey).WithPath(NginxConfKey)))

	content := corev1ac.Volume().WithName(ContentVolume)
	switch {
	case ws.Spec.Content != nil && in.format() == TemplateFormat1:
		content.WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(ws.Spec.Content.ConfigMapName))
	case ws.Spec.Content != nil:
		content.WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(ContentConfigMapName(ws, in.ContentHash)))
	default:
		content.WithConfigMap(corev1ac.ConfigMapVolumeSource().WithName(in.ConfigMapName).
			WithItems(corev1ac.KeyToPath().WithKey(DefaultIndexKey).WithPath(DefaultIndexKey)))
	}

	tmp := corev1ac.Volume().WithName(tmpVolume).WithEmptyDir(corev1ac.EmptyDirVolumeSource().
		WithSizeLimit(resourceMustParse(tmpVolumeSize)))
	vols := []*corev1ac.VolumeApplyConfiguration{config, content, tmp}
	if in.SecretHash != "" {
		// Readable by the pods' group (fsGroup) only.
		vols = append(vols, corev1ac.Volume().WithName(SecretVolume).WithSecret(
			corev1ac.SecretVolumeSource().WithSecretName(SecretSnapshotName(ws, in.SecretHash)).WithDefaultMode(0o440)))
	}
	if ws.MonitoringEnabled() {
		vols = append(vols, metricsLogVolume())
	}
	return vols
}
