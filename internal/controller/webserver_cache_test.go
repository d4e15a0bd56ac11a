package controller

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

var _ = Describe("The manager's cache", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("keeps neither managedFields nor kubectl's last-applied copy of a ConfigMap in the cache", func() {
		key := types.NamespacedName{Namespace: namespace, Name: "applied"}
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "applied", Annotations: map[string]string{
				annotationLastApplied: `{"apiVersion":"v1","kind":"ConfigMap","data":{"index.html":"<h1>big</h1>"}}`,
				"team":                "web",
			}},
			Data: map[string]string{"index.html": "<h1>big</h1>"},
		})).To(Succeed())

		Eventually(func(g Gomega) {
			cached := &metav1.PartialObjectMetadata{}
			cached.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
			g.Expect(reconciler.Get(ctx, key, cached)).To(Succeed())
			g.Expect(cached.Annotations).To(Equal(map[string]string{"team": "web"}))
			g.Expect(cached.ManagedFields).To(BeEmpty())
		}).WithTimeout(timeout).Should(Succeed())

		live := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, key, live)).To(Succeed())
		Expect(live.Annotations).To(HaveKey(annotationLastApplied))
		Expect(live.ManagedFields).NotTo(BeEmpty())
	})
})
