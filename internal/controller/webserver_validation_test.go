package controller

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
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
			"spec.service.nodePort can only be set when service.type is NodePort or LoadBalancer"),
		Entry("unknown Service type", "svctype", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.Type = "ExternalName" },
			`supported values: "ClusterIP", "NodePort", "LoadBalancer"`),
		Entry("an image with spaces", "img", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx 1.27" },
			"image must be an image reference without spaces"),
		Entry("a name that cannot name a Service", "9lives", func(ws *webserverv1alpha1.WebServer) {},
			"metadata.name must start with a letter"),

		// Fields this version does not act on.
		Entry("tls", "tls", func(ws *webserverv1alpha1.WebServer) { ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"} },
			"spec.tls is not supported by this operator version"),
		Entry("ingress", "ingress", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com"}
		},
			"spec.ingress is not supported by this operator version"),
		Entry("auth", "auth", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
		}, "spec.auth is not supported by this operator version"),
		Entry("autoscaling", "hpa", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{MaxReplicas: 3}
		},
			"spec.autoscaling is not supported by this operator version"),
		Entry("disruption", "pdb", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromInt32(1))}
		}, "spec.disruption is not supported by this operator version"),
		Entry("the Canary strategy", "canary", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
		},
			"spec.upgrade.strategy: Canary is not supported by this operator version"),
		Entry("canary settings", "canaryspec", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{} },
			"spec.upgrade.canary is not supported by this operator version"),
		Entry("automatic rollback", "rollback", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.AutoRollback = ptr.To(true) },
			"spec.upgrade.autoRollback is not supported by this operator version"),
		Entry("monitoring", "monitoring", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
		},
			"spec.monitoring.enabled is not supported by this operator version"),

		// Specs that can never work.
		Entry("maxSurge and maxUnavailable both 0", "nosurge", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromInt32(0)) },
			"spec.upgrade: maxSurge and maxUnavailable cannot both be 0"),
		Entry("maxSurge and maxUnavailable both 0%", "nosurgepct", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("0%"))
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromString("0%"))
		}, "spec.upgrade: maxSurge and maxUnavailable cannot both be 0"),
		Entry("maxSurge neither a number nor a percentage", "surgetext", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("one"))
		}, "spec.upgrade.maxSurge must be a non-negative number or a percentage"),
		Entry("negative maxUnavailable", "unavailneg", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromInt32(-1))
		}, "spec.upgrade.maxUnavailable must be a non-negative number or a percentage from 0% to 100%"),
		Entry("maxUnavailable above 100%", "unavailpct", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromString("150%"))
		}, "spec.upgrade.maxUnavailable must be a non-negative number or a percentage from 0% to 100%"),
		Entry("disruption budget neither a number nor a percentage", "pdbtext", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MaxUnavailable: ptr.To(intstr.FromString("half"))}
		}, "spec.disruption.maxUnavailable must be a non-negative number or a percentage"),
		Entry("cpu requests above limits", "cpu", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
			}
		}, "spec.resources: requests.cpu must not exceed limits.cpu"),
		Entry("memory requests above limits", "mem", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")},
			}
		}, "spec.resources: requests.memory must not exceed limits.memory"),
		Entry("duplicate env names", "env", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}}
		}, `spec.podTemplate.env[1]: Duplicate value: {"name":"A"}`),
		Entry("an invalid Service annotation key", "svcann", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.Annotations = map[string]string{"not a key": "x"}
		}, "spec.service.annotations: every key must be a qualified name"),
		Entry("an invalid pod annotation key", "podann", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Annotations: map[string]string{"Example.com/x": "y"}}
		}, "spec.podTemplate.annotations: every key must be a qualified name"),
		Entry("a pod annotation name longer than 63", "podannlong", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Annotations: map[string]string{"example.com/" + strings.Repeat("a", 64): "y"}}
		}, "spec.podTemplate.annotations: every key must be a qualified name"),
		Entry("an invalid nodeSelector key", "nodesel", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{NodeSelector: map[string]string{"-zone": "a"}}
		}, "spec.podTemplate.nodeSelector: every key must be a qualified name"),
		Entry("a content ConfigMap name that is not a DNS name", "cmname", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "My_Pages"}
		}, "spec.content.configMapName must be the name of a ConfigMap"),
		Entry("a config ConfigMap name that is not a DNS name", "cfgname", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "-site"}}
		}, "spec.config.configMapRef.name must be the name of a ConfigMap"),
		Entry("a config key that cannot be a ConfigMap key", "cfgkey", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site", Key: "a/b"}}
		}, "spec.config.configMapRef.key must be a ConfigMap key"),
		Entry("a TLS Secret name that is not a DNS name", "tlsname", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "Cert"}
		}, "spec.tls.secretName must be the name of a Secret"),
		Entry("an htpasswd Secret name that is not a DNS name", "authname", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users!"}}
		}, "spec.auth.basic.secretName must be the name of a Secret"),
		Entry("an Ingress host that is not a DNS name", "host", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "http://www.example.com"}
		}, "spec.ingress.host must be a DNS name"),
		Entry("maxSkew 0", "skew", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
				MaxSkew: 0, TopologyKey: "zone", WhenUnsatisfiable: corev1.DoNotSchedule,
			}}}
		}, "spec.podTemplate.topologySpreadConstraints: maxSkew must be at least 1"),
		Entry("a toleration with operator Exists and a value", "toleration", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Tolerations: []corev1.Toleration{{
				Key: "dedicated", Operator: corev1.TolerationOpExists, Value: "web",
			}}}
		}, "spec.podTemplate.tolerations: a toleration with operator Exists must not set value"),
	)

	It("accepts a full WebServer and applies defaults, none of which promises an unsupported behaviour", func() {
		ws := createWebServer(ctx, namespace, "full", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Image = "nginx:1.27"
			ws.Spec.Service = webserverv1alpha1.ServiceSpec{Type: corev1.ServiceTypeLoadBalancer, NodePort: 30081,
				Annotations: map[string]string{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb", "plain": "x"}}
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site.v2"}}
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: false}
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("64Mi")},
			}
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("25%"))
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromInt32(1))
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{
				NodeSelector: map[string]string{"kubernetes.io/os": "linux", "tier": ""},
				Annotations:  map[string]string{"example.com/team": "web"},
				Env:          []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}},
				Tolerations:  []corev1.Toleration{{Key: "dedicated", Operator: corev1.TolerationOpExists}, {Key: "k", Operator: corev1.TolerationOpEqual, Value: "v"}},
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{{
					MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway,
				}},
			}
		})
		got := getWebServer(ctx, namespace, ws.Name)
		Expect(got.Spec.Replicas).To(HaveValue(Equal(int32(1))))
		Expect(got.Spec.Port).To(Equal(int32(8080)))
		Expect(got.Spec.Service.Port).To(Equal(int32(80)))
		Expect(got.Spec.Config.ConfigMapRef.Key).To(Equal("server.conf"))
		Expect(got.Spec.Upgrade.Strategy).To(Equal(webserverv1alpha1.UpgradeStrategyRollingUpdate))
		Expect(got.Spec.Upgrade.AutoRollback).To(BeNil(), "no default may suggest a behaviour that does not exist")

		plain := createWebServer(ctx, namespace, "plain", nil)
		got = getWebServer(ctx, namespace, plain.Name)
		Expect(got.Spec.Upgrade.MaxSurge.IntValue()).To(Equal(1))
		Expect(got.Spec.Upgrade.MaxUnavailable.IntValue()).To(Equal(0))
		Expect(got.Spec.Upgrade.AutoRollback).To(BeNil())
	})
})
