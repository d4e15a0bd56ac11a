package controller

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

var _ = Describe("Ingress", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	ingress := func(g Gomega) *networkingv1.Ingress {
		in := &networkingv1.Ingress{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "routed"}, in)).To(Succeed())
		return in
	}

	It("routes the host and path to the Service, follows the spec and goes when ingress is unset", func() {
		createWebServer(ctx, namespace, "routed", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{
				Host: "www.example.test", Path: "/v2", ClassName: ptr.To("traefik"),
				Annotations: map[string]string{"example.test/owner": "web"},
				TLS:         &webserverv1alpha1.IngressTLSSpec{SecretName: "www-cert"},
			}
		})
		var in *networkingv1.Ingress
		Eventually(func(g Gomega) { in = ingress(g) }).WithTimeout(timeout).Should(Succeed())
		Expect(metav1.IsControlledBy(in, getWebServer(ctx, namespace, "routed"))).To(BeTrue())
		Expect(in.Spec.IngressClassName).To(HaveValue(Equal("traefik")))
		Expect(in.Annotations).To(HaveKeyWithValue("example.test/owner", "web"))
		Expect(in.Spec.TLS).To(Equal([]networkingv1.IngressTLS{{Hosts: []string{"www.example.test"}, SecretName: "www-cert"}}))
		Expect(in.Spec.Rules).To(HaveLen(1))
		rule := in.Spec.Rules[0]
		Expect(rule.Host).To(Equal("www.example.test"))
		Expect(rule.HTTP.Paths).To(HaveLen(1))
		Expect(rule.HTTP.Paths[0].Path).To(Equal("/v2"))
		Expect(rule.HTTP.Paths[0].PathType).To(HaveValue(Equal(networkingv1.PathTypePrefix)))
		Expect(rule.HTTP.Paths[0].Backend.Service.Name).To(Equal("routed"))
		Expect(rule.HTTP.Paths[0].Backend.Service.Port.Name).To(Equal(resources.HTTPPortName))

		By("a changed host is applied, a hand edit undone")
		updateWebServer(ctx, namespace, "routed", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Ingress.Host = "shop.example.test" })
		Eventually(func(g Gomega) { g.Expect(ingress(g).Spec.Rules[0].Host).To(Equal("shop.example.test")) }).WithTimeout(timeout).Should(Succeed())
		in = ingress(Default)
		in.Spec.Rules[0].HTTP.Paths[0].Path = "/elsewhere"
		Expect(k8sClient.Update(ctx, in)).To(Succeed())
		Eventually(func(g Gomega) { g.Expect(ingress(g).Spec.Rules[0].HTTP.Paths[0].Path).To(Equal("/v2")) }).WithTimeout(timeout).Should(Succeed())

		By("without spec.ingress the Ingress goes")
		updateWebServer(ctx, namespace, "routed", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Ingress = nil })
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "routed"}, &networkingv1.Ingress{}))
		}).WithTimeout(timeout).Should(BeTrue())
	})
})
