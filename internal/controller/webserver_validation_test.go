package controller

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

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

		Entry("an empty auth", "auth-empty", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Auth = &webserverv1alpha1.AuthSpec{} },
			"spec.auth needs basic"),
		Entry("HTTPS on the HTTP container port", "tls-port", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert", Port: 8080}
		}, "spec.tls.port must differ from spec.port"),
		Entry("HTTPS on the status port", "tls-status", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert", Port: webserverv1alpha1.StatusPort}
		}, "spec.tls.port 8079 is reserved"),
		Entry("HTTPS on the HTTP Service port", "tls-service-port", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert", ServicePort: 80}
		}, "spec.tls.servicePort must differ from spec.service.port"),

		// Fields this operator version does not act on.
		Entry("an Ingress in front of a Service that redirects HTTP", "ingress-redirect", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com"}
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
		}, "spec.ingress sends plain HTTP to the Service"),
		Entry("canary settings without the Canary strategy", "canary", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{}
		}, "spec.upgrade.canary applies to strategy Canary only"),
		Entry("the Canary strategy without the pods' metrics", "canary-metrics", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
		}, "spec.upgrade.strategy Canary needs spec.monitoring.enabled: true"),
		Entry("a failure threshold below 5 s", "threshold", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.FailureThresholdSeconds = ptr.To[int32](2)
		}, "spec.upgrade.failureThresholdSeconds"),
		Entry("the metrics port as the site's port", "monitoring-port", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Port = webserverv1alpha1.MetricsPort
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
		}, "spec.port and spec.tls.port cannot be 9113 with spec.monitoring.enabled"),
		Entry("an error ratio alert above 100 %", "monitoring-ratio", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true, ErrorRatioPercent: 101}
		}, "spec.monitoring.errorRatioPercent"),

		// Values that can never work.
		Entry("a negative maxSurge", "surge-neg", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromInt32(-1))
		}, "spec.upgrade.maxSurge must be a non-negative integer or a percentage"),
		Entry("a maxSurge that is neither a number nor a percentage", "surge-str", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("25"))
		}, "spec.upgrade.maxSurge must be a non-negative integer or a percentage"),
		Entry("a negative maxUnavailable", "unavail-neg", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromInt32(-1))
		}, "spec.upgrade.maxUnavailable must be a non-negative integer or a percentage from 0% to 100%"),
		Entry("a maxUnavailable above 100%", "unavail-pct", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromString("150%"))
		}, "spec.upgrade.maxUnavailable must be a non-negative integer or a percentage from 0% to 100%"),
		Entry("maxSurge 0 with the default maxUnavailable 0", "surge-zero", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromInt32(0))
		}, "spec.upgrade: maxSurge and maxUnavailable cannot both be 0: a rollout could never replace a pod; set maxSurge: 1"),
		Entry("maxSurge and maxUnavailable both 0%", "zero-pct", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("0%"))
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromString("0%"))
		}, "spec.upgrade: maxSurge and maxUnavailable cannot both be 0"),
		Entry("a disruption minAvailable above 100%", "pdb-min", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MinAvailable: ptr.To(intstr.FromString("120%"))}
		}, "spec.disruption.minAvailable must be a non-negative integer or a percentage from 0% to 100%"),
		Entry("a negative disruption maxUnavailable", "pdb-max", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MaxUnavailable: ptr.To(intstr.FromInt32(-1))}
		}, "spec.disruption.maxUnavailable must be a non-negative integer or a percentage from 0% to 100%"),
		Entry("a cpu request above its limit", "cpu", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
				Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
			}
		}, "spec.resources: requests.cpu must not exceed limits.cpu"),
		Entry("a memory request above its limit", "memory", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("1Gi")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("512Mi")},
			}
		}, "spec.resources: requests.memory must not exceed limits.memory"),
		Entry("an ephemeral-storage request above its limit", "storage", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("2G")},
				Limits:   corev1.ResourceList{corev1.ResourceEphemeralStorage: resource.MustParse("1Gi")},
			}
		}, "spec.resources: requests.ephemeral-storage must not exceed limits.ephemeral-storage"),
		Entry("resource claims", "claims", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Resources = &corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}}
		}, "spec.resources.claims is not supported by this operator version"),
		Entry("two env variables with the same name", "env", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Env: []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "A", Value: "2"}}}
		}, `spec.podTemplate.env[1]: Duplicate value: {"name":"A"}`),
		Entry("a Service annotation key with a space", "svc-annotation", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.Annotations = map[string]string{"my annotation": "x"}
		}, "spec.service.annotations: every key must be a valid annotation key"),
		Entry("a pod annotation key with a prefix above 253 characters", "pod-annotation-prefix", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Annotations: map[string]string{strings.Repeat("a", 254) + "/x": "y"}}
		}, "spec.podTemplate.annotations: every key must be a valid annotation key"),
		Entry("a pod annotation key with a name above 63 characters", "pod-annotation-name", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Annotations: map[string]string{"example.com/" + strings.Repeat("a", 64): "y"}}
		}, "spec.podTemplate.annotations: every key must be a valid annotation key"),
		Entry("a pod annotation key ending in '-'", "pod-annotation-end", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Annotations: map[string]string{"owner-": "y"}}
		}, "spec.podTemplate.annotations: every key must be a valid annotation key"),
		Entry("an Ingress annotation key with two slashes", "ingress-annotation", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com", Annotations: map[string]string{"a/b/c": "x"}}
		}, "spec.ingress.annotations: every key must be a valid annotation key"),
		Entry("a nodeSelector key with an upper-case prefix", "selector-key", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{NodeSelector: map[string]string{"Example.com/disk": "ssd"}}
		}, "spec.podTemplate.nodeSelector: every key must be a valid label key"),
		Entry("a nodeSelector value above 63 characters", "selector-value", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{NodeSelector: map[string]string{"disk": strings.Repeat("s", 64)}}
		}, "spec.podTemplate.nodeSelector: every value must be a valid label value"),
		Entry("an invalid config ConfigMap name", "cm-name", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "Site_Config"}}
		}, "spec.config.configMapRef.name must be a ConfigMap name"),
		Entry("an invalid config ConfigMap key", "cm-key", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site", Key: "conf/server.conf"}}
		}, "spec.config.configMapRef.key must be a ConfigMap key"),
		Entry("the config ConfigMap key '..'", "cm-dots", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site", Key: ".."}}
		}, "spec.config.configMapRef.key must be a ConfigMap key"),
		Entry("an invalid content ConfigMap name", "content", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "Pages"}
		}, "spec.content.configMapName must be a ConfigMap name"),
		Entry("an invalid TLS Secret name", "tls-secret", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "my cert"}
		}, "spec.tls.secretName must be a Secret name"),
		Entry("an invalid htpasswd Secret name", "auth-secret", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "-users"}}
		}, "spec.auth.basic.secretName must be a Secret name"),
		Entry("an invalid Ingress TLS Secret name", "ingress-secret", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com", TLS: &webserverv1alpha1.IngressTLSSpec{SecretName: "cert."}}
		}, "spec.ingress.tls.secretName must be a Secret name"),
		Entry("an Ingress host that is a URL", "ingress-host", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "https://www.example.com/"}
		}, "spec.ingress.host must be a DNS name"),
		Entry("an invalid IngressClass name", "ingress-class", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com", ClassName: ptr.To("Nginx_Class")}
		}, "spec.ingress.className must be an IngressClass name"),
		Entry("a relative Ingress path", "ingress-path", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: "www.example.com", Path: "site"}
		}, "spec.ingress.path must start with /"),
		Entry("a relative canary check path", "canary-path", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{CheckPath: "healthz"}
		}, "spec.upgrade.canary.checkPath must be a path starting with /"),
		Entry("a canary of a site behind basic auth that checks a path needing credentials", "canary-auth", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
			ws.Spec.ReadinessPath = "/healthz.html"
		}, "spec.upgrade.canary.checkPath must be spec.readinessPath with spec.auth"),
		Entry("a canary analysis interval below 5 s", "canary-interval", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{IntervalSeconds: ptr.To[int32](1)}
		}, "spec.upgrade.canary.intervalSeconds"),
		Entry("a topology spread constraint with maxSkew 0", "skew", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 0, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.DoNotSchedule},
			}}
		}, "spec.podTemplate.topologySpreadConstraints: maxSkew must be at least 1"),
		Entry("a topology spread constraint with an unknown whenUnsatisfiable", "unsatisfiable", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
				{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: "Never"},
			}}
		}, "spec.podTemplate.topologySpreadConstraints: whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway"),
		Entry("a toleration with operator Exists and a value", "toleration-value", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Tolerations: []corev1.Toleration{
				{Key: "dedicated", Operator: corev1.TolerationOpExists, Value: "web"},
			}}
		}, "spec.podTemplate.tolerations: a toleration with operator Exists must not set value"),
		Entry("a toleration with an unknown operator", "toleration-operator", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Tolerations: []corev1.Toleration{{Key: "dedicated", Operator: "exists"}}}
		}, "spec.podTemplate.tolerations: operator must be Equal or Exists"),
		Entry("a toleration without key and with operator Equal", "toleration-key", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Tolerations: []corev1.Toleration{{Operator: corev1.TolerationOpEqual, Value: "web"}}}
		}, "spec.podTemplate.tolerations: a toleration without key must use operator Exists"),
		Entry("a toleration with an unknown effect", "toleration-effect", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Tolerations: []corev1.Toleration{{Key: "dedicated", Value: "web", Effect: "NoScheduled"}}}
		}, "spec.podTemplate.tolerations: effect must be NoSchedule, PreferNoSchedule or NoExecute"),
		Entry("tolerationSeconds without effect NoExecute", "toleration-seconds", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{Tolerations: []corev1.Toleration{
				{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule, TolerationSeconds: ptr.To[int64](60)},
			}}
		}, "spec.podTemplate.tolerations: tolerationSeconds can only be set with effect NoExecute"),

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
		Expect(got.Spec.Upgrade.AutoRollback).To(HaveValue(BeTrue()), "failed rollouts roll back unless the spec says otherwise")
		Expect(got.Spec.Upgrade.FailureThresholdSeconds).To(HaveValue(Equal(int32(30))))
		Expect(got.Spec.Upgrade.Canary).To(BeNil())
	})

	It("accepts valid values of every rule, and so does the Deployment built from them", func() {
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "site.v2"},
			Data:       map[string]string{"site_server.conf": "location / { return 200 'ok'; }"},
		})).To(Succeed())
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages-2"},
			Data:       map[string]string{"index.html": "<h1>ok</h1>"},
		})).To(Succeed())
		createWebServer(ctx, namespace, "valid", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.Annotations = map[string]string{"service.beta.kubernetes.io/aws-load-balancer-type": "nlb", "owner": "web"}
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site.v2", Key: "site_server.conf"}}
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages-2"}
			ws.Spec.Resources = &corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")},
				Limits: corev1.ResourceList{
					corev1.ResourceCPU: resource.MustParse("0.5"), corev1.ResourceMemory: resource.MustParse("64Mi"),
					corev1.ResourceEphemeralStorage: resource.MustParse("1Gi"),
				},
			}
			ws.Spec.PodTemplate = &webserverv1alpha1.PodTemplateSpec{
				NodeSelector: map[string]string{"kubernetes.io/os": "linux", "node.example.com/pool_A": "web-1.a", "edge": ""},
				Tolerations: []corev1.Toleration{
					{Key: "dedicated", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
					{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "web"},
					{Key: "node.kubernetes.io/unreachable", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](30)},
					{Operator: corev1.TolerationOpExists},
				},
				TopologySpreadConstraints: []corev1.TopologySpreadConstraint{
					{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway},
				},
				Annotations: map[string]string{"prometheus.io/scrape": "true", "example.com/team.name": "web", "A_b.c": ""},
				Env:         []corev1.EnvVar{{Name: "A", Value: "1"}, {Name: "B", Value: "2"}},
			}
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("25%"))
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromInt32(1))
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
			ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{
				Replicas: ptr.To[int32](2), CheckPath: "/health/check.html?probe=1", IntervalSeconds: ptr.To[int32](5), Analyses: ptr.To[int32](1),
				MinRequests: ptr.To[int32](1), MaxErrorRatioPercent: ptr.To[int32](0), ErrorRatioMarginPercent: ptr.To[int32](100),
				MaxLatencyP95Milliseconds: ptr.To[int32](1), LatencyMarginPercent: ptr.To[int32](0), ManualApproval: true,
			}
		})
		got := getWebServer(ctx, namespace, "valid")
		Expect(got.CanarySettings()).To(Equal(*got.Spec.Upgrade.Canary))
		Expect(got.Spec.Upgrade.MaxSurge).To(HaveValue(Equal(intstr.FromString("25%"))))
		Expect(got.Spec.PodTemplate.Env).To(HaveLen(2))
		eventuallyDeployment(ctx, namespace, "valid", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Strategy.RollingUpdate.MaxSurge).To(HaveValue(Equal(intstr.FromString("25%"))))
			g.Expect(dep.Spec.Template.Spec.Tolerations).To(HaveLen(4))
			g.Expect(dep.Spec.Template.Spec.NodeSelector).To(HaveKeyWithValue("edge", ""))
		})

		By("a rollout may surge by nothing when it may take a pod down, and the reverse")
		createWebServer(ctx, namespace, "no-surge", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromInt32(0))
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromString("100%"))
		})
		createWebServer(ctx, namespace, "surge-pct", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromString("150%"))
			ws.Spec.Upgrade.MaxUnavailable = ptr.To(intstr.FromString("0%"))
		})
	})

	It("keeps a WebServer stored under an older CRD updatable while its now-rejected fields stay unchanged", Serial, func() {
		c := crdClient()
		key := client.ObjectKey{Name: "webservers." + webserverv1alpha1.GroupVersion.Group}
		crd := &apiextensionsv1.CustomResourceDefinition{}
		Expect(c.Get(ctx, key, crd)).To(Succeed())
		current := crd.Spec.DeepCopy()
		older := current.DeepCopy()
		Expect(older.Versions).To(HaveLen(1))
		schema := older.Versions[0].Schema.OpenAPIV3Schema
		Expect(dropRules(schema, "is not supported by this operator version")).To(BeNumerically(">=", 1))

		stored := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "stored"}}
		stored.Spec.Resources = &corev1.ResourceRequirements{Claims: []corev1.ResourceClaim{{Name: "gpu"}}}
		serves := func(wantErr string) func(Gomega) {
			return func(g Gomega) {
				err := k8sClient.Create(ctx, stored.DeepCopy(), client.DryRunAll)
				if wantErr == "" {
					g.Expect(err).NotTo(HaveOccurred())
				} else {
					g.Expect(err).To(MatchError(ContainSubstring(wantErr)))
				}
			}
		}

		DeferCleanup(setCRDSpec, c, key, *current)
		setCRDSpec(ctx, c, key, *older)
		Eventually(serves("")).WithTimeout(timeout).Should(Succeed())
		Expect(k8sClient.Create(ctx, stored)).To(Succeed())

		setCRDSpec(ctx, c, key, *current)
		Eventually(serves("spec.resources.claims is not supported by this operator version")).WithTimeout(timeout).Should(Succeed())

		update := func(mutate func(*webserverv1alpha1.WebServer)) error {
			return tryUpdateWebServer(ctx, namespace, "stored", mutate)
		}
		Expect(update(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Image = "nginx:1.28"
			ws.Spec.Upgrade.MaxSurge = ptr.To(intstr.FromInt32(2))
		})).To(Succeed(), "changes elsewhere in the spec are accepted")
		Expect(update(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Resources.Claims[0].Name = "other" })).
			To(MatchError(ContainSubstring("spec.resources.claims is not supported by this operator version")))
		Expect(update(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Resources.Claims = nil })).
			To(Succeed(), "removing the rejected field is accepted")
	})
})

// tryUpdateWebServer applies mutate to the latest WebServer, retrying on conflicts only,
// and returns the API server's answer.
func tryUpdateWebServer(ctx context.Context, namespace, name string, mutate func(*webserverv1alpha1.WebServer)) error {
	var err error
	EventuallyWithOffset(1, func() bool {
		ws := getWebServer(ctx, namespace, name)
		mutate(ws)
		err = k8sClient.Update(ctx, ws)
		return !apierrors.IsConflict(err)
	}).WithTimeout(timeout).Should(BeTrue())
	return err
}

// crdClient reads and writes CustomResourceDefinitions, which the suite's client has no scheme for.
func crdClient() client.Client {
	scheme := runtime.NewScheme()
	Expect(apiextensionsv1.AddToScheme(scheme)).To(Succeed())
	c, err := client.New(testEnv.Config, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
	return c
}

// setCRDSpec replaces the spec of the CRD, retrying on conflicts.
func setCRDSpec(ctx context.Context, c client.Client, key client.ObjectKey, spec apiextensionsv1.CustomResourceDefinitionSpec) {
	EventuallyWithOffset(1, func() error {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := c.Get(ctx, key, crd); err != nil {
			return err
		}
		crd.Spec = *spec.DeepCopy()
		return c.Update(ctx, crd)
	}).WithTimeout(timeout).Should(Succeed())
}

// dropRules removes, throughout the schema, the CEL rules whose message contains message,
// and returns how many it removed.
func dropRules(s *apiextensionsv1.JSONSchemaProps, message string) int {
	dropped := 0
	kept := s.XValidations[:0]
	for _, rule := range s.XValidations {
		if strings.Contains(rule.Message, message) {
			dropped++
			continue
		}
		kept = append(kept, rule)
	}
	s.XValidations = kept
	for name, prop := range s.Properties {
		dropped += dropRules(&prop, message)
		s.Properties[name] = prop
	}
	if s.Items != nil && s.Items.Schema != nil {
		dropped += dropRules(s.Items.Schema, message)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		dropped += dropRules(s.AdditionalProperties.Schema, message)
	}
	return dropped
}
