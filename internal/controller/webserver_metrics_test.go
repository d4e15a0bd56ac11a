package controller

import (
	"context"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// gaugeOf is the value of the operator's series name{labels}, or nil when it is absent.
func gaugeOf(name string, labels map[string]string) *float64 {
	families, err := ctrlmetrics.Registry.Gather()
	Expect(err).NotTo(HaveOccurred())
	for _, family := range families {
		if family.GetName() != name {
			continue
		}
	series:
		for _, m := range family.GetMetric() {
			have := map[string]string{}
			for _, l := range m.GetLabel() {
				have[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if have[k] != v {
					continue series
				}
			}
			return ptr.To(m.GetGauge().GetValue())
		}
	}
	return nil
}

var _ = Describe("WebServer state metrics", func() {
	ctx := context.Background()

	It("are read from the cache at each scrape: desired and ready pods and every condition follow the status", func() {
		namespace := newNamespace(ctx)
		createWebServer(ctx, namespace, "counted", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](3) })
		rollOut(ctx, namespace, "counted")
		eventuallyCondition(ctx, namespace, "counted", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		object := map[string]string{"namespace": namespace, "name": "counted"}
		with := func(extra ...string) map[string]string {
			l := map[string]string{"namespace": namespace, "name": "counted"}
			for i := 0; i < len(extra); i += 2 {
				l[extra[i]] = extra[i+1]
			}
			return l
		}
		Eventually(func(g Gomega) {
			g.Expect(gaugeOf("webserver_operator_webserver_desired_replicas", object)).To(HaveValue(Equal(3.0)))
			g.Expect(gaugeOf("webserver_operator_webserver_ready_replicas", object)).To(HaveValue(Equal(3.0)))
			g.Expect(gaugeOf("webserver_operator_webserver_condition", with("type", webserverv1alpha1.ConditionAvailable, "status", "True"))).To(HaveValue(Equal(1.0)))
			g.Expect(gaugeOf("webserver_operator_webserver_condition", with("type", webserverv1alpha1.ConditionAvailable, "status", "False"))).To(HaveValue(Equal(0.0)))
		}).WithTimeout(timeout).Should(Succeed())

		updateWebServer(ctx, namespace, "counted", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = true })
		Eventually(func(g Gomega) {
			g.Expect(gaugeOf("webserver_operator_webserver_desired_replicas", object)).To(HaveValue(Equal(0.0)))
		}).WithTimeout(timeout).Should(Succeed())
	})
})
