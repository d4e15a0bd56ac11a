package controller

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// servicePatches counts the manager's writes of one Service.
func servicePatches(namespace, name string) int {
	n := 0
	for _, w := range writes.in(namespace) {
		if strings.HasSuffix(w, "/services/"+name) {
			n++
		}
	}
	return n
}

var _ = Describe("A pass that cannot apply the spec", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("says which child the API server rejected and why, does not retry in a hot loop, and recovers when the spec is fixed", func() {
		createWebServer(ctx, namespace, "np", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.Type = corev1.ServiceTypeNodePort
			ws.Spec.Service.NodePort = 80 // outside the cluster's node-port range: admission cannot know it
		})
		rollOut(ctx, namespace, "np")
		ws := eventuallyCondition(ctx, namespace, "np", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonChildRejected)
		degraded := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded)
		Expect(degraded.Message).To(And(ContainSubstring("Service np was rejected by the API server"), ContainSubstring("provided port is not in the valid range")))
		eventuallyCondition(ctx, namespace, "np", webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonServiceMissing)
		eventuallyCondition(ctx, namespace, "np", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonChildRejected)
		Expect(getWebServer(ctx, namespace, "np").Status.ObservedGeneration).To(BeZero(), "a pass that could not apply the spec must not claim it")
		Eventually(func() []string { return eventReasons(ctx, namespace, "np") }).WithTimeout(timeout).Should(ContainElement(webserverv1alpha1.ReasonChildRejected))

		// Retried at the recheck interval (2 s in this suite), not with a hot loop's backoff.
		before := servicePatches(namespace, "np")
		time.Sleep(5 * time.Second)
		Expect(servicePatches(namespace, "np") - before).To(BeNumerically("<=", 3))

		updateWebServer(ctx, namespace, "np", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.NodePort = 30090 })
		eventuallyCondition(ctx, namespace, "np", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
		eventuallyCondition(ctx, namespace, "np", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		ws = getWebServer(ctx, namespace, "np")
		Expect(ws.Status.ObservedGeneration).To(Equal(ws.Generation))
	})

	It("recovers from a name conflict once the foreign object is gone, without an edit", func() {
		foreign := &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "taken"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 1234}}},
		}
		Expect(k8sClient.Create(ctx, foreign)).To(Succeed())
		createWebServer(ctx, namespace, "taken", nil)
		eventuallyCondition(ctx, namespace, "taken", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonNameConflict)
		Eventually(func() []string { return eventReasons(ctx, namespace, "taken") }).WithTimeout(timeout).Should(ContainElement(webserverv1alpha1.ReasonNameConflict))
		Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(foreign), foreign)).To(Succeed())
		Expect(foreign.OwnerReferences).To(BeEmpty(), "a foreign object is never taken over")
		Expect(foreign.Spec.Ports).To(HaveLen(1))
		Expect(foreign.Spec.Ports[0].Port).To(Equal(int32(1234)))
		generation := getWebServer(ctx, namespace, "taken").Generation

		Expect(k8sClient.Delete(ctx, foreign)).To(Succeed())
		rollOut(ctx, namespace, "taken")
		eventuallyCondition(ctx, namespace, "taken", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "taken"}, svc)).To(Succeed())
		Expect(metav1.IsControlledBy(svc, getWebServer(ctx, namespace, "taken"))).To(BeTrue())
		Expect(getWebServer(ctx, namespace, "taken").Generation).To(Equal(generation))
	})

	It("keeps a server block that would close server {} away from every pod, and says which line", func() {
		createWebServer(ctx, namespace, "escape", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / { return 200; }\n}\nserver { listen 9999;"}
		})
		ws := eventuallyCondition(ctx, namespace, "escape", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigInvalid)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionConfigValid).Message).
			To(ContainSubstring("spec.config.inline: line 2: this '}' has no matching '{'"))
		eventuallyCondition(ctx, namespace, "escape", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigInvalid)
		Consistently(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "escape"}, &appsv1.Deployment{})
		}).WithTimeout(2*time.Second).Should(HaveOccurred(), "a Deployment was created with the escaping config")

		updateWebServer(ctx, namespace, "escape", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = "location / { return 200 '}'; }"
		})
		eventuallyCondition(ctx, namespace, "escape", webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonValidated)
		eventuallyDeployment(ctx, namespace, "escape", func(Gomega, *appsv1.Deployment) {})
	})

	It("resumes a Deployment paused by hand", func() {
		createWebServer(ctx, namespace, "paused", nil)
		rollOut(ctx, namespace, "paused")
		eventuallyCondition(ctx, namespace, "paused", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		pauseDeployment(ctx, namespace, "paused")
		eventuallyDeployment(ctx, namespace, "paused", func(g Gomega, dep *appsv1.Deployment) { g.Expect(dep.Spec.Paused).To(BeFalse()) })
		Eventually(func() []string { return eventReasons(ctx, namespace, "paused") }).WithTimeout(timeout).Should(ContainElement("Resumed"))
	})
})

var _ = Describe("Applying children", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	settledWebServer := func(name string) *webserverv1alpha1.WebServer {
		createWebServer(ctx, namespace, name, nil)
		rollOut(ctx, namespace, name)
		eventuallyCondition(ctx, namespace, name, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Consistently(func() []string { return writes.in(namespace) }).WithTimeout(time.Second).Should(HaveLen(len(writes.in(namespace))))
		return getWebServer(ctx, namespace, name)
	}

	It("compares a child read live (a cache miss) without false drift", func() {
		ws := settledWebServer("live")
		before := len(writes.in(namespace))
		outcome, err := reconciler.applyChild(ctx, newScope(ws, testDefaultImage), resources.Service(ws), nil, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(outcome.applied).To(BeFalse(), "an unchanged Service read live was rewritten")
		Expect(outcome.exists).To(BeTrue())
		Expect(writes.in(namespace)[before:]).To(BeEmpty())
		Expect(eventReasons(ctx, namespace, "live")).NotTo(ContainElement("DriftRepaired"))
	})

	It("never skips an apply because the cache still shows an older write (A→B→A)", func() {
		wsA := settledWebServer("lag")
		stale := &corev1.Service{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "lag"}, stale)).To(Succeed())

		updateWebServer(ctx, namespace, "lag", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Service.Port = 81 })
		Eventually(func(g Gomega) {
			svc := &corev1.Service{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "lag"}, svc)).To(Succeed())
			g.Expect(svc.Spec.Ports[0].Port).To(Equal(int32(81)))
			// The pass that applied B has finished, so the operator remembers B as applied.
			ws := getWebServer(ctx, namespace, "lag")
			g.Expect(ws.Status.ObservedGeneration).To(Equal(ws.Generation))
		}).WithTimeout(timeout).Should(Succeed())

		// Back to A, while the cache (played by the stale copy) still shows A from before B.
		outcome, err := reconciler.applyChild(ctx, newScope(wsA, testDefaultImage), resources.Service(wsA), stale, true)
		Expect(err).NotTo(HaveOccurred())
		Expect(outcome.applied).To(BeTrue(), "the apply back to port 80 was skipped on a stale cache")
	})
})
