package resources

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Service is the Service in front of the nginx pods of ws.
func Service(ws *webserverv1alpha1.WebServer) *corev1ac.ServiceApplyConfiguration {
	serviceType := ws.Spec.Service.Type
	if serviceType == "" {
		serviceType = corev1.ServiceTypeClusterIP
	}
	port := corev1ac.ServicePort().
		WithName(HTTPPortName).
		WithProtocol(corev1.ProtocolTCP).
		WithPort(ws.ServicePort()).
		WithTargetPort(intstr.FromString(HTTPPortName))
	if ws.Spec.Service.NodePort != 0 && serviceType != corev1.ServiceTypeClusterIP {
		port.WithNodePort(ws.Spec.Service.NodePort)
	}
	ports := []*corev1ac.ServicePortApplyConfiguration{port}
	if ws.Spec.TLS != nil {
		ports = append(ports, corev1ac.ServicePort().
			WithName(HTTPSPortName).
			WithProtocol(corev1.ProtocolTCP).
			WithPort(ws.HTTPSServicePort()).
			WithTargetPort(intstr.FromString(HTTPSPortName)))
	}
	svc := corev1ac.Service(ws.Name, ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithSpec(corev1ac.ServiceSpec().
			WithType(serviceType).
			WithSelector(SelectorLabels(ws)).
			WithPorts(ports...))
	if len(ws.Spec.Service.Annotations) > 0 {
		svc.WithAnnotations(ws.Spec.Service.Annotations)
	}
	return svc
}

// ServiceURL is where the web server answers inside the cluster: its HTTPS address with
// spec.tls.
func ServiceURL(ws *webserverv1alpha1.WebServer) string {
	if ws.Spec.TLS != nil {
		url := fmt.Sprintf("https://%s.%s.svc", ws.Name, ws.Namespace)
		if port := ws.HTTPSServicePort(); port != 443 {
			url += fmt.Sprintf(":%d", port)
		}
		return url
	}
	url := fmt.Sprintf("http://%s.%s.svc", ws.Name, ws.Namespace)
	if port := ws.ServicePort(); port != 80 {
		url += fmt.Sprintf(":%d", port)
	}
	return url
}

// ServiceAccountName names the pods' ServiceAccount. It is not the WebServer's own name:
// every namespace has a "default" ServiceAccount (and OpenShift adds "builder" and
// "deployer"), and a WebServer of that name must work too.
func ServiceAccountName(ws *webserverv1alpha1.WebServer) string {
	return ws.Name + "-nginx"
}

// ServiceAccountNameFor names the ServiceAccount a pod template of the given format runs
// as: format 1 used the WebServer's name.
func ServiceAccountNameFor(ws *webserverv1alpha1.WebServer, format TemplateFormat) string {
	if format == TemplateFormat1 {
		return ws.Name
	}
	return ServiceAccountName(ws)
}

// ServiceAccount is the pods' identity for a pod template of the given format; they
// never talk to the API, so no token is mounted.
func ServiceAccount(ws *webserverv1alpha1.WebServer, format TemplateFormat) *corev1ac.ServiceAccountApplyConfiguration {
	return corev1ac.ServiceAccount(ServiceAccountNameFor(ws, format), ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithAutomountServiceAccountToken(false)
}
