package chart

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

const fieldOwner = client.FieldOwner("helm")

// dryRunApply applies every object with server-side apply, dry run. The ServiceMonitor's CRD
// is not in envtest.
func dryRunApply(ctx context.Context, objs []*unstructured.Unstructured) {
	for _, obj := range objs {
		if obj.GetKind() == kindMonitor {
			continue
		}
		ExpectWithOffset(1, k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj.DeepCopy()),
			fieldOwner, client.ForceOwnership, client.DryRunAll)).To(Succeed(), key(obj))
	}
}

// podOf is a Pod with the Deployment's pod template.
func podOf(objs []*unstructured.Unstructured, namespace string) *unstructured.Unstructured {
	template := field(find(objs, kindDeployment, deployment), "spec", "template").(map[string]any)
	pod := &unstructured.Unstructured{Object: map[string]any{"spec": template["spec"]}}
	pod.SetAPIVersion("v1")
	pod.SetKind("Pod")
	pod.SetNamespace(namespace)
	pod.SetName("manager")
	return pod.DeepCopy()
}

var _ = Describe("Installing the chart", Ordered, func() {
	var (
		ctx       = context.Background()
		namespace string
		objs      []*unstructured.Unstructured
	)

	BeforeAll(func() {
		// The namespace the README asks for: restricted Pod Security Standard, enforced.
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "chart-",
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "restricted"}}}
		Expect(k8sClient.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
		objs = render(namespace, "--set", "serviceMonitor.enabled=true")

		// The CRD for real, so the API server serves WebServers before anything refers to them.
		crd := find(objs, kindCRD, crdName)
		Expect(k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(crd.DeepCopy()), fieldOwner)).To(Succeed())
		Eventually(func(g Gomega) {
			got := &unstructured.Unstructured{}
			got.SetGroupVersionKind(crd.GroupVersionKind())
			g.Expect(k8sClient.Get(ctx, client.ObjectKey{Name: crdName}, got)).To(Succeed())
			g.Expect(field(got, "status", "conditions")).To(ContainElement(And(
				HaveKeyWithValue("type", "Established"), HaveKeyWithValue("status", "True"))))
		}).WithTimeout(20 * time.Second).Should(Succeed())
	})

	It("is accepted by the API server, object by object", func() {
		dryRunApply(ctx, objs)
	})

	DescribeTable("is accepted with other values",
		func(values ...string) {
			dryRunApply(ctx, render(namespace, setFlags(values...)...))
		},
		Entry("metrics off, leader election off, no CRD, no policy",
			"metrics.enabled=false", "leaderElection.enabled=false", "crd.enable=false", "admissionPolicy.enabled=false"),
		Entry("plain HTTP metrics on another port", "metrics.secure=false", "metrics.port=9090"),
		Entry("CRD not kept, more replicas and workers, another image",
			"crd.keep=false", "replicas=2", "maxConcurrentReconciles=8", "image.tag=v9.9.9", "nginxImage=nginx:1.29"),
	)

	It("runs pods the restricted Pod Security Standard admits", func() {
		Expect(k8sClient.Create(ctx, podOf(objs, namespace), client.DryRunAll)).To(Succeed())

		// The control: without the container's security context the namespace refuses the pod.
		weak := podOf(objs, namespace)
		containers := field(weak, "spec", "containers").([]any)
		delete(containers[0].(map[string]any), "securityContext")
		err := k8sClient.Create(ctx, weak, client.DryRunAll)
		Expect(err).To(MatchError(ContainSubstring(`violates PodSecurity "restricted:latest"`)))
	})
})
