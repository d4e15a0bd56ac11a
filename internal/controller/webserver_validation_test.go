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
			"spec.replicas must be between 0 and 1000"),
		Entry("privileged port", "priv", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Port = 80 },
			"spec.port must be between 1024 and 65535"),
		Entry("reserved status port", "status", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Port = webserverv1alpha1.StatusPort },
			"spec.port 8079 is reserved"),
		Entry("both inline config and a ConfigMap", "both", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {}", ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "x"}}
		}, "spec.config needs exactly one of inline or configMapRef"),
		Entry("empty config", "empty", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Config = &webserverv1alpha1.ConfigSpec{} },
			"spec.config needs exactly one of inline or configMapRef"),
		Entry("nodePort on a ClusterIP Service", "nodeport", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.NodePort = 30080 },
			"spec.service.nodePort can only be set when spec.service.type is NodePort or LoadBalancer"),
		Entry("unknown Service type", "svctype", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.Type = "ExternalName" },
			`supported values: "ClusterIP", "NodePort", "LoadBalancer"`),
		Entry("autoscaling min above max", "hpa", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{MinReplicas: ptr.To[int32](5), MaxReplicas: 2}
		}, "spec.autoscaling.minReplicas must not be greater than spec.autoscaling.maxReplicas"),
		Entry("both disruption bounds", "pdb", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), MaxUnavailable: ptr.To(intstr.FromInt32(1))}
		}, "spec.disruption takes minAvailable or maxUnavailable, not both"),

		// Fields this operator version does not act on.
		Entry("tls", "tls", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
		}, "spec.tls is not supported by this operator version"),
		Entry("ingress", "ingress", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com"}
		}, "spec.ingress is not supported by this operator version"),
		Entry("auth", "auth", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
		}, "spec.auth is not supported by this operator version"),
		Entry("an empty auth", "auth-empty", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Auth = &webserverv1alpha1.AuthSpec{} },
			"spec.auth is not supported by this operator version"),
		Entry("autoscaling", "autoscaling", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{MaxReplicas: 3}
		}, "spec.autoscaling is not supported by this operator version"),
		Entry("disruption", "disruption", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromInt32(1))}
		}, "spec.disruption is not supported by this operator version"),
		Entry("the Canary strategy", "strategy", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
		}, "spec.upgrade.strategy Canary is not supported by this operator version"),
		Entry("canary settings", "canary", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{}
		}, "spec.upgrade.canary is not supported by this operator version"),
		Entry("canary settings with the Canary strategy", "canary-strategy", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{}
		}, "spec.upgrade.canary is not supported by this operator version"),
		Entry("autoRollback true", "rollback-true", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.AutoRollback = ptr.To(true) },
			"spec.upgrade.autoRollback is not supported by this operator version"),
		Entry("autoRollback false", "rollback-false", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.AutoRollback = ptr.To(false) },
			"spec.upgrade.autoRollback is not supported by this operator version"),
		Entry("monitoring enabled", "monitoring", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
		}, "spec.monitoring.enabled is not supported by this operator version"),

		Entry("an image with spaces", "img", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx 1.27" },
			"spec.image must be an image reference without spaces"),
		Entry("a name that cannot name a Service", "9lives", func(ws *webserverv1alpha1.WebServer) {},
			"metadata.name must start with a letter"),
	)

	It("accepts a full WebServer and applies defaults", func() {
		ws := createWebServer(ctx, namespace, "full", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Image = "nginx:1.27"
			ws.Spec.Service = webserverv1alpha1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, NodePort: 30081}
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site"}}
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
			ws.Spec.RestartedAt = "2026-11-22T10:00:00Z"
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: false}
		})
		got := getWebServer(ctx, namespace, ws.Name)
		Expect(got.Spec.Replicas).To(HaveValue(Equal(int32(1))))
		Expect(got.Spec.Port).To(Equal(int32(8080)))
		Expect(got.Spec.Service.Port).To(Equal(int32(80)))
		Expect(got.Spec.Config.ConfigMapRef.Key).To(Equal("server.conf"))
		Expect(got.Spec.Upgrade.Strategy).To(Equal(webserverv1alpha1.UpgradeStrategyRollingUpdate))
		Expect(got.Spec.Upgrade.MaxSurge.IntValue()).To(Equal(1))
		Expect(got.Spec.Upgrade.MaxUnavailable.IntValue()).To(Equal(0))
		Expect(got.Spec.Upgrade.ProgressDeadlineSeconds).To(HaveValue(Equal(int32(600))))
		Expect(got.Spec.Upgrade.AutoRollback).To(BeNil(), "no default may promise a rollback this version does not do")
		Expect(got.Spec.Upgrade.Canary).To(BeNil())
	})
})
