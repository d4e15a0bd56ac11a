package controller

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

var _ = Describe("HorizontalPodAutoscaler", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	autoscaler := func(name string) func(Gomega) *autoscalingv2.HorizontalPodAutoscaler {
		return func(g Gomega) *autoscalingv2.HorizontalPodAutoscaler {
			hpa := &autoscalingv2.HorizontalPodAutoscaler{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, hpa)).To(Succeed())
			return hpa
		}
	}

	It("scales the WebServer itself, which the Deployment follows, and goes when autoscaling is unset", func() {
		createWebServer(ctx, namespace, "auto", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{
				MinReplicas: ptr.To[int32](2), MaxReplicas: 5, TargetMemoryUtilizationPercentage: ptr.To[int32](70),
				Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
					ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](30)},
				},
			}
		})
		var hpa *autoscalingv2.HorizontalPodAutoscaler
		Eventually(func(g Gomega) { hpa = autoscaler("auto")(g) }).WithTimeout(timeout).Should(Succeed())
		ws := getWebServer(ctx, namespace, "auto")
		Expect(metav1.IsControlledBy(hpa, ws)).To(BeTrue())
		Expect(hpa.Spec.ScaleTargetRef).To(Equal(autoscalingv2.CrossVersionObjectReference{
			APIVersion: webserverv1alpha1.GroupVersion.String(), Kind: "WebServer", Name: "auto"}))
		Expect(hpa.Spec.MinReplicas).To(HaveValue(Equal(int32(2))))
		Expect(hpa.Spec.MaxReplicas).To(Equal(int32(5)))
		Expect(hpa.Spec.Metrics).To(HaveLen(2))
		Expect(hpa.Spec.Metrics[0].Resource.Name).To(Equal(corev1.ResourceCPU))
		Expect(hpa.Spec.Metrics[0].Resource.Target.AverageUtilization).To(HaveValue(Equal(int32(80))), "the default CPU target")
		Expect(hpa.Spec.Metrics[1].Resource.Name).To(Equal(corev1.ResourceMemory))
		Expect(hpa.Spec.Behavior.ScaleDown.StabilizationWindowSeconds).To(HaveValue(Equal(int32(30))))

		By("the HPA's choice, written to the scale subresource as the HPA controller does, reaches the Deployment and stays")
		rollOut(ctx, namespace, "auto")
		Expect(k8sClient.SubResource("scale").Update(ctx, ws, client.WithSubResourceBody(&autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 4}}))).To(Succeed())
		eventuallyDeployment(ctx, namespace, "auto", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(4))))
		})
		rollOut(ctx, namespace, "auto")
		Consistently(func(g Gomega) {
			g.Expect(getWebServer(ctx, namespace, "auto").Spec.Replicas).To(HaveValue(Equal(int32(4))))
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "auto"}, dep)).To(Succeed())
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(4))), "the operator does not fight the HPA")
		}).WithTimeout(2 * time.Second).Should(Succeed())

		By("a drifted HPA is restored")
		hpa = autoscaler("auto")(Default)
		hpa.Spec.MaxReplicas = 50
		Expect(k8sClient.Update(ctx, hpa)).To(Succeed())
		Eventually(func(g Gomega) { g.Expect(autoscaler("auto")(g).Spec.MaxReplicas).To(Equal(int32(5))) }).WithTimeout(timeout).Should(Succeed())

		By("without spec.autoscaling the HPA goes; replicas stay where the HPA put them")
		updateWebServer(ctx, namespace, "auto", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Autoscaling = nil })
		Eventually(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "auto"}, &autoscalingv2.HorizontalPodAutoscaler{}))
		}).WithTimeout(timeout).Should(BeTrue())
		Expect(getWebServer(ctx, namespace, "auto").Spec.Replicas).To(HaveValue(Equal(int32(4))))
	})
})
