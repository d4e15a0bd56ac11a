package controller

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

const (
	pageV2     = "<h1>v2</h1>"
	newerImage = "nginx:1.27"
)

var _ = Describe("WebServer names, content snapshots and operator upgrades", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("serves a WebServer named like the ServiceAccount every namespace has", func() {
		// envtest runs no controller-manager: create the ServiceAccount Kubernetes would.
		Expect(k8sClient.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "default"}})).To(Succeed())
		createWebServer(ctx, namespace, "default", nil)

		dep := eventuallyDeployment(ctx, namespace, "default", func(g Gomega, dep *appsv1.Deployment) {})
		Expect(dep.Spec.Template.Spec.ServiceAccountName).To(Equal("default-nginx"))
		ws := getWebServer(ctx, namespace, "default")
		for _, child := range []struct {
			name string
			obj  client.Object
		}{{"default", &corev1.Service{}}, {"default-nginx", &corev1.ServiceAccount{}}} {
			Eventually(func() error {
				return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: child.name}, child.obj)
			}).WithTimeout(timeout).Should(Succeed())
			Expect(metav1.IsControlledBy(child.obj, ws)).To(BeTrue(), "%T %s", child.obj, child.name)
		}
		namespaceDefault := &corev1.ServiceAccount{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "default"}, namespaceDefault)).To(Succeed())
		Expect(namespaceDefault.OwnerReferences).To(BeEmpty())

		rollOut(ctx, namespace, "default")
		eventuallyCondition(ctx, namespace, "default", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		eventuallyCondition(ctx, namespace, "default", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
	})

	It("mounts an immutable snapshot of the content, rolls to a new one on a change and collects the old one", func() {
		pages := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages"},
			Data:       map[string]string{"index.html": "<h1>v1</h1>"},
			BinaryData: map[string][]byte{"logo.png": {0x89, 'P', 'N', 'G'}},
		}
		Expect(k8sClient.Create(ctx, pages)).To(Succeed())
		createWebServer(ctx, namespace, "snap", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		})
		dep := eventuallyDeployment(ctx, namespace, "snap", func(g Gomega, dep *appsv1.Deployment) {})
		ws := getWebServer(ctx, namespace, "snap")
		first := mountedContent(dep)
		Expect(first).To(Equal(resources.ContentConfigMapName(ws, resources.HashData(pages.Data, pages.BinaryData))))
		Expect(dep.Spec.Template.Annotations).NotTo(HaveKey(resources.AnnotationContentHash))

		snapshot := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: first}, snapshot)).To(Succeed())
		Expect(metav1.IsControlledBy(snapshot, ws)).To(BeTrue())
		Expect(snapshot.Immutable).To(HaveValue(BeTrue()))
		Expect(snapshot.Labels).To(Equal(resources.Labels(ws)))
		Expect(snapshot.Data).To(Equal(pages.Data))
		Expect(snapshot.BinaryData).To(Equal(pages.BinaryData))
		rollOut(ctx, namespace, "snap")
		eventuallyCondition(ctx, namespace, "snap", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)

		pages.Data["index.html"] = pageV2
		Expect(k8sClient.Update(ctx, pages)).To(Succeed())
		dep = eventuallyDeployment(ctx, namespace, "snap", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedContent(dep)).NotTo(Equal(first))
		})
		second := mountedContent(dep)
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: second}, snapshot)).To(Succeed())
		Expect(snapshot.Data["index.html"]).To(Equal(pageV2))
		Expect(snapshot.BinaryData).To(Equal(pages.BinaryData))

		// While pods move, the old snapshot stays: old pods mount it, a rollback returns to it.
		rollOutHalfway(ctx, namespace, "snap")
		eventuallyCondition(ctx, namespace, "snap", webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonUpgrading)
		Expect(configMapNames(ctx, namespace)).To(ContainElements(first, second))

		rollOut(ctx, namespace, "snap")
		Eventually(func() []string { return configMapNames(ctx, namespace) }).WithTimeout(timeout).
			Should(ConsistOf("pages", mountedConfigMap(dep), second))
	})

	It("leaves the pods an older operator started alone, and moves them to the current template on their next rollout", func() {
		// The content ConfigMap comes last: until it exists the reconciler builds no
		// Deployment, so the test can first put in place what an older operator built.
		createWebServer(ctx, namespace, "legacy", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		})
		eventuallyCondition(ctx, namespace, "legacy", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound)
		ws := getWebServer(ctx, namespace, "legacy")
		pages := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages"},
			Data:       map[string]string{"index.html": "<h1>legacy</h1>"},
		}
		rendered := resources.RenderConfig(ws, "")
		Expect(k8sClient.Apply(ctx, resources.ConfigMap(ws, rendered), client.FieldOwner(FieldOwner), client.ForceOwnership)).To(Succeed())
		applyAsOlderOperator(ctx, resources.ServiceAccount(ws, resources.TemplateFormat1))
		applyAsOlderOperator(ctx, resources.Deployment(ws, resources.WorkloadInputs{
			Image:           testDefaultImage,
			ConfigMapName:   rendered.Name(ws),
			ContentHash:     resources.HashData(pages.Data, nil),
			ReplicasManaged: true,
			Format:          resources.TemplateFormat1,
		}))
		rollOut(ctx, namespace, "legacy")
		before := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ws), before)).To(Succeed())
		Expect(before.Annotations).NotTo(HaveKey(resources.AnnotationTemplateFormat))
		Expect(before.Spec.Template.Spec.ServiceAccountName).To(Equal("legacy"))
		Expect(mountedContent(before)).To(Equal("pages"))

		// The upgraded operator takes over: same template, no rollout.
		Expect(k8sClient.Create(ctx, pages)).To(Succeed())
		eventuallyCondition(ctx, namespace, "legacy", webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonValidated)
		eventuallyCondition(ctx, namespace, "legacy", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Consistently(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ws), dep)).To(Succeed())
			g.Expect(dep.Generation).To(Equal(before.Generation))
			g.Expect(dep.Spec.Template).To(Equal(before.Spec.Template))
		}).WithTimeout(2 * time.Second).Should(Succeed())
		for _, name := range []string{"legacy", "legacy-nginx"} {
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &corev1.ServiceAccount{})).To(Succeed(), name)
		}
		Expect(configMapNames(ctx, namespace)).NotTo(ContainElement(HavePrefix("legacy-content-")))

		// The next rollout the user asks for moves the pods to the current format too.
		updateWebServer(ctx, namespace, "legacy", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = newerImage })
		dep := eventuallyDeployment(ctx, namespace, "legacy", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(newerImage))
		})
		Expect(dep.Generation).To(Equal(before.Generation+1), "more than one rollout")
		Expect(dep.Annotations).To(HaveKeyWithValue(resources.AnnotationTemplateFormat, "3"))
		Expect(dep.Spec.Template.Spec.ServiceAccountName).To(Equal("legacy-nginx"))
		Expect(dep.Spec.Template.Annotations).NotTo(HaveKey(resources.AnnotationContentHash))
		Expect(mountedContent(dep)).To(Equal(resources.ContentConfigMapName(ws, resources.HashData(pages.Data, nil))))
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: mountedContent(dep)}, &corev1.ConfigMap{})).To(Succeed())

		// Old pods run as the format-1 ServiceAccount until the rollout completes.
		rollOutHalfway(ctx, namespace, "legacy")
		Consistently(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "legacy"}, &corev1.ServiceAccount{})
		}).WithTimeout(time.Second).Should(Succeed())
		rollOut(ctx, namespace, "legacy")
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "legacy"}, &corev1.ServiceAccount{}))
		}).WithTimeout(timeout).Should(BeTrue(), "the format-1 ServiceAccount was not deleted")
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "legacy-nginx"}, &corev1.ServiceAccount{})).To(Succeed())
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(pages), &corev1.ConfigMap{})).To(Succeed())
	})
})

var _ = Describe("Pod template formats", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("keeps a format-2 Deployment's pods until they roll anyway, then adds the default topology spread", func() {
		createWebServer(ctx, namespace, "two", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		})
		eventuallyCondition(ctx, namespace, "two", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound)
		ws := getWebServer(ctx, namespace, "two")
		pages := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages"},
			Data:       map[string]string{"index.html": "<h1>two</h1>"},
		}
		rendered := resources.RenderConfig(ws, "")
		Expect(k8sClient.Apply(ctx, resources.ConfigMap(ws, rendered), client.FieldOwner(FieldOwner), client.ForceOwnership)).To(Succeed())
		Expect(k8sClient.Apply(ctx, resources.ContentConfigMap(ws, pages.Data, nil), client.FieldOwner(FieldOwner), client.ForceOwnership)).To(Succeed())
		applyAsOlderOperator(ctx, resources.ServiceAccount(ws, resources.TemplateFormat2))
		applyAsOlderOperator(ctx, resources.Deployment(ws, resources.WorkloadInputs{
			Image: testDefaultImage, ConfigMapName: rendered.Name(ws), ContentHash: resources.HashData(pages.Data, nil),
			ReplicasManaged: true, Format: resources.TemplateFormat2,
		}))
		rollOut(ctx, namespace, "two")
		before := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ws), before)).To(Succeed())
		Expect(before.Spec.Template.Spec.TopologySpreadConstraints).To(BeEmpty())

		By("the upgraded operator takes over: same template, no rollout")
		Expect(k8sClient.Create(ctx, pages)).To(Succeed())
		eventuallyCondition(ctx, namespace, "two", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Consistently(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(ws), dep)).To(Succeed())
			g.Expect(dep.Generation).To(Equal(before.Generation))
			g.Expect(dep.Spec.Template).To(Equal(before.Spec.Template))
			g.Expect(dep.Annotations).To(HaveKeyWithValue(resources.AnnotationTemplateFormat, "2"))
		}).WithTimeout(2 * time.Second).Should(Succeed())

		By("the next rollout moves the pods to the current format, spread across nodes")
		updateWebServer(ctx, namespace, "two", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = newerImage })
		dep := eventuallyDeployment(ctx, namespace, "two", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(newerImage))
		})
		Expect(dep.Generation).To(Equal(before.Generation+1), "more than one rollout")
		Expect(dep.Annotations).To(HaveKeyWithValue(resources.AnnotationTemplateFormat, "3"))
		Expect(dep.Spec.Template.Spec.TopologySpreadConstraints).To(ConsistOf(HaveField("WhenUnsatisfiable", corev1.ScheduleAnyway)))
	})
})

// mountedContent is the ConfigMap the Deployment's pods serve as the document root.
func mountedContent(dep *appsv1.Deployment) string {
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.Name == resources.ContentVolume && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	return ""
}

// applyAsOlderOperator writes a child the way applyChild does (same field manager, the
// applied-hash annotation), as an operator version before this one would have.
func applyAsOlderOperator(ctx context.Context, desired runtime.ApplyConfiguration) {
	m, err := toMap(desired)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	hash, err := hashOf(m)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	u := &unstructured.Unstructured{Object: m}
	annotations := u.GetAnnotations()
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[AnnotationAppliedHash] = hash
	u.SetAnnotations(annotations)
	ExpectWithOffset(1, k8sClient.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner(FieldOwner), client.ForceOwnership)).To(Succeed())
}
