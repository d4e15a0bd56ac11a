package controller

import (
	"context"
	"os"
	"path/filepath"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// The Prometheus Operator's CRDs, from its module (make test passes the directory).
var prometheusOperatorCRDs = os.Getenv("PROMETHEUS_OPERATOR_CRDS")

var _ = Describe("Monitoring", Ordered, func() {
	ctx := context.Background()
	var namespace string
	BeforeAll(func() {
		Expect(prometheusOperatorCRDs).NotTo(BeEmpty(), "PROMETHEUS_OPERATOR_CRDS must name the Prometheus Operator's CRD directory")
		namespace = newNamespace(ctx)
	})

	monitoringObject := func(gvk schema.GroupVersionKind) func() error {
		return func() error {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(gvk)
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "observed"}, u)
		}
	}
	deployment := func(g Gomega) *appsv1.Deployment {
		dep := &appsv1.Deployment{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "observed"}, dep)).To(Succeed())
		return dep
	}

	It("runs the metrics container without the Prometheus Operator, which is not an error", func() {
		createWebServer(ctx, namespace, "observed", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true, ErrorRatioPercent: 2}
		})
		Eventually(func(g Gomega) {
			dep := deployment(g)
			inits := dep.Spec.Template.Spec.InitContainers
			g.Expect(inits).To(HaveLen(1))
			g.Expect(inits[0].Name).To(Equal(resources.MetricsContainerName))
			g.Expect(inits[0].Image).To(Equal(testMetricsImage))
			ws := getWebServer(ctx, namespace, "observed")
			g.Expect(ws.Status.ObservedGeneration).To(Equal(ws.Generation))
			g.Expect(ws.Status.Conditions).NotTo(ContainElement(HaveField("Reason", webserverv1alpha1.ReasonReconcileFailed)))
			rev := inits[0].Env[0]
			g.Expect(rev.Name).To(Equal(resources.RevisionEnv))
			g.Expect(rev.Value).To(Equal(ws.Status.UpdateRevision))
		}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})

	It("creates the PodMonitor and the PrometheusRule once the Prometheus Operator's CRDs are installed", func() {
		_, err := envtest.InstallCRDs(testEnv.Config, envtest.CRDInstallOptions{Paths: []string{
			filepath.Join(prometheusOperatorCRDs, "monitoring.coreos.com_podmonitors.yaml"),
			filepath.Join(prometheusOperatorCRDs, "monitoring.coreos.com_prometheusrules.yaml"),
		}})
		Expect(err).NotTo(HaveOccurred())
		ws := getWebServer(ctx, namespace, "observed")
		for _, gvk := range []schema.GroupVersionKind{resources.PodMonitorGVK, resources.PrometheusRuleGVK} {
			u := &unstructured.Unstructured{}
			u.SetGroupVersionKind(gvk)
			Eventually(func() error {
				return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "observed"}, u)
			}).WithTimeout(timeout).WithPolling(interval).Should(Succeed(), gvk.Kind)
			Expect(metav1.IsControlledBy(u, ws)).To(BeTrue(), gvk.Kind)
		}
		rule := &unstructured.Unstructured{}
		rule.SetGroupVersionKind(resources.PrometheusRuleGVK)
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "observed"}, rule)).To(Succeed())
		groups, _, _ := unstructured.NestedSlice(rule.Object, "spec", "groups")
		Expect(groups).To(HaveLen(1))
		Expect(groups[0]).To(HaveKeyWithValue("rules", ContainElement(And(
			HaveKeyWithValue("alert", resources.AlertErrorRatioHigh),
			HaveKeyWithValue("expr", ContainSubstring("> 0.02")),
		))))
	})

	It("removes them and the metrics container when monitoring is turned off", func() {
		updateWebServer(ctx, namespace, "observed", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Monitoring.Enabled = false })
		for _, gvk := range []schema.GroupVersionKind{resources.PodMonitorGVK, resources.PrometheusRuleGVK} {
			Eventually(monitoringObject(gvk)).WithTimeout(timeout).WithPolling(interval).Should(Satisfy(apierrors.IsNotFound), gvk.Kind)
		}
		Eventually(func(g Gomega) { g.Expect(deployment(g).Spec.Template.Spec.InitContainers).To(BeEmpty()) }).
			WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	})
})
