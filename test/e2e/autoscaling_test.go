package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// hammer keeps workers sending requests as fast as the site answers, to load its CPU.
func hammer(url string, workers int) (stop func() int64) {
	ctx, cancel := context.WithCancel(context.Background())
	var sent atomic.Int64
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 10 * time.Second}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				_, _, _ = httpGet(c, url, "")
				sent.Add(1)
			}
		}()
	}
	return func() int64 {
		cancel()
		wg.Wait()
		return sent.Load()
	}
}

// printedColumn runs kubectl get with args and returns a lookup of the one row's value
// under a header.
func printedColumn(args ...string) func(header string) string {
	lines := strings.Split(strings.TrimSpace(kubectl(args...)), "\n")
	ExpectWithOffset(1, lines).To(HaveLen(2))
	headers, values := strings.Fields(lines[0]), strings.Fields(lines[1])
	ExpectWithOffset(1, values).To(HaveLen(len(headers)), "every column has a value")
	return func(header string) string {
		for i, h := range headers {
			if h == header {
				return values[i]
			}
		}
		return ""
	}
}

var _ = Describe("Autoscaling on a real cluster", Ordered, Label("e2e"), func() {
	const name = "elastic"
	var (
		ctx       = context.Background()
		namespace string
		key       types.NamespacedName
		url       string
	)
	replicas := func(g Gomega) int32 {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		return ptr.Deref(ws.Spec.Replicas, 1)
	}

	BeforeAll(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "e2e-hpa-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
		key = types.NamespacedName{Namespace: namespace, Name: name}
	})

	AfterAll(func() {
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Println(kubectl("-n", namespace, "get", "all,webservers,hpa,events", "-o", "wide"))
			GinkgoWriter.Println(kubectl("-n", namespace, "describe", "hpa"))
		}
		if !CurrentSpecReport().Failed() || os.Getenv("E2E_KEEP_FAILED") == "" {
			_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
		}
	})

	It("scales up under load and back down after it, and kubectl get ws shows the HPA's choice", func() {
		ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		ws.Spec.Image = nginxImageA
		ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {\n  default_type text/plain;\n  return 200 \"elastic\\n\";\n}\n"}
		// A small CPU request, so that the test's load is a lot of it.
		ws.Spec.Resources = &corev1.ResourceRequirements{Limits: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("64Mi")}}
		// Windows shortened for the test; the defaults are the HPA's own.
		window := ptr.To[int32](0)
		ws.Spec.Autoscaling = &webserverv1alpha1.AutoscalingSpec{
			MinReplicas: ptr.To[int32](1), MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To[int32](40),
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{
				ScaleUp: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: window},
				ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](15),
					Policies: []autoscalingv2.HPAScalingPolicy{{Type: autoscalingv2.PercentScalingPolicy, Value: 100, PeriodSeconds: 15}}},
			},
		}
		Expect(k8s.Create(ctx, ws)).To(Succeed())
		Eventually(func(g Gomega) {
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, key, svc)).To(Succeed())
			url = fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		eventuallyServes(url, "elastic")

		By("the HPA reads the pods' CPU from metrics-server")
		Eventually(func(g Gomega) {
			hpa := &autoscalingv2.HorizontalPodAutoscaler{}
			g.Expect(k8s.Get(ctx, key, hpa)).To(Succeed())
			g.Expect(hpa.Status.CurrentMetrics).NotTo(BeEmpty(), kubectl("-n", namespace, "describe", "hpa", name))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())

		By("under load it scales the WebServer up")
		started := time.Now()
		stop := hammer(url, 8)
		Eventually(func(g Gomega) {
			g.Expect(replicas(g)).To(BeNumerically(">", 1))
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
			g.Expect(ws.Status.ReadyReplicas).To(BeNumerically(">", 1))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		up := time.Since(started).Round(time.Second)
		sent := stop()
		report(fmt.Sprintf("autoscaling: %d pods %s after load started (%d requests)", replicas(Default), up, sent))
		Expect(printedColumn("-n", namespace, "get", "webserver", name)("DESIRED")).To(Equal(fmt.Sprint(replicas(Default))))

		By("after the load it scales back down, without dropping a request")
		// Light, so that one pod's CPU stays under the target while it still proves no request drops.
		l := startLightLoad(url)
		started = time.Now()
		Eventually(replicas).WithTimeout(long).WithPolling(poll).Should(Equal(int32(1)))
		Eventually(func(g Gomega) {
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
			g.Expect(ws.Status.Replicas).To(Equal(int32(1)))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		report(fmt.Sprintf("autoscaling: back to 1 pod %s after load stopped", time.Since(started).Round(time.Second)))
		l.stopAndExpectNoFailures("light load while the HPA scaled down")
	})
})
