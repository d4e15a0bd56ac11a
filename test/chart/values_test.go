package chart

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

const (
	leaderElect  = "--leader-elect"
	metricsRoles = "webserver-operator-metrics-auth-role"
)

// set renders the chart in the default namespace with --set key=value pairs.
func set(values ...string) []*unstructured.Unstructured {
	return render(defaultNamespace, setFlags(values...)...)
}

var _ = Describe("The chart's values", func() {
	It("turn leader election off", func() {
		Expect(args(set())).To(ContainElement(leaderElect))
		Expect(args(set("leaderElection.enabled=false"))).NotTo(ContainElement(leaderElect))
	})

	It("refuse several replicas without leader election", func() {
		Expect(field(find(set("replicas=3"), kindDeployment, deployment), "spec", "replicas")).To(BeNumerically("==", 3))
		_, err := helmTemplate(defaultNamespace, "--set", "replicas=2", "--set", "leaderElection.enabled=false")
		Expect(err).To(MatchError(ContainSubstring("replicas > 1 needs leaderElection.enabled")))
	})

	It("turn metrics off: no Service, ServiceMonitor, port or metrics roles", func() {
		objs := set("metrics.enabled=false", "serviceMonitor.enabled=true")
		Expect(args(objs)).To(ContainElement("--metrics-bind-address=0"))
		Expect(args(objs)).NotTo(ContainElement(HavePrefix("--metrics-bind-address=:")))
		Expect(container(objs)).NotTo(HaveKey("ports"))
		for _, absent := range [][2]string{
			{kindService, metricsService}, {kindMonitor, metricsMonitor}, {kindClusterRole, metricsRoles},
			{"ClusterRoleBinding", "webserver-operator-metrics-auth-rolebinding"}, {kindClusterRole, "webserver-operator-metrics-reader"},
		} {
			Expect(find(objs, absent[0], absent[1])).To(BeNil(), absent[1])
		}
	})

	It("serve plain HTTP metrics on another port, without the authentication roles", func() {
		objs := set("metrics.secure=false", "metrics.port=9090", "serviceMonitor.enabled=true")
		Expect(args(objs)).To(ContainElements("--metrics-bind-address=:9090", "--metrics-secure=false"))
		Expect(container(objs)["ports"]).To(ConsistOf(HaveKeyWithValue("containerPort", BeNumerically("==", 9090))))
		Expect(field(find(objs, kindService, metricsService), "spec", "ports")).To(ConsistOf(And(
			HaveKeyWithValue("name", "http"), HaveKeyWithValue("port", BeNumerically("==", 9090)))))
		Expect(field(find(objs, kindMonitor, metricsMonitor), "spec", "endpoints")).To(ConsistOf(And(
			HaveKeyWithValue("scheme", "http"), HaveKeyWithValue("port", "http"), Not(HaveKey("bearerTokenFile")))))
		Expect(find(objs, kindClusterRole, metricsRoles)).To(BeNil())
		Expect(find(objs, kindClusterRole, "webserver-operator-metrics-reader")).NotTo(BeNil())
	})

	It("set the operator image by tag or digest, and the default nginx image", func() {
		objs := set("image.repository=registry.example/wso", "image.tag=v9.9.9", "image.pullPolicy=Always",
			"nginxImage=registry.example/nginx:1.29")
		Expect(container(objs)).To(And(HaveKeyWithValue("image", "registry.example/wso:v9.9.9"), HaveKeyWithValue("imagePullPolicy", "Always")))
		Expect(container(objs)["env"]).To(ContainElement(And(
			HaveKeyWithValue("name", "RELATED_IMAGE_NGINX"), HaveKeyWithValue("value", "registry.example/nginx:1.29"))))
		digest := "sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
		Expect(container(set("image.tag=" + digest))["image"]).To(Equal("127.0.0.1:5000/webserver-operator@" + digest))
	})

	It("pass another maxConcurrentReconciles to the manager", func() {
		Expect(args(set())).NotTo(ContainElement(HavePrefix("--max-concurrent-reconciles")))
		Expect(args(set("maxConcurrentReconciles=8"))).To(ContainElement("--max-concurrent-reconciles=8"))
	})

	It("leave out the CRD, its keep annotation or the admission policy", func() {
		Expect(find(set("crd.enable=false"), kindCRD, crdName)).To(BeNil())
		Expect(find(set("crd.keep=false"), kindCRD, crdName).GetAnnotations()).NotTo(HaveKey("helm.sh/resource-policy"))
		objs := set("admissionPolicy.enabled=false")
		Expect(find(objs, "ValidatingAdmissionPolicy", "webserver-operator-references")).To(BeNil())
		Expect(find(objs, "ValidatingAdmissionPolicyBinding", "webserver-operator-references")).To(BeNil())
	})

	It("schedule and decorate the pods, keeping their labels and security context", func() {
		objs := render(defaultNamespace,
			"--set", "nodeSelector.disk=ssd", "--set", "podAnnotations.team=web",
			"--set-json", `tolerations=[{"key":"dedicated","operator":"Exists","effect":"NoSchedule"}]`,
			"--set-json", `affinity={"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[]}}`,
			"--set-json", `imagePullSecrets=[{"name":"regcred"}]`,
			"--set-json", `extraEnv=[{"name":"GOMEMLIMIT","value":"200MiB"}]`,
			"--set", "resources.limits.memory=512Mi")
		pod := field(find(objs, kindDeployment, deployment), "spec", "template").(map[string]any)
		spec := pod["spec"].(map[string]any)
		Expect(spec).To(And(
			HaveKeyWithValue("nodeSelector", HaveKeyWithValue("disk", "ssd")),
			HaveKeyWithValue("tolerations", ConsistOf(HaveKeyWithValue("key", "dedicated"))),
			HaveKeyWithValue("affinity", HaveKey("nodeAffinity")),
			HaveKeyWithValue("imagePullSecrets", ConsistOf(HaveKeyWithValue("name", "regcred"))),
		))
		Expect(pod["metadata"]).To(HaveKeyWithValue("annotations", Equal(map[string]any{
			"kubectl.kubernetes.io/default-container": "manager", "team": "web",
		})))
		Expect(container(objs)["env"]).To(HaveLen(3))
		Expect(container(objs)["env"]).To(ContainElement(HaveKeyWithValue("name", "GOMEMLIMIT")))
		Expect(container(objs)["resources"]).To(HaveKeyWithValue("limits", HaveKeyWithValue("memory", "512Mi")))

		defaults := set()
		Expect(field(find(objs, kindDeployment, deployment), "spec", "template", "metadata", "labels")).To(
			Equal(field(find(defaults, kindDeployment, deployment), "spec", "template", "metadata", "labels")))
		Expect(spec["securityContext"]).To(Equal(field(find(defaults, kindDeployment, deployment), "spec", "template", "spec", "securityContext")))
		Expect(container(objs)["securityContext"]).To(Equal(container(defaults)["securityContext"]))
	})
})
