package resources

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const (
	// MetricsContainerName is the container that turns nginx's request log into metrics.
	MetricsContainerName = "metrics"
	// MetricsPortName names the metrics port on the pods and on the Service.
	MetricsPortName = "metrics"
	// RevisionEnv tells the metrics container the revision its pod runs.
	RevisionEnv = "WEBSERVER_REVISION"
	// MetricsLogDir is a volume nginx and the metrics container share; MetricsLogPipe, the
	// named pipe the metrics container makes there, receives nginx's request log.
	MetricsLogDir        = "/run/webserver-metrics"
	MetricsLogPipe       = MetricsLogDir + "/requests.pipe"
	metricsLogVolumeName = "metrics-log"
)

// The metrics container's own resources (requests == limits): it reads one line per
// request and holds a few counters; the Go soft limit stays below the container's limit.
var (
	// MetricsCPU is the metrics container's CPU limit; MetricsGoMemoryLimit its GOMEMLIMIT.
	MetricsCPU           = resource.MustParse("50m")
	metricsMemory        = resource.MustParse("32Mi")
	MetricsGoMemoryLimit = "24MiB"
)

// metricsContainer runs as a native sidecar (an init container that keeps running): it has
// made the log pipe before nginx starts (its startup probe passes only then), so nginx
// never makes a plain file in its place, and it stops after nginx, so it reads the records
// nginx flushes on its way out. It is not part of the pod's readiness: the
// site serves whether or not its metrics do.
func metricsContainer(in WorkloadInputs) *corev1ac.ContainerApplyConfiguration {
	limits := corev1.ResourceList{corev1.ResourceCPU: MetricsCPU, corev1.ResourceMemory: metricsMemory}
	health := func() *corev1ac.ProbeApplyConfiguration {
		return corev1ac.Probe().WithHTTPGet(corev1ac.HTTPGetAction().WithPath("/healthz").WithPort(intstr.FromString(MetricsPortName)))
	}
	return corev1ac.Container().
		WithName(MetricsContainerName).
		WithImage(in.MetricsImage).
		WithCommand("/webserver-metrics").
		WithArgs(
			"--log-pipe="+MetricsLogPipe,
			fmt.Sprintf("--metrics-address=:%d", webserverv1alpha1.MetricsPort),
			fmt.Sprintf("--stub-status-url=http://127.0.0.1:%d%s", webserverv1alpha1.StatusPort, StatusPath)).
		WithEnv(
			corev1ac.EnvVar().WithName(RevisionEnv).WithValue(in.Revision),
			corev1ac.EnvVar().WithName("GOMEMLIMIT").WithValue(MetricsGoMemoryLimit)).
		WithPorts(corev1ac.ContainerPort().WithName(MetricsPortName).WithContainerPort(webserverv1alpha1.MetricsPort).WithProtocol(corev1.ProtocolTCP)).
		WithRestartPolicy(corev1.ContainerRestartPolicyAlways).
		WithResources(corev1ac.ResourceRequirements().WithRequests(limits).WithLimits(limits)).
		WithStartupProbe(health().WithPeriodSeconds(1).WithFailureThreshold(30)).
		WithLivenessProbe(health().WithPeriodSeconds(10).WithFailureThreshold(3)).
		WithSecurityContext(ContainerSecurityContext()).
		WithVolumeMounts(metricsLogMount())
}

func metricsLogMount() *corev1ac.VolumeMountApplyConfiguration {
	return corev1ac.VolumeMount().WithName(metricsLogVolumeName).WithMountPath(MetricsLogDir)
}

// metricsLogVolume holds only the pipe: nothing is stored in it.
func metricsLogVolume() *corev1ac.VolumeApplyConfiguration {
	return corev1ac.Volume().WithName(metricsLogVolumeName).WithEmptyDir(corev1ac.EmptyDirVolumeSource().
		WithSizeLimit(resource.MustParse("1Mi")))
}
