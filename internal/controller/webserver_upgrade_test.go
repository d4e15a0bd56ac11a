package controller

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

var _ = Describe("WebServer upgrades", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("rolls a new image and tracks it in status and events", func() {
		createWebServer(ctx, namespace, "up", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:1.26" })
		rollOut(ctx, namespace, "up")
		eventuallyCondition(ctx, namespace, "up", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)

		updateWebServer(ctx, namespace, "up", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:1.27" })
		eventuallyDeployment(ctx, namespace, "up", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal("nginx:1.27"))
			g.Expect(dep.Spec.Template.Labels).To(HaveKeyWithValue(resources.LabelVersion, "1.27"))
		})
		rollOutHalfway(ctx, namespace, "up")
		ws := eventuallyCondition(ctx, namespace, "up", webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonUpgrading)
		Expect(ws.Status.TargetImage).To(Equal("nginx:1.27"))
		Expect(ws.Status.CurrentImage).To(Equal("nginx:1.26"))
		Expect(ws.Status.LastGoodImage).To(Equal("nginx:1.26"))
		eventuallyCondition(ctx, namespace, "up", webserverv1alpha1.ConditionUpgradeable, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutInProgress)
		eventuallyCondition(ctx, namespace, "up", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)

		rollOut(ctx, namespace, "up")
		ws = eventuallyCondition(ctx, namespace, "up", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Expect(ws.Status.CurrentImage).To(Equal("nginx:1.27"))
		Expect(ws.Status.LastGoodImage).To(Equal("nginx:1.27"))
		Eventually(func() []string { return eventReasons(ctx, namespace, "up") }).WithTimeout(timeout).
			Should(ContainElements("UpgradeStarted", "UpgradeCompleted"))
	})

	It("moves to a new immutable config ConfigMap on an inline change and collects old ones", func() {
		createWebServer(ctx, namespace, "conf", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / { return 200 'one'; }"}
		})
		first := mountedConfigMap(eventuallyDeployment(ctx, namespace, "conf", func(g Gomega, dep *appsv1.Deployment) {}))
		rollOut(ctx, namespace, "conf")
		eventuallyCondition(ctx, namespace, "conf", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)

		var names []string
		for i, body := range []string{"two", "three"} {
			updateWebServer(ctx, namespace, "conf", func(ws *webserverv1alpha1.WebServer) {
				ws.Spec.Config.Inline = fmt.Sprintf("location / { return 200 '%s'; }", body)
			})
			previous := first
			if i > 0 {
				previous = names[i-1]
			}
			dep := eventuallyDeployment(ctx, namespace, "conf", func(g Gomega, dep *appsv1.Deployment) {
				g.Expect(mountedConfigMap(dep)).NotTo(Equal(previous))
			})
			cm := &corev1.ConfigMap{}
			Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: mountedConfigMap(dep)}, cm)).To(Succeed())
			Expect(cm.Data[resources.NginxConfKey]).To(ContainSubstring(body))
			names = append(names, mountedConfigMap(dep))
			rollOut(ctx, namespace, "conf")
			eventuallyCondition(ctx, namespace, "conf", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		}
		// Once a rollout completes, only the mounted (and last good) config survives.
		Eventually(func() []string { return configMapNames(ctx, namespace) }).WithTimeout(timeout).
			Should(ConsistOf(names[1]))
		Expect(getWebServer(ctx, namespace, "conf").Status.ConfigHash).To(Equal(configHashOf(names[1])))
	})

	It("rolls the pods when a referenced config or content ConfigMap changes", func() {
		server := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "server"},
			Data:       map[string]string{"server.conf": "location / { return 200 'v1'; }"},
		}
		content := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages"},
			Data:       map[string]string{"index.html": "<h1>v1</h1>"},
		}
		Expect(k8sClient.Create(ctx, server)).To(Succeed())
		Expect(k8sClient.Create(ctx, content)).To(Succeed())
		createWebServer(ctx, namespace, "refs", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "server"}}
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
		})
		dep := eventuallyDeployment(ctx, namespace, "refs", func(g Gomega, dep *appsv1.Deployment) {})
		firstConfig := mountedConfigMap(dep)
		firstContent := mountedContent(dep)
		Expect(firstContent).To(HavePrefix("refs-content-"))
		rollOut(ctx, namespace, "refs")

		server.Data["server.conf"] = "location / { return 200 'v2'; }"
		Expect(k8sClient.Update(ctx, server)).To(Succeed())
		dep = eventuallyDeployment(ctx, namespace, "refs", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedConfigMap(dep)).NotTo(Equal(firstConfig))
		})
		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: mountedConfigMap(dep)}, cm)).To(Succeed())
		Expect(cm.Data[resources.NginxConfKey]).To(ContainSubstring("'v2'"))

		content.Data["index.html"] = "<h1>v2</h1>"
		Expect(k8sClient.Update(ctx, content)).To(Succeed())
		dep = eventuallyDeployment(ctx, namespace, "refs", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedContent(dep)).NotTo(Equal(firstContent))
		})
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: mountedContent(dep)}, cm)).To(Succeed())
		Expect(cm.Data["index.html"]).To(Equal("<h1>v2</h1>"))
	})

	It("keeps the current config when a referenced ConfigMap is missing", func() {
		createWebServer(ctx, namespace, "missing", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / { return 200 'ok'; }"}
		})
		before := mountedConfigMap(eventuallyDeployment(ctx, namespace, "missing", func(g Gomega, dep *appsv1.Deployment) {}))
		updateWebServer(ctx, namespace, "missing", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "absent"}}
		})
		ws := eventuallyCondition(ctx, namespace, "missing", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound)
		Expect(ws.Status.Conditions).To(ContainElement(HaveField("Message", ContainSubstring(`"absent"`))))
		Consistently(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "missing"}, dep)).To(Succeed())
			g.Expect(mountedConfigMap(dep)).To(Equal(before))
		}).WithTimeout(2 * time.Second).Should(Succeed())

		// Creating the ConfigMap (a watched, referenced object) is enough to move on.
		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "absent"},
			Data:       map[string]string{"server.conf": "location / { return 200 'late'; }"},
		})).To(Succeed())
		eventuallyCondition(ctx, namespace, "missing", webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonValidated)
		eventuallyDeployment(ctx, namespace, "missing", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedConfigMap(dep)).NotTo(Equal(before))
		})
	})

	It("restarts every pod when restartedAt changes", func() {
		createWebServer(ctx, namespace, "restart", nil)
		eventuallyDeployment(ctx, namespace, "restart", func(g Gomega, dep *appsv1.Deployment) {})
		updateWebServer(ctx, namespace, "restart", func(ws *webserverv1alpha1.WebServer) { ws.Spec.RestartedAt = "2026-11-22T10:00:00Z" })
		eventuallyDeployment(ctx, namespace, "restart", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Annotations).To(HaveKeyWithValue(resources.AnnotationRestartedAt, "2026-11-22T10:00:00Z"))
		})
	})

	It("waits for a referenced ConfigMap before creating the Deployment, then creates it", func() {
		createWebServer(ctx, namespace, "later", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "site"}}
		})
		eventuallyCondition(ctx, namespace, "later", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound)
		Consistently(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "later"}, &appsv1.Deployment{}))
		}).WithTimeout(time.Second).Should(BeTrue(), "a Deployment was created without its config")

		Expect(k8sClient.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "site"},
			Data:       map[string]string{"server.conf": "location / { return 200 'ok'; }"},
		})).To(Succeed())
		eventuallyDeployment(ctx, namespace, "later", func(g Gomega, dep *appsv1.Deployment) {})
		Eventually(func() []string { return eventReasons(ctx, namespace, "later") }).WithTimeout(timeout).Should(ContainElement("Created"))
		Expect(eventReasons(ctx, namespace, "later")).NotTo(ContainElement("DriftRepaired"))
	})
})
