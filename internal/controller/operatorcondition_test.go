package controller

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

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
})
