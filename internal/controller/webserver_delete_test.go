package controller

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// seriesOf counts the operator's metric series that belong to one WebServer.
func seriesOf(namespace, name string) int {
	families, err := ctrlmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	count := 0
	for _, family := range families {
		for _, m := range family.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["namespace"] == namespace && labels["name"] == name {
				count++
			}
		}
	}
	return count
}

var _ = Describe("WebServer deletion", func() {
	ctx := context.Background()

	It("needs no finalizer: deleted at once, metric series dropped, event recorded, children left to garbage collection", func() {
		namespace := newNamespace(ctx)
		createWebServer(ctx, namespace, "gone", nil)
		rollOut(ctx, namespace, "gone")
		eventuallyCondition(ctx, namespace, "gone", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		Expect(seriesOf(namespace, "gone")).To(BeNumerically(">", 0))
		ws := getWebServer(ctx, namespace, "gone")
		Expect(ws.Finalizers).To(BeEmpty())

		Expect(k8sClient.Delete(ctx, ws)).To(Succeed())
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "gone"}, &webserverv1alpha1.WebServer{})).
			To(Satisfy(apierrors.IsNotFound), "nothing may hold a WebServer's deletion")
		Eventually(func() int { return seriesOf(namespace, "gone") }).WithTimeout(timeout).Should(BeZero())
		Eventually(func() []string { return eventReasons(ctx, namespace, "gone") }).WithTimeout(timeout).Should(ContainElement("Deleted"))

		// envtest runs no garbage collector: every child must carry the owner reference it relies on.
		children := []struct {
			name string
			obj  client.Object
		}{{"gone", &appsv1.Deployment{}}, {"gone", &corev1.Service{}}, {"gone-nginx", &corev1.ServiceAccount{}}}
		for _, child := range children {
			obj := child.obj
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: child.name}, obj)).To(Succeed())
			Expect(obj.GetOwnerReferences()).To(ContainElement(And(
				HaveField("UID", ws.UID), HaveField("Controller", HaveValue(BeTrue())), HaveField("BlockOwnerDeletion", HaveValue(BeTrue())),
			)))
		}
	})

	It("removes the finalizer older versions added, so an uninstalled operator cannot strand a WebServer", func() {
		namespace := newNamespace(ctx)
		createWebServer(ctx, namespace, "old", func(ws *webserverv1alpha1.WebServer) {
			ws.Finalizers = []string{webserverv1alpha1.LegacyFinalizer}
		})
		Eventually(func() []string { return getWebServer(ctx, namespace, "old").Finalizers }).WithTimeout(timeout).Should(BeEmpty())
	})
})
