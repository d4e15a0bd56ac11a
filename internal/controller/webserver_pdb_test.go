package controller

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

var _ = Describe("PodDisruptionBudget", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	budget := func(name string) func(Gomega) *policyv1.PodDisruptionBudget {
		return func(g Gomega) *policyv1.PodDisruptionBudget {
			pdb := &policyv1.PodDisruptionBudget{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, pdb)).To(Succeed())
			return pdb
		}
	}
	absent := func(name string) func() bool {
		return func() bool {
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, &policyv1.PodDisruptionBudget{})
			return apierrors.IsNotFound(err)
		}
	}

	It("keeps one pod up by default from two pods on, and goes with one pod or idle", func() {
		createWebServer(ctx, namespace, "budget", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](2) })
		var pdb *policyv1.PodDisruptionBudget
		Eventually(func(g Gomega) { pdb = budget("budget")(g) }).WithTimeout(timeout).Should(Succeed())
		Expect(pdb.Spec.MinAvailable).To(HaveValue(Equal(intstr.FromInt32(1))))
		Expect(pdb.Spec.MaxUnavailable).To(BeNil())
		Expect(pdb.Spec.Selector.MatchLabels).To(Equal(resources.SelectorLabels(getWebServer(ctx, namespace, "budget"))))
		Expect(metav1.IsControlledBy(pdb, getWebServer(ctx, namespace, "budget"))).To(BeTrue())

		By("the spec's bound replaces the default")
		updateWebServer(ctx, namespace, "budget", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Disruption = &webserverv1alpha1.DisruptionSpec{MaxUnavailable: ptr.To(intstr.FromString("50%"))}
		})
		Eventually(func(g Gomega) {
			pdb := budget("budget")(g)
			g.Expect(pdb.Spec.MaxUnavailable).To(HaveValue(Equal(intstr.FromString("50%"))))
			g.Expect(pdb.Spec.MinAvailable).To(BeNil())
		}).WithTimeout(timeout).Should(Succeed())

		By("one pod: a budget would only block node drains")
		updateWebServer(ctx, namespace, "budget", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](1) })
		Eventually(absent("budget")).WithTimeout(timeout).Should(BeTrue())

		By("back to three pods, then idle")
		updateWebServer(ctx, namespace, "budget", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](3) })
		Eventually(budget("budget")).WithTimeout(timeout).Should(HaveField("Spec.MaxUnavailable", HaveValue(Equal(intstr.FromString("50%")))))
		updateWebServer(ctx, namespace, "budget", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = true })
		Eventually(absent("budget")).WithTimeout(timeout).Should(BeTrue())
	})

	It("restores an edited budget and leaves a foreign one alone", func() {
		createWebServer(ctx, namespace, "edited", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](2) })
		Eventually(budget("edited")).WithTimeout(timeout).Should(HaveField("Spec.MinAvailable", HaveValue(Equal(intstr.FromInt32(1)))))
		pdb := budget("edited")(Default)
		pdb.Spec.MinAvailable = ptr.To(intstr.FromInt32(2))
		Expect(k8sClient.Update(ctx, pdb)).To(Succeed())
		Eventually(budget("edited")).WithTimeout(timeout).Should(HaveField("Spec.MinAvailable", HaveValue(Equal(intstr.FromInt32(1)))))

		foreign := &policyv1.PodDisruptionBudget{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "theirs"},
			Spec:       policyv1.PodDisruptionBudgetSpec{MinAvailable: ptr.To(intstr.FromInt32(1)), Selector: &metav1.LabelSelector{}},
		}
		Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
		createWebServer(ctx, namespace, "theirs", nil)
		eventuallyDeployment(ctx, namespace, "theirs", func(Gomega, *appsv1.Deployment) {})
		Consistently(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "theirs"}, &policyv1.PodDisruptionBudget{})
		}).WithTimeout(2*time.Second).Should(Succeed(), "a budget the WebServer does not own was deleted")
	})
})
