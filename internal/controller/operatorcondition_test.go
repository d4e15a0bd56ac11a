package controller

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// brokenImage is an image whose pods never become ready.
const brokenImage = "nginx:broken"

var _ = DescribeTable("upgradeableCondition",
	func(rollouts []string, status metav1.ConditionStatus, reason, message string) {
		c := upgradeableCondition(rollouts)
		Expect(c.Type).To(Equal(operatorsv2.Upgradeable))
		Expect(c.Status).To(Equal(status))
		Expect(c.Reason).To(Equal(reason))
		Expect(c.Message).To(Equal(message))
	},
	Entry("no rollout", nil, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected,
		"no WebServer rollout is in progress"),
	Entry("two rollouts, named", []string{"a/one", "b/two"}, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutInProgress,
		"2 WebServer rollout(s) in progress: a/one, b/two; the operator upgrade waits for them"),
	Entry("many rollouts, the first five named", []string{"n/1", "n/2", "n/3", "n/4", "n/5", "n/6", "n/7"},
		metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutInProgress,
		"7 WebServer rollout(s) in progress: n/1, n/2, n/3, n/4, n/5, …; the operator upgrade waits for them"),
)

var _ = Describe("The operator's OperatorCondition", func() {
	var (
		ctx       = context.Background()
		namespace string
	)
	BeforeEach(func() { namespace = newNamespace(ctx) })

	// expectGate waits until the OperatorCondition says what upgradeableCondition says for the
	// WebServers rolling out now (other specs leave some mid-rollout), and checks whether the
	// WebServer name is among them.
	expectGate := func(name string, rollingOutNow bool) {
		Eventually(func(g Gomega) {
			list := &webserverv1alpha1.WebServerList{}
			g.Expect(k8sClient.List(ctx, list)).To(Succeed())
			names := rollingOut(list.Items)
			if rollingOutNow {
				g.Expect(names).To(ContainElement(name))
			} else {
				g.Expect(names).NotTo(ContainElement(name))
			}
			want := upgradeableCondition(names)

			oc := &operatorsv2.OperatorCondition{}
			g.Expect(k8sClient.Get(ctx, operatorConditionKey, oc)).To(Succeed())
			c := meta.FindStatusCondition(oc.Spec.Conditions, operatorsv2.Upgradeable)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(want.Status))
			g.Expect(c.Reason).To(Equal(want.Reason))
			g.Expect(c.Message).To(Equal(want.Message))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	}

	It("holds operator upgrades while a WebServer rolls out, and writes only on a change", func() {
		createWebServer(ctx, namespace, "gated", nil)
		name := fmt.Sprintf("%s/gated", namespace)
		expectGate(name, true)

		rollOut(ctx, namespace, "gated")
		eventuallyCondition(ctx, namespace, "gated", webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected)
		expectGate(name, false)

		// A WebServer event that changes no rollout costs the OperatorCondition no write.
		before := len(writes.in(operatorConditionKey.Namespace))
		updateWebServer(ctx, namespace, "gated", func(ws *webserverv1alpha1.WebServer) {
			ws.Labels = map[string]string{"touched": "true"}
		})
		Consistently(func() []string {
			return writes.in(operatorConditionKey.Namespace)
		}).WithTimeout(2 * time.Second).WithPolling(interval).Should(HaveLen(before))
	})

	// notHeldBy checks that a WebServer in the given state holds no operator upgrade.
	notHeldBy := func(name string) {
		eventuallyCondition(ctx, namespace, name, webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected)
		expectGate(fmt.Sprintf("%s/%s", namespace, name), false)
	}

	It("is not held by a WebServer whose referenced ConfigMap is missing", func() {
		createWebServer(ctx, namespace, "nocm", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "absent"}
		})
		eventuallyCondition(ctx, namespace, "nocm", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound)
		notHeldBy("nocm")
	})

	It("is not held by a WebServer with a name conflict", func() {
		Expect(k8sClient.Create(ctx, &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "clash"},
			Spec:       corev1.ServiceSpec{Ports: []corev1.ServicePort{{Port: 1234}}},
		})).To(Succeed())
		createWebServer(ctx, namespace, "clash", nil)
		eventuallyCondition(ctx, namespace, "clash", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonNameConflict)
		// The Deployment comes before the Service: its pods start (and hold upgrades while
		// they do); once they run, the blocked Service holds nothing.
		rollOut(ctx, namespace, "clash")
		notHeldBy("clash")
	})

	It("is not held by a WebServer whose child the API server rejects", func() {
		createWebServer(ctx, namespace, "rejected", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.Type = corev1.ServiceTypeNodePort
			ws.Spec.Service.NodePort = 80
		})
		rollOut(ctx, namespace, "rejected")
		eventuallyCondition(ctx, namespace, "rejected", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonChildRejected)
		notHeldBy("rejected")
	})

	It("is not held by a failed rollout left in place", func() {
		createWebServer(ctx, namespace, "stalled", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.AutoRollback = ptr.To(false) })
		rollOut(ctx, namespace, "stalled")
		updateWebServer(ctx, namespace, "stalled", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = brokenImage })
		stallRollout(ctx, namespace, "stalled", brokenImage)
		eventuallyCondition(ctx, namespace, "stalled", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolloutFailed)
		notHeldBy("stalled")
	})

	It("is not held by a paused rollout", func() {
		createWebServer(ctx, namespace, "paused", nil)
		rollOut(ctx, namespace, "paused")
		notHeldBy("paused")
		// The operator resumes a paused Deployment; the pass that finds it paused reports
		// it, and neither holds operator upgrades.
		pauseDeployment(ctx, namespace, "paused")
		eventuallyDeployment(ctx, namespace, "paused", func(g Gomega, dep *appsv1.Deployment) { g.Expect(dep.Spec.Paused).To(BeFalse()) })
		// The Deployment controller observes every generation the operator writes, also one
		// written after the resume: play it until the latest is observed.
		Eventually(func(g Gomega) {
			rollOut(ctx, namespace, "paused")
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "paused"}, ws)).To(Succeed())
			c := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionUpgradeable)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
		notHeldBy("paused")
	})

	It("is not held by pods crash-looping after a finished rollout", func() {
		createWebServer(ctx, namespace, "crashing", nil)
		rollOut(ctx, namespace, "crashing")
		createPod(ctx, namespace, "crashing", "crashing-abc", &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"})
		loseAvailability(ctx, namespace, "crashing")
		eventuallyCondition(ctx, namespace, "crashing", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonCrashLoop)
		notHeldBy("crashing")
	})
})
