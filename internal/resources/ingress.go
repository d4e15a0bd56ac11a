package resources

import (
	networkingv1 "k8s.io/api/networking/v1"
	networkingv1ac "k8s.io/client-go/applyconfigurations/networking/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Ingress routes spec.ingress.host (and path) to the WebServer's Service, or is nil
// without spec.ingress. The backend is the Service's plain HTTP port: TLS, when asked for,
// ends at the Ingress (spec.ingress.tls).
func Ingress(ws *webserverv1alpha1.WebServer) *networkingv1ac.IngressApplyConfiguration {
	in := ws.Spec.Ingress
	if in == nil {
		return nil
	}
	path := in.Path
	if path == "" {
		path = "/"
	}
	spec := networkingv1ac.IngressSpec().
		WithRules(networkingv1ac.IngressRule().
			WithHost(in.Host).
			WithHTTP(networkingv1ac.HTTPIngressRuleValue().
				WithPaths(networkingv1ac.HTTPIngressPath().
					WithPath(path).
					WithPathType(networkingv1.PathTypePrefix).
					WithBackend(networkingv1ac.IngressBackend().
						WithService(networkingv1ac.IngressServiceBackend().
							WithName(ws.Name).
							WithPort(networkingv1ac.ServiceBackendPort().WithName(HTTPPortName)))))))
	if in.ClassName != nil {
		spec.WithIngressClassName(*in.ClassName)
	}
	if in.TLS != nil {
		spec.WithTLS(networkingv1ac.IngressTLS().WithHosts(in.Host).WithSecretName(in.TLS.SecretName))
	}
	ingress := networkingv1ac.Ingress(ws.Name, ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithSpec(spec)
	if len(in.Annotations) > 0 {
		ingress.WithAnnotations(in.Annotations)
	}
	return ingress
}
