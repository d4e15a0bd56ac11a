package controller

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

var _ = Describe("Namespace guardrails", Serial, func() {
	ctx := context.Background()

	const quotaYAML = "hard:\n  services: \"20\"\n  count/webservers.webserver.dev: \"10\"\n"
	const limitsYAML = "limits:\n- type: Container\n  max:\n    memory: 1Gi\n"
	config := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: guardrailsConfigKey.Namespace, Name: guardrailsConfigKey.Name}}
	setConfig := func(data map[string]string) {
		existing := &corev1.ConfigMap{}
		if err := k8sClient.Get(ctx, guardrailsConfigKey, existing); apierrors.IsNotFound(err) {
			cm := config.DeepCopy()
			cm.Data = data
			ExpectWithOffset(1, k8sClient.Create(ctx, cm)).To(Succeed())
			return
		}
		existing.Data = data
		ExpectWithOffset(1, k8sClient.Update(ctx, existing)).To(Succeed())
	}
	quotaIn := func(namespace string) func(Gomega) *corev1.ResourceQuota {
		return func(g Gomega) *corev1.ResourceQuota {
			q := &corev1.ResourceQuota{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: resources.GuardrailsName}, q)).To(Succeed())
			return q
		}
	}
	limitsIn := func(namespace string) func(Gomega) *corev1.LimitRange {
		return func(g Gomega) *corev1.LimitRange {
			l := &corev1.LimitRange{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: resources.GuardrailsName}, l)).To(Succeed())
			return l
		}
	}
	gone := func(namespace string, obj client.Object) func() bool {
		return func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: resources.GuardrailsName}, obj))
		}
	}

	It("keeps the configured ResourceQuota and LimitRange in namespaces with WebServers, against drift, until the last one leaves", func() {
		withSites, without := newNamespace(ctx), newNamespace(ctx)
		createWebServer(ctx, withSites, "one", nil)
		createWebServer(ctx, withSites, "two", nil)
		DeferCleanup(func() {
			Expect(k8sClient.Delete(ctx, config.DeepCopy())).To(Or(Succeed(), MatchError(apierrors.IsNotFound, "IsNotFound")))
			Eventually(func() bool {
				quotas := &corev1.ResourceQuotaList{}
				Expect(k8sClient.List(ctx, quotas, client.MatchingLabels(resources.GuardrailsLabels()))).To(Succeed())
				return len(quotas.Items) == 0
			}).WithTimeout(timeout).Should(BeTrue(), "without the ConfigMap no namespace keeps guardrails")
		})

		setConfig(map[string]string{GuardrailsResourceQuotaKey: quotaYAML, GuardrailsLimitRangeKey: limitsYAML})
		var quota *corev1.ResourceQuota
		Eventually(func(g Gomega) { quota = quotaIn(withSites)(g) }).WithTimeout(timeout).Should(Succeed())
		Expect(quota.Spec.Hard).To(HaveKeyWithValue(corev1.ResourceServices, resource.MustParse("20")))
		Expect(quota.Labels).To(Equal(resources.GuardrailsLabels()))
		Eventually(func(g Gomega) {
			g.Expect(limitsIn(withSites)(g).Spec.Limits[0].Max).To(HaveKeyWithValue(corev1.ResourceMemory, resource.MustParse("1Gi")))
		}).WithTimeout(timeout).Should(Succeed())
		Consistently(gone(without, &corev1.ResourceQuota{})).WithTimeout(2*time.Second).Should(BeTrue(), "a namespace without WebServers gets none")

		By("drift is repaired")
		quota.Spec.Hard[corev1.ResourceServices] = resource.MustParse("1000")
		Expect(k8sClient.Update(ctx, quota)).To(Succeed())
		Expect(k8sClient.Delete(ctx, limitsIn(withSites)(Default))).To(Succeed())
		Eventually(func(g Gomega) {
			g.Expect(quotaIn(withSites)(g).Spec.Hard).To(HaveKeyWithValue(corev1.ResourceServices, resource.MustParse("20")))
			limitsIn(withSites)(g)
		}).WithTimeout(timeout).Should(Succeed())

		By("a changed ConfigMap applies; a dropped key removes its object")
		setConfig(map[string]string{GuardrailsResourceQuotaKey: "hard:\n  services: \"30\"\n"})
		Eventually(func(g Gomega) {
			g.Expect(quotaIn(withSites)(g).Spec.Hard).To(Equal(corev1.ResourceList{corev1.ResourceServices: resource.MustParse("30")}))
		}).WithTimeout(timeout).Should(Succeed())
		Eventually(gone(withSites, &corev1.LimitRange{})).WithTimeout(timeout).Should(BeTrue())

		By("a ConfigMap that is not a ResourceQuota spec is reported and changes nothing")
		setConfig(map[string]string{GuardrailsResourceQuotaKey: "hrad:\n  services: \"5\"\n"})
		Eventually(func(g Gomega) {
			list := &eventsv1.EventList{}
			g.Expect(k8sClient.List(ctx, list, client.InNamespace(guardrailsConfigKey.Namespace))).To(Succeed())
			var reasons []string
			for _, e := range list.Items {
				if e.Regarding.Kind == "ConfigMap" && e.Regarding.Name == guardrailsConfigKey.Name {
					reasons = append(reasons, e.Reason)
				}
			}
			g.Expect(reasons).To(ContainElement("GuardrailsInvalid"))
		}).WithTimeout(timeout).Should(Succeed())
		Consistently(func(g Gomega) {
			g.Expect(quotaIn(withSites)(g).Spec.Hard).To(HaveKeyWithValue(corev1.ResourceServices, resource.MustParse("30")))
		}).WithTimeout(2 * time.Second).Should(Succeed())

		By("the namespace's last WebServer leaving takes the guardrails with it")
		setConfig(map[string]string{GuardrailsResourceQuotaKey: quotaYAML, GuardrailsLimitRangeKey: limitsYAML})
		Eventually(func(g Gomega) { limitsIn(withSites)(g) }).WithTimeout(timeout).Should(Succeed())
		for _, name := range []string{"one", "two"} {
			Expect(k8sClient.Delete(ctx, getWebServer(ctx, withSites, name))).To(Succeed())
		}
		Eventually(gone(withSites, &corev1.ResourceQuota{})).WithTimeout(timeout).Should(BeTrue())
		Eventually(gone(withSites, &corev1.LimitRange{})).WithTimeout(timeout).Should(BeTrue())
	})
})
