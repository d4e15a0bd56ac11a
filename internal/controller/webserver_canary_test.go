package controller

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
	"github.com/webserver-operator/webserver-operator/internal/sidecar"
)

// stableImage is what the stable pods run before a canary of newerImage.
const stableImage = "nginx:1.26"

// canaryTimeout leaves room for a few analysis windows of the shortest interval (5 s).
const canaryTimeout = 60 * time.Second

// podSite stands in for one nginx pod's network, which envtest does not run: a site that
// answers every path with status and logs each request into a real metrics-container
// registry, and that registry's /metrics, as the operator reads them from a pod.
type podSite struct {
	status   atomic.Int32
	requests *sidecar.Requests
	site     *httptest.Server
	metrics  *httptest.Server
}

func (p *podSite) serve(n int, status int, duration time.Duration) {
	for range n {
		p.requests.Observe(sidecar.Record{Status: status, Method: "GET", Duration: duration.Seconds()})
	}
}

// podNetwork maps the pods the tests start to their sites.
type podNetwork struct {
	mu    sync.Mutex
	sites map[types.NamespacedName]*podSite
}

var pods = &podNetwork{}

// address is the reconciler's PodAddress in the tests.
func (n *podNetwork) address(pod *corev1.Pod, port int32) string {
	n.mu.Lock()
	defer n.mu.Unlock()
	p := n.sites[types.NamespacedName{Namespace: pod.Namespace, Name: pod.Name}]
	switch {
	case p == nil:
		return "127.0.0.1:1"
	case port == webserverv1alpha1.MetricsPort:
		return p.metrics.Listener.Addr().String()
	default:
		return p.site.Listener.Addr().String()
	}
}

// startPod creates a ready pod with labels and a site that answers with status.
func startPod(ctx context.Context, namespace, name string, labels map[string]string, status int) *podSite {
	reg := prometheus.NewRegistry()
	p := &podSite{requests: sidecar.NewRequests(reg, "test")}
	p.status.Store(int32(status))
	p.site = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		code := int(p.status.Load())
		p.serve(1, code, time.Millisecond)
		w.WriteHeader(code)
	}))
	p.metrics = httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	DeferCleanup(p.site.Close)
	DeferCleanup(p.metrics.Close)
	pods.mu.Lock()
	if pods.sites == nil {
		pods.sites = map[types.NamespacedName]*podSite{}
	}
	pods.sites[types.NamespacedName{Namespace: namespace, Name: name}] = p
	pods.mu.Unlock()

	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: labels},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: resources.ContainerName, Image: "nginx"}}},
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, pod)).To(Succeed())
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "10.0.0.1",
		Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}}
	ExpectWithOffset(1, k8sClient.Status().Update(ctx, pod)).To(Succeed())
	return p
}

// canaryWebServer is a monitored WebServer that upgrades by canary with short windows.
func canaryWebServer(analyses int32, manual bool) func(*webserverv1alpha1.WebServer) {
	return func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.Image = stableImage
		ws.Spec.Replicas = ptr.To[int32](2)
		ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
		ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
		ws.Spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{
			IntervalSeconds: ptr.To[int32](5), Analyses: ptr.To(analyses), CheckPath: "/health.html", ManualApproval: manual,
		}
	}
}

// eventuallyCanary waits until the WebServer's canary satisfies check.
func eventuallyCanary(ctx context.Context, namespace, name string, check func(Gomega, *webserverv1alpha1.CanaryStatus)) *webserverv1alpha1.WebServer {
	var ws *webserverv1alpha1.WebServer
	EventuallyWithOffset(1, func(g Gomega) {
		ws = getWebServer(ctx, namespace, name)
		g.Expect(ws.Status.Canary).NotTo(BeNil())
		check(g, ws.Status.Canary)
	}).WithTimeout(canaryTimeout).WithPolling(interval).Should(Succeed())
	return ws
}

func inCanaryPhase(phase webserverv1alpha1.CanaryPhase) func(Gomega, *webserverv1alpha1.CanaryStatus) {
	return func(g Gomega, st *webserverv1alpha1.CanaryStatus) { g.Expect(st.Phase).To(Equal(phase), st.Message) }
}

// startCanary creates a settled WebServer with one stable pod, changes its image, and
// plays the Deployment controller for the canary Deployment that follows.
func startCanary(ctx context.Context, namespace, name string, analyses int32, manual bool, canaryStatus int) (stable, canaryPod *podSite) {
	ws := createWebServer(ctx, namespace, name, canaryWebServer(analyses, manual))
	rollOut(ctx, namespace, name)
	eventuallyCondition(ctx, namespace, name, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
	stable = startPod(ctx, namespace, name+"-stable", resources.SelectorLabels(ws), http.StatusOK)

	updateWebServer(ctx, namespace, name, func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = newerImage })
	eventuallyDeployment(ctx, namespace, resources.CanaryDeploymentName(ws), func(g Gomega, dep *appsv1.Deployment) {
		g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(newerImage))
		g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(1))))
		g.Expect(dep.Spec.Selector.MatchLabels).To(Equal(resources.CanarySelectorLabels(ws)))
		g.Expect(dep.Spec.Template.Labels).To(HaveKeyWithValue(resources.LabelCanary, "true"))
		g.Expect(metav1.IsControlledBy(dep, getWebServer(ctx, namespace, name))).To(BeTrue())
	})
	canaryPod = startPod(ctx, namespace, name+"-canary-pod", resources.CanarySelectorLabels(ws), canaryStatus)
	rollOut(ctx, namespace, resources.CanaryDeploymentName(ws))
	return stable, canaryPod
}

func expectStableImage(ctx context.Context, namespace, name string) {
	dep := &appsv1.Deployment{}
	ExpectWithOffset(1, k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, dep)).To(Succeed())
	ExpectWithOffset(1, dep.Spec.Template.Spec.Containers[0].Image).To(Equal(stableImage), "the stable pods are not touched during a canary")
}

func expectNoCanaryDeployment(ctx context.Context, namespace, name string) {
	EventuallyWithOffset(1, func() bool {
		err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name + "-canary"}, &appsv1.Deployment{})
		return apierrors.IsNotFound(err)
	}).WithTimeout(timeout).Should(BeTrue())
}

var _ = Describe("WebServer canary upgrades", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("judges a canary that gets no user traffic by its synthetic checks, promotes it, and removes its pods once every pod runs it", func() {
		stable, _ := startCanary(ctx, namespace, "good", 2, false, http.StatusOK)
		stable.serve(200, http.StatusOK, 3*time.Millisecond)

		ws := eventuallyCanary(ctx, namespace, "good", inCanaryPhase(webserverv1alpha1.CanaryAnalyzing))
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseCanary))
		eventuallyCondition(ctx, namespace, "good", webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonCanary)
		expectStableImage(ctx, namespace, "good")

		ws = eventuallyCanary(ctx, namespace, "good", inCanaryPhase(webserverv1alpha1.CanaryPromoting))
		Expect(ws.Status.Canary.PassedAnalyses).To(Equal(int32(2)))
		last := ws.Status.Canary.LastAnalysis
		Expect(last).NotTo(BeNil())
		Expect(last.Outcome).To(Equal("Passed"), last.Message)
		Expect(last.SyntheticRequests).To(Equal(int32(syntheticRequestsPerPod)))
		Expect(last.SyntheticFailures).To(BeZero())
		Expect(last.Canary.Requests).To(BeNumerically(">=", syntheticRequestsPerPod), "the synthetic requests are the canary's traffic")
		Expect(last.Stable.Requests).To(BeNumerically(">=", syntheticRequestsPerPod))

		By("the stable Deployment rolls to the canary's revision; the canary pods serve until it completed")
		eventuallyDeployment(ctx, namespace, "good", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(newerImage))
		})
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "good-canary"}, &appsv1.Deployment{})).To(Succeed())
		rollOut(ctx, namespace, "good")
		eventuallyCanary(ctx, namespace, "good", inCanaryPhase(webserverv1alpha1.CanaryPromoted))
		expectNoCanaryDeployment(ctx, namespace, "good")
		ws = eventuallyCondition(ctx, namespace, "good", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseComplete))
		Expect(ws.Status.CurrentImage).To(Equal(newerImage))
		Eventually(func() []string { return eventReasons(ctx, namespace, "good") }).WithTimeout(timeout).
			Should(ContainElements("CanaryStarted", "CanaryPromoted", "UpgradeCompleted"))
	})

	It("aborts a canary that answers 500, with its numbers in status, and leaves the stable pods untouched", func() {
		_, canaryPod := startCanary(ctx, namespace, "bad", 3, false, http.StatusInternalServerError)
		canaryPod.serve(20, http.StatusInternalServerError, 2*time.Millisecond)

		ws := eventuallyCondition(ctx, namespace, "bad", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonCanaryFailed)
		Expect(ws.Status.Canary.Phase).To(Equal(webserverv1alpha1.CanaryAborted))
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseCanaryAborted))
		last := ws.Status.Canary.LastAnalysis
		Expect(last).NotTo(BeNil())
		Expect(last.Outcome).To(Equal("Failed"))
		Expect(last.SyntheticFailures).To(Equal(int32(syntheticRequestsPerPod)))
		Expect(last.Canary.Errors).To(Equal(last.Canary.Requests))
		Expect(last.Canary.ErrorRatio).To(Equal("100.00%"))
		Expect(apimeta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("synthetic checks failed"))
		Expect(apimeta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("the stable pods were never touched"))
		expectNoCanaryDeployment(ctx, namespace, "bad")
		expectStableImage(ctx, namespace, "bad")
		Expect(eventReasons(ctx, namespace, "bad")).To(ContainElement(webserverv1alpha1.ReasonCanaryFailed))

		By("the failed revision is not tried again until the spec changes")
		Consistently(func() bool {
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "bad-canary"}, &appsv1.Deployment{})
			return apierrors.IsNotFound(err)
		}).WithTimeout(3 * time.Second).Should(BeTrue())
		expectStableImage(ctx, namespace, "bad")
		updateWebServer(ctx, namespace, "bad", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:1.28" })
		eventuallyDeployment(ctx, namespace, "bad-canary", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal("nginx:1.28"))
		})
		eventuallyCanary(ctx, namespace, "bad", inCanaryPhase(webserverv1alpha1.CanaryStarting))
	})

	It("holds a passed canary for approval, resumes its analyses after losing its window, and promotes once approved", func() {
		startCanary(ctx, namespace, "gated", 1, true, http.StatusOK)
		ws := eventuallyCanary(ctx, namespace, "gated", inCanaryPhase(webserverv1alpha1.CanaryAwaitingApproval))
		Expect(ws.Status.Canary.Message).To(ContainSubstring(webserverv1alpha1.AnnotationApproveCanary + "=" + ws.Status.Canary.Revision))
		expectStableImage(ctx, namespace, "gated")

		By("an operator restart loses the open window; the next pass opens a new one and the count stands")
		reconciler.canaryWindows.forget(client.ObjectKeyFromObject(ws))
		analyzed := ws.Status.Canary.LastAnalysis.Time
		eventuallyCanary(ctx, namespace, "gated", func(g Gomega, st *webserverv1alpha1.CanaryStatus) {
			g.Expect(st.LastAnalysis.Time.After(analyzed.Time)).To(BeTrue())
			g.Expect(st.Phase).To(Equal(webserverv1alpha1.CanaryAwaitingApproval))
			g.Expect(st.PassedAnalyses).To(Equal(int32(1)))
		})

		By("an approval of another revision promotes nothing")
		approve := func(revision string) {
			updateWebServer(ctx, namespace, "gated", func(ws *webserverv1alpha1.WebServer) {
				ws.Annotations = map[string]string{webserverv1alpha1.AnnotationApproveCanary: revision}
			})
		}
		approve("0123456789")
		Consistently(func() webserverv1alpha1.CanaryPhase { return getWebServer(ctx, namespace, "gated").Status.Canary.Phase }).
			WithTimeout(2 * time.Second).Should(Equal(webserverv1alpha1.CanaryAwaitingApproval))
		approve(ws.Status.Canary.Revision)
		eventuallyCanary(ctx, namespace, "gated", inCanaryPhase(webserverv1alpha1.CanaryPromoting))
		eventuallyDeployment(ctx, namespace, "gated", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(newerImage))
		})
	})

	It("stops a canary whose revision the spec no longer asks for, or that an idle WebServer has no place for", func() {
		startCanary(ctx, namespace, "undo", 3, false, http.StatusOK)
		eventuallyCanary(ctx, namespace, "undo", inCanaryPhase(webserverv1alpha1.CanaryAnalyzing))
		updateWebServer(ctx, namespace, "undo", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = stableImage })
		ws := eventuallyCanary(ctx, namespace, "undo", inCanaryPhase(webserverv1alpha1.CanaryStopped))
		Expect(ws.Status.Canary.Message).To(ContainSubstring(fmt.Sprintf("the spec asks for revision %s", ws.Status.CurrentRevision)))
		expectNoCanaryDeployment(ctx, namespace, "undo")
		eventuallyCondition(ctx, namespace, "undo", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)

		By("asked for again, the revision gets a canary of its own, from zero; going idle stops it and keeps the stable revision")
		updateWebServer(ctx, namespace, "undo", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = newerImage })
		eventuallyCanary(ctx, namespace, "undo", func(g Gomega, st *webserverv1alpha1.CanaryStatus) {
			g.Expect(st.Phase).To(BeElementOf(webserverv1alpha1.CanaryStarting, webserverv1alpha1.CanaryAnalyzing))
			g.Expect(st.PassedAnalyses).To(BeZero())
		})
		eventuallyDeployment(ctx, namespace, "undo-canary", func(Gomega, *appsv1.Deployment) {})
		updateWebServer(ctx, namespace, "undo", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = true })
		ws = eventuallyCanary(ctx, namespace, "undo", inCanaryPhase(webserverv1alpha1.CanaryStopped))
		Expect(ws.Status.Canary.Message).To(ContainSubstring("idle"))
		expectNoCanaryDeployment(ctx, namespace, "undo")
		eventuallyDeployment(ctx, namespace, "undo", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(BeZero()))
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(stableImage), "an idle WebServer keeps the stable revision")
		})
	})
})
