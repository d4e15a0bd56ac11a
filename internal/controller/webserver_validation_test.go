package controller

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

var _ = Describe("WebServer admission (OpenAPI + CEL)", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	DescribeTable("rejects invalid WebServers with a message that says what to fix",
		func(name string, mutate func(*webserverv1alpha1.WebServer), message string) {
			ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
			mutate(ws)
			err := k8sClient.Create(ctx, ws)
			Expect(err).To(HaveOccurred())
			Expect(err.Error()).To(ContainSubstring(message))
		},
		Entry("negative replicas", "neg", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](-1) },
			"replicas must be between 0 and 1000"),
		Entry("privileged port", "priv", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Port = 80 },
			"port must be between 1024 and 65535"),
		Entry("reserved status port", "status", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Port = webserverv1alpha1.StatusPort },
			"port 8079 is reserved"),
		Entry("both inline config and a ConfigMap", "both", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {}", ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "x"}}
		}, "config needs exactly one of inline or configMapRef"),
		Entry("empty config", "empty", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Config = &webserverv1alpha1.ConfigSpec{} },
			"config needs exactly one of inline or configMapRef"),
		Entry("nodePort on a ClusterIP Service", "nodeport", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.NodePort = 30080 },
			"service.nodePort can only be set when service.type is NodePort or LoadBalancer"),
		Entry("unknown Service type", "svctype", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.Type = "ExternalName" },
			`supported values: "ClusterIP", "NodePort", "LoadBalancer"`),
		Entry("autoscaling min above max", "hpa", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](5), MaxReplicas: 2}
		}, "autoscaling.minReplicas must not be greater than autoscaling.maxReplicas"),
		Entry("both disruption bounds", "pdb", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(1))}
		}, "disruption takes minAvailable or maxUnavailable, not both"),
		Entry("canary settings without the Canary strategy", "canary", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{}
		}, "upgrade.canary can only be set when upgrade.strategy is Canary"),
		Entry("an image with spaces", "img", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx 1.27" },
			"image must be an image reference without spaces"),
		Entry("a name that cannot name a Service", "9lives", func(ws *webserverv1alpha1.WebServer) {},
			"metadata.name must start with a letter"),
	)

	It("accepts a full WebServer and applies defaults", func() {
		ws := createWebServer(ctx, namespace, "full", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Image = "nginx:1.27"
			ws.Spec.Service = webserverv1alpha1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, NodePort: 30081}
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site"}}
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{MaxReplicas: 5}
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{}
		})
		got := getWebServer(ctx, namespace, ws.Name)
		Expect(got.Spec.Replicas).To(HaveValue(Equal(int32(1))))
		Expect(got.Spec.Port).To(Equal(int32(8080)))
		Expect(got.Spec.Service.Port).To(Equal(int32(80)))
		Expect(got.Spec.Config.ConfigMapRef.Key).To(Equal("server.conf"))
		Expect(got.Spec.Autoscaling.MinReplicas).To(HaveValue(Equal(int32(1))))
		Expect(got.Spec.Upgrade.MaxUnavailable.IntValue()).To(Equal(0))
		Expect(got.Spec.Upgrade.AutoRollback).To(HaveValue(BeTrue()))
		Expect(got.Spec.Upgrade.Canary.CheckPath).To(Equal("/"))
	})

	It("says which accepted fields this version does not act on yet", func() {
		createWebServer(ctx, namespace, "later", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{MaxReplicas: 3}
		})
		Eventually(func(g Gomega) {
			ws := getWebServer(ctx, namespace, "later")
			g.Expect(ws.Status.Conditions).To(ContainElement(And(
				HaveField("Type", webserverv1alpha1.ConditionAvailable),
				HaveField("Message", ContainSubstring("ignored: spec.tls, spec.autoscaling")),
			)))
		}).WithTimeout(timeout).Should(Succeed())
	})
})
