package chart

import (
	"os"
	"regexp"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

const (
	kindNamespace   = "Namespace"
	kindDeployment  = "Deployment"
	kindService     = "Service"
	kindCRD         = "CustomResourceDefinition"
	kindMonitor     = "ServiceMonitor"
	kindClusterRole = "ClusterRole"
	deployment      = "webserver-operator-controller-manager"
	metricsService  = "webserver-operator-controller-manager-metrics-service"
	metricsMonitor  = "webserver-operator-controller-manager-metrics-monitor"
	crdName         = "webservers.webserver.dev"
	regenerate      = "out of sync with config/: run make chart"
)

// container returns the manager container of the rendered Deployment.
func container(objs []*unstructured.Unstructured) map[string]any {
	containers := field(find(objs, kindDeployment, deployment), "spec", "template", "spec", "containers")
	ExpectWithOffset(1, containers).To(And(BeAssignableToTypeOf([]any{}), HaveLen(1)), "the Deployment's containers")
	return containers.([]any)[0].(map[string]any)
}

func args(objs []*unstructured.Unstructured) []any {
	return container(objs)["args"].([]any)
}

// chartYAML reads a top-level field of Chart.yaml.
func chartYAML(name string) string {
	raw, err := os.ReadFile(chartDir + "/Chart.yaml")
	Expect(err).NotTo(HaveOccurred())
	chart := map[string]any{}
	Expect(yaml.Unmarshal(raw, &chart)).To(Succeed())
	return chart[name].(string)
}

var _ = Describe("The chart with default values", func() {
	var chart, kustomized []*unstructured.Unstructured

	BeforeEach(func() {
		chart = render(defaultNamespace)
		kustomized = append(kustomizeBuild("default"), kustomizeBuild("policy")...)
	})

	It("renders the objects of config/default, except the Namespace, and those of config/policy", func() {
		var want []string
		for _, obj := range kustomized {
			if obj.GetKind() != kindNamespace {
				want = append(want, key(obj))
			}
		}
		var got []string
		for _, obj := range chart {
			got = append(got, key(obj))
		}
		Expect(got).To(ConsistOf(want))
	})

	It("puts every namespaced object in the release namespace, and labels every object", func() {
		objs := render("elsewhere")
		for _, obj := range objs {
			if want := find(kustomized, obj.GetKind(), obj.GetName()); want.GetNamespace() != "" {
				Expect(obj.GetNamespace()).To(Equal("elsewhere"), key(obj))
			} else {
				Expect(obj.GetNamespace()).To(BeEmpty(), key(obj))
			}
			labels := map[string]string{
				"helm.sh/chart":                "webserver-operator-" + chartYAML("version"),
				"app.kubernetes.io/name":       "webserver-operator",
				"app.kubernetes.io/instance":   release,
				"app.kubernetes.io/version":    chartYAML("appVersion"),
				"app.kubernetes.io/managed-by": "Helm",
			}
			// The metrics Service and the Deployment also carry config/default's control-plane label.
			if _, ok := obj.GetLabels()["control-plane"]; ok {
				labels["control-plane"] = "controller-manager"
			}
			Expect(obj.GetLabels()).To(Equal(labels), key(obj))
		}
		binding := find(objs, "ClusterRoleBinding", "webserver-operator-manager-rolebinding")
		Expect(field(binding, "subjects")).To(ConsistOf(HaveKeyWithValue("namespace", "elsewhere")))
	})

	It("is versioned as the Makefile's VERSION", func() {
		makefile, err := os.ReadFile("../../Makefile")
		Expect(err).NotTo(HaveOccurred())
		version := regexp.MustCompile(`(?m)^VERSION \?= (\S+)$`).FindSubmatch(makefile)
		Expect(version).NotTo(BeNil())
		Expect(chartYAML("version")).To(Equal(string(version[1])), regenerate)
		Expect(chartYAML("appVersion")).To(Equal(string(version[1])), regenerate)
	})

	It("grants the rules of config/rbac/role.yaml to the manager", func() {
		raw, err := os.ReadFile("../../config/rbac/role.yaml")
		Expect(err).NotTo(HaveOccurred())
		roles := decode(raw)
		Expect(roles).To(HaveLen(1))
		Expect(field(find(chart, kindClusterRole, "webserver-operator-manager-role"), "rules")).To(
			Equal(field(roles[0], "rules")), regenerate)
	})

	It("keeps the rules, role references and subjects of every Role, ClusterRole and binding", func() {
		binding := []string{"roleRef", "subjects"}
		compared := map[string][]string{"Role": {"rules"}, kindClusterRole: {"rules"}, "RoleBinding": binding, "ClusterRoleBinding": binding}
		for _, want := range kustomized {
			for _, path := range compared[want.GetKind()] {
				Expect(field(find(chart, want.GetKind(), want.GetName()), path)).To(Equal(field(want, path)), key(want)+" "+path)
			}
		}
	})

	It("installs the CRD and the admission policy unchanged, and keeps the CRD on uninstall", func() {
		for _, want := range kustomized {
			if want.GetKind() == kindCRD || want.GetKind() == "ValidatingAdmissionPolicy" || want.GetKind() == "ValidatingAdmissionPolicyBinding" {
				Expect(field(find(chart, want.GetKind(), want.GetName()), "spec")).To(Equal(field(want, "spec")), key(want)+": "+regenerate)
			}
		}
		crd := find(chart, kindCRD, crdName)
		Expect(crd.GetAnnotations()).To(HaveKeyWithValue("helm.sh/resource-policy", "keep"))
		Expect(crd.GetAnnotations()).To(HaveKey("controller-gen.kubebuilder.io/version"))
	})

	It("runs the manager as config/manager does, from the chart's image", func() {
		got, want := find(chart, kindDeployment, deployment), find(kustomized, kindDeployment, deployment)
		for _, path := range [][]string{
			{"spec", "replicas"}, {"spec", "selector"}, {"spec", "template", "metadata"},
			{"spec", "template", "spec", "securityContext"}, {"spec", "template", "spec", "serviceAccountName"},
			{"spec", "template", "spec", "terminationGracePeriodSeconds"},
		} {
			Expect(field(got, path...)).To(Equal(field(want, path...)), "%v", path)
		}
		gotContainer, wantContainer := container(chart), container(kustomized)
		for _, name := range []string{"name", "command", "args", "env", "ports", "securityContext", "livenessProbe", "readinessProbe", "resources"} {
			Expect(gotContainer[name]).To(Equal(wantContainer[name]), name)
		}
		Expect(gotContainer["image"]).To(Equal("127.0.0.1:5000/webserver-operator:v" + chartYAML("appVersion")))
	})

	It("serves metrics through the Service of config/default", func() {
		Expect(field(find(chart, kindService, metricsService), "spec")).To(
			Equal(field(find(kustomized, kindService, metricsService), "spec")))
	})

	It("adds, when asked, the ServiceMonitor of config/prometheus", func() {
		Expect(find(chart, kindMonitor, metricsMonitor)).To(BeNil())
		monitors := kustomizeBuild("prometheus")
		Expect(monitors).To(HaveLen(1))
		objs := render(defaultNamespace, "--set", "serviceMonitor.enabled=true", "--set", "serviceMonitor.labels.release=prometheus")
		monitor := find(objs, kindMonitor, metricsMonitor)
		Expect(field(monitor, "spec")).To(Equal(field(monitors[0], "spec")))
		Expect(monitor.GetNamespace()).To(Equal(defaultNamespace))
		Expect(monitor.GetLabels()).To(HaveKeyWithValue("release", "prometheus"))
	})
})
