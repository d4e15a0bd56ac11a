package controller

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

var _ = Describe("Referenced ConfigMaps", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("reads a referenced ConfigMap from the API server only when it changed", func() {
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "server"},
			Data:       map[string]string{"server.conf": "location / { return 200 'v1'; }"},
		})).To(Succeed())
		pages := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages"},
			Data:       map[string]string{"index.html": "<h1>v1</h1>"},
		}
		Expect(k8sClient.Create(ctx, pages)).To(Succeed())
		createWebServer(ctx, namespace, "memo", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "server"}}
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		})
		first := mountedContent(eventuallyDeployment(ctx, namespace, "memo", func(g Gomega, dep *appsv1.Deployment) {}))
		rollOut(ctx, namespace, "memo")
		eventuallyCondition(ctx, namespace, "memo", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Expect(writes.configMapGetsIn(namespace)).NotTo(BeEmpty(), "the counter does not see live ConfigMap reads")

		Consistently(func() []string { return writes.in(namespace) }).WithTimeout(time.Second).Should(HaveLen(len(writes.in(namespace))))
		before := len(writes.configMapGetsIn(namespace))
		for range 3 {
			_, err := reconciler.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: namespace, Name: "memo"}})
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(writes.configMapGetsIn(namespace)[before:]).To(BeEmpty())

		// A change is read, once its new resourceVersion reaches the cache.
		pages.Data["index.html"] = pageV2
		Expect(k8sClient.Update(ctx, pages)).To(Succeed())
		eventuallyDeployment(ctx, namespace, "memo", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedContent(dep)).NotTo(Equal(first))
		})
		Expect(writes.configMapGetsIn(namespace)[before:]).To(ContainElement(HaveSuffix("/configmaps/pages")))
		Expect(writes.configMapGetsIn(namespace)[before:]).NotTo(ContainElement(HaveSuffix("/configmaps/server")))
	})
})
