package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// nginxUID is the nginx user of the common nginx images; any non-root UID works
// because nginx writes only to /tmp.
const nginxUID = 101

// Default resources when the spec sets none: requests == limits for Guaranteed QoS.
var (
	defaultCPU    = resource.MustParse("250m")
	defaultMemory = resource.MustParse("128Mi")
)

// PodSecurityContext passes the restricted Pod Security Standard.
func PodSecurityContext() *corev1ac.PodSecurityContextApplyConfiguration {
	return corev1ac.PodSecurityContext().
		WithRunAsNonRoot(true).
		WithRunAsUser(nginxUID).
		WithRunAsGroup(nginxUID).
		WithFSGroup(nginxUID).
		WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
}

// ContainerSecurityContext passes the restricted Pod Security Standard with a
// read-only root filesystem.
func ContainerSecurityContext() *corev1ac.SecurityContextApplyConfiguration {
	return corev1ac.SecurityContext().
		WithAllowPrivilegeEscalation(false).
		WithReadOnlyRootFilesystem(true).
		WithRunAsNonRoot(true).
		WithCapabilities(corev1ac.Capabilities().WithDrop("ALL")).
		WithSeccompProfile(corev1ac.SeccompProfile().WithType(corev1.SeccompProfileTypeRuntimeDefault))
}

// ContainerResources are the spec's resources with requests and limits completing
// each other, so pods get the Guaranteed QoS class unless the user asks otherwise.
func ContainerResources(ws *webserverv1alpha1.WebServer) corev1.ResourceRequirements {
	var out corev1.ResourceRequirements
	if ws.Spec.Resources != nil {
		out = *ws.Spec.Resources.DeepCopy()
	}
	if len(out.Requests) == 0 && len(out.Limits) == 0 {
		out.Requests = corev1.ResourceList{corev1.ResourceCPU: defaultCPU, corev1.ResourceMemory: defaultMemory}
	}
	if out.Limits == nil {
		out.Limits = corev1.ResourceList{}
	}
	if out.Requests == nil {
		out.Requests = corev1.ResourceList{}
	}
	for name, q := range out.Requests {
		if _, ok := out.Limits[name]; !ok {
			out.Limits[name] = q
		}
	}
	for name, q := range out.Limits {
		if _, ok := out.Requests[name]; !ok {
			out.Requests[name] = q
		}
	}
	return out
}
