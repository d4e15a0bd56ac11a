package e2e

import (
	"context"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// What a new user tries first, on real pods: status must say what is true.
var _ = Describe("Status on a real cluster", Ordered, Label("e2e"), func() {
	var (
		ctx       = context.Background()
		namespace string
	)

	// condition waits until the WebServer's condition has the status and reason, and returns it.
	condition := func(name, condType string, status metav1.ConditionStatus, reason string) *metav1.Condition {
		var c *metav1.Condition
		EventuallyWithOffset(1, func(g Gomega) {
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, ws)).To(Succeed())
			c = meta.FindStatusCondition(ws.Status.Conditions, condType)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Status).To(Equal(status), c.Message)
			g.Expect(c.Reason).To(Equal(reason), c.Message)
			g.Expect(c.ObservedGeneration).To(Equal(ws.Generation))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		return c
	}
	create := func(name string, mutate func(*webserverv1alpha1.WebServer)) {
		ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		ws.Spec.Image = nginxImageA
		mutate(ws)
		ExpectWithOffset(1, k8s.Create(ctx, ws)).To(Succeed())
	}

	BeforeAll(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "e2e-truth-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
	})
	AfterAll(func() {
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Println(kubectl("-n", namespace, "get", "all,webservers,serviceaccounts,configmaps,events", "-o", "wide"))
		}
		if !CurrentSpecReport().Failed() || os.Getenv("E2E_KEEP_FAILED") == "" {
			_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
		}
	})

	It("serves a WebServer named default, a name every namespace already uses for a ServiceAccount", func() {
		create("default", func(*webserverv1alpha1.WebServer) {})
		condition("default", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		condition("default", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
		condition("default", webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected)
		Expect(probeFromPod(ctx, namespace, "probe-default", "http://default."+namespace+".svc/")).To(ContainSubstring("default"))
	})

	It("refuses a config nginx -t rejects on a new WebServer: nginx's own error, no crash-looping pod", func() {
		create("crash", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / { return 200 }"}
		})
		valid := condition("crash", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonNginxRejectedConfig)
		Expect(valid.Message).To(MatchRegexp(`nginx -t refused config [0-9a-f]+: \[emerg\] .* in /etc/webserver/nginx.conf:[0-9]+`))
		degraded := condition("crash", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigInvalid)
		Expect(degraded.Message).To(ContainSubstring("no pod was created"))
		Consistently(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(namespace),
				client.MatchingLabels{"app.kubernetes.io/instance": "crash", "app.kubernetes.io/name": "webserver"})).To(Succeed())
			g.Expect(pods.Items).To(BeEmpty())
		}).WithTimeout(5 * time.Second).WithPolling(poll).Should(Succeed())
	})

	It("refuses a server block that would close server {}, and starts no pod on it", func() {
		create("escape", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / { return 200 'in'; }\n}\nserver {\n  listen 9999;"}
		})
		valid := condition("escape", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigInvalid)
		Expect(valid.Message).To(ContainSubstring("line 2"))
		condition("escape", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigInvalid)
		Consistently(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels{"app.kubernetes.io/instance": "escape"})).To(Succeed())
			g.Expect(pods.Items).To(BeEmpty())
		}).WithTimeout(5 * time.Second).WithPolling(poll).Should(Succeed())
	})

	It("says the API server rejected the Service of a node port outside the cluster's range", func() {
		create("np", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.Type = corev1.ServiceTypeNodePort
			ws.Spec.Service.NodePort = 80
		})
		degraded := condition("np", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonChildRejected)
		Expect(degraded.Message).To(ContainSubstring("Service np was rejected by the API server"))
		Expect(degraded.Message).To(ContainSubstring("provided port is not in the valid range"))
		condition("np", webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonServiceMissing)
		condition("np", webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected)

		updateWebServer(ctx, types.NamespacedName{Namespace: namespace, Name: "np"}, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Service.NodePort = 0
			ws.Spec.Replicas = ptr.To[int32](1)
		})
		condition("np", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		condition("np", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
	})
})
