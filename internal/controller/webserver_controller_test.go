package controller

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

var _ = Describe("WebServer reconciler", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("creates owned, labelled, restricted children and reports status", func() {
		createWebServer(ctx, namespace, "site", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Replicas = ptr.To[int32](2)
			ws.Spec.Service.Type = corev1.ServiceTypeNodePort
			ws.Spec.Service.NodePort = 30080
		})

		dep := eventuallyDeployment(ctx, namespace, "site", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(2))))
		})
		ws := getWebServer(ctx, namespace, "site")
		Expect(ws.Finalizers).To(BeEmpty(), "a WebServer needs no finalizer")
		Expect(metav1.IsControlledBy(dep, ws)).To(BeTrue())
		Expect(dep.Labels).To(HaveKeyWithValue(resources.LabelManagedBy, resources.ManagedBy))
		Expect(dep.Labels).To(HaveKeyWithValue(resources.LabelVersion, "1.26"))
		Expect(dep.Spec.Strategy.RollingUpdate.MaxUnavailable.IntValue()).To(Equal(0))

		pod := dep.Spec.Template.Spec
		Expect(pod.AutomountServiceAccountToken).To(HaveValue(BeFalse()))
		Expect(pod.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
		Expect(pod.SecurityContext.SeccompProfile.Type).To(Equal(corev1.SeccompProfileTypeRuntimeDefault))
		nginx := pod.Containers[0]
		Expect(nginx.Image).To(Equal(testDefaultImage))
		Expect(nginx.SecurityContext.ReadOnlyRootFilesystem).To(HaveValue(BeTrue()))
		Expect(nginx.SecurityContext.AllowPrivilegeEscalation).To(HaveValue(BeFalse()))
		Expect(nginx.SecurityContext.Capabilities.Drop).To(ConsistOf(corev1.Capability("ALL")))
		Expect(nginx.ReadinessProbe).NotTo(BeNil())
		Expect(nginx.LivenessProbe).NotTo(BeNil())
		Expect(nginx.Resources.Requests).To(Equal(nginx.Resources.Limits))

		svc := &corev1.Service{}
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "site"}, svc)
		}).WithTimeout(timeout).Should(Succeed())
		Expect(metav1.IsControlledBy(svc, ws)).To(BeTrue())
		Expect(svc.Spec.Type).To(Equal(corev1.ServiceTypeNodePort))
		Expect(svc.Spec.Ports[0].NodePort).To(Equal(int32(30080)))
		Expect(svc.Spec.Ports[0].Port).To(Equal(int32(80)))

		Expect(pod.ServiceAccountName).To(Equal("site-nginx"))
		sa := &corev1.ServiceAccount{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "site-nginx"}, sa)).To(Succeed())
		Expect(metav1.IsControlledBy(sa, ws)).To(BeTrue())
		Expect(sa.AutomountServiceAccountToken).To(HaveValue(BeFalse()))

		cm := &corev1.ConfigMap{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: mountedConfigMap(dep)}, cm)).To(Succeed())
		Expect(metav1.IsControlledBy(cm, ws)).To(BeTrue())
		Expect(cm.Immutable).To(HaveValue(BeTrue()))
		Expect(cm.Data[resources.NginxConfKey]).To(ContainSubstring("listen 8080;"))

		ws = eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonCreating)
		Expect(ws.Status.TargetImage).To(Equal(testDefaultImage))
		Expect(ws.Status.ReconciledBy).To(Equal("test-version"))
		Expect(ws.Status.Selector).To(ContainSubstring("app.kubernetes.io/instance=site"))
		Expect(ws.Status.URL).To(Equal("http://site." + namespace + ".svc"))

		rollOut(ctx, namespace, "site")
		ws = eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
		Expect(ws.Status.ReadyReplicas).To(Equal(int32(2)))
		Expect(ws.Status.CurrentImage).To(Equal(testDefaultImage))
		Expect(ws.Status.LastGoodImage).To(Equal(testDefaultImage))
		eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
		eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected)
		eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonValidated)
		Eventually(func() []string { return eventReasons(ctx, namespace, "site") }).WithTimeout(timeout).Should(ContainElement("Created"))
	})

	It("writes nothing when an unchanged WebServer is reconciled again", func() {
		createWebServer(ctx, namespace, "steady", nil)
		rollOut(ctx, namespace, "steady")
		eventuallyCondition(ctx, namespace, "steady", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)

		versions := func() map[string]string {
			out := map[string]string{}
			for _, obj := range []client.Object{&webserverv1alpha1.WebServer{}, &appsv1.Deployment{}, &corev1.Service{}, &corev1.ServiceAccount{}} {
				name := "steady"
				if _, ok := obj.(*corev1.ServiceAccount); ok {
					name = "steady-nginx"
				}
				Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, obj)).To(Succeed())
				out[obj.GetObjectKind().GroupVersionKind().Kind+"/"+obj.GetName()] = obj.GetResourceVersion()
			}
			list := &corev1.ConfigMapList{}
			Expect(k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
			for _, cm := range list.Items {
				out["ConfigMap/"+cm.Name] = cm.ResourceVersion
			}
			return out
		}
		// Let the watch-triggered passes settle, then resync by hand.
		Consistently(func() []string { return writes.in(namespace) }).WithTimeout(time.Second).Should(HaveLen(len(writes.in(namespace))))
		before, writesBefore := versions(), len(writes.in(namespace))
		for range 3 {
			_, err := reconciler.Reconcile(ctx, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: namespace, Name: "steady"}})
			Expect(err).NotTo(HaveOccurred())
		}
		Expect(versions()).To(Equal(before))
		Expect(writes.in(namespace)[writesBefore:]).To(BeEmpty())
	})

	It("scales through replicas, the scale subresource and idle", func() {
		createWebServer(ctx, namespace, "scaled", nil)
		rollOut(ctx, namespace, "scaled")

		ws := getWebServer(ctx, namespace, "scaled")
		scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 3}}
		Expect(k8sClient.SubResource("scale").Update(ctx, ws, client.WithSubResourceBody(scale))).To(Succeed())
		eventuallyDeployment(ctx, namespace, "scaled", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(3))))
		})
		rollOut(ctx, namespace, "scaled")
		Eventually(func(g Gomega) {
			got := &autoscalingv1.Scale{}
			g.Expect(k8sClient.SubResource("scale").Get(ctx, getWebServer(ctx, namespace, "scaled"), got)).To(Succeed())
			g.Expect(got.Status.Replicas).To(Equal(int32(3)))
			g.Expect(got.Status.Selector).To(ContainSubstring("app.kubernetes.io/instance=scaled"))
		}).WithTimeout(timeout).Should(Succeed())
		Eventually(func() []string { return eventReasons(ctx, namespace, "scaled") }).WithTimeout(timeout).Should(ContainElement("Scaled"))

		updateWebServer(ctx, namespace, "scaled", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = true })
		eventuallyDeployment(ctx, namespace, "scaled", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(0))))
		})
		rollOut(ctx, namespace, "scaled")
		eventuallyCondition(ctx, namespace, "scaled", webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonIdle)
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "scaled"}, &corev1.Service{})).To(Succeed())

		updateWebServer(ctx, namespace, "scaled", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = false })
		eventuallyDeployment(ctx, namespace, "scaled", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(3))))
		})
	})

	It("repairs a deleted Service and a hand-edited Deployment", func() {
		createWebServer(ctx, namespace, "drift", nil)
		rollOut(ctx, namespace, "drift")
		eventuallyCondition(ctx, namespace, "drift", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)

		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "drift"}, svc)).To(Succeed())
		oldUID := svc.UID
		Expect(k8sClient.Delete(ctx, svc)).To(Succeed())
		Eventually(func(g Gomega) {
			restored := &corev1.Service{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "drift"}, restored)).To(Succeed())
			g.Expect(restored.UID).NotTo(Equal(oldUID))
		}).WithTimeout(timeout).Should(Succeed())

		dep := &appsv1.Deployment{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "drift"}, dep)).To(Succeed())
		dep.Spec.Template.Spec.Containers[0].Image = "evil:latest"
		dep.Spec.Replicas = ptr.To[int32](7)
		Expect(k8sClient.Update(ctx, dep)).To(Succeed())
		eventuallyDeployment(ctx, namespace, "drift", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(testDefaultImage))
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(1))))
		})
		Eventually(func() []string { return eventReasons(ctx, namespace, "drift") }).WithTimeout(timeout).Should(ContainElement("DriftRepaired"))
	})
})
