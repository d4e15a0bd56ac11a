package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// canarySite answers body on / and 200 on the canary check path, or what the arguments say.
func canarySite(body string, mainStatus, checkStatus int) string {
	main := fmt.Sprintf("default_type text/plain; return 200 %q;", body+"\n")
	if mainStatus != http.StatusOK {
		main = fmt.Sprintf("return %d;", mainStatus)
	}
	return fmt.Sprintf("location / { %s }\nlocation = /check { return %d; }\n", main, checkStatus)
}

// startSpreadLoad sends requests on a new connection each, so the Service spreads them over
// every pod, the canary's included, as it spreads many clients.
func startSpreadLoad(url string) *load { return startLoadWith(plainClient, getRequest(url)) }

var _ = Describe("Canary upgrades on a real cluster", Ordered, Label("e2e"), func() {
	const name = "canary"
	var (
		ctx = context.Background()
		key types.NamespacedName
		url string
	)

	getWS := func(g Gomega) *webserverv1alpha1.WebServer {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		return ws
	}
	// lastCanary is the revision of the latest canary, "" before the first.
	lastCanary := func() string {
		if st := getWS(Default).Status.Canary; st != nil {
			return st.Revision
		}
		return ""
	}
	// eventuallyCanaryPhase waits until a canary newer than the one of revision previous
	// reaches phase.
	eventuallyCanaryPhase := func(previous string, phase webserverv1alpha1.CanaryPhase) *webserverv1alpha1.WebServer {
		GinkgoHelper()
		Eventually(func(g Gomega) {
			st := getWS(g).Status.Canary
			g.Expect(st).NotTo(BeNil())
			g.Expect(st.Revision).NotTo(Equal(previous))
			g.Expect(st.Phase).To(Equal(phase), st.Message)
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		return getWS(Default)
	}
	// stablePods are the UIDs of the pods of the stable Deployment.
	stablePods := func(g Gomega) []string {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(key.Namespace), client.MatchingLabels{"app.kubernetes.io/instance": name})).To(Succeed())
		var uids []string
		for _, p := range pods.Items {
			if p.Labels["webserver.dev/canary"] == "" && p.DeletionTimestamp == nil && p.Status.Phase == corev1.PodRunning {
				uids = append(uids, string(p.UID))
			}
		}
		return uids
	}
	noCanaryLeft := func(g Gomega) {
		err := k8s.Get(ctx, types.NamespacedName{Namespace: key.Namespace, Name: name + "-canary"}, &appsv1.Deployment{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the canary Deployment is gone")
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(key.Namespace), client.MatchingLabels{"webserver.dev/canary": "true"})).To(Succeed())
		g.Expect(pods.Items).To(BeEmpty(), "the canary pods are gone")
	}
	reportAnalysis := func(what string, ws *webserverv1alpha1.WebServer) {
		a := ws.Status.Canary.LastAnalysis
		Expect(a).NotTo(BeNil())
		report(fmt.Sprintf("%s: %d of %d analyses passed; last %s: canary %d requests, %d errors (%s), p95 %s; stable %d requests, %d errors (%s), p95 %s; synthetic %d sent, %d failed: %s",
			what, ws.Status.Canary.PassedAnalyses, ws.Status.Canary.RequiredAnalyses, a.Outcome,
			a.Canary.Requests, a.Canary.Errors, a.Canary.ErrorRatio, a.Canary.LatencyP95,
			a.Stable.Requests, a.Stable.Errors, a.Stable.ErrorRatio, a.Stable.LatencyP95,
			a.SyntheticRequests, a.SyntheticFailures, a.Message))
	}

	BeforeAll(func() {
		key = createMonitoredSite(ctx, "e2e-canary-", name, canarySite("v1", 200, 200), "v1", func(spec *webserverv1alpha1.WebServerSpec) {
			spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
			spec.Upgrade.Canary = &webserverv1alpha1.CanarySpec{IntervalSeconds: ptr.To[int32](5), Analyses: ptr.To[int32](2), CheckPath: "/check"}
		})
		url = serviceURL(ctx, key.Namespace, name)
	})

	AfterAll(func() { removeSpecNamespace(ctx, key.Namespace) })

	It("promotes a canary that serves like the stable pods, without dropping a request", func() {
		stable, previous := stablePods(Default), lastCanary()
		l := startSpreadLoad(url)
		updateWebServer(ctx, key, func(ws *webserverv1alpha1.WebServer) { ws.Spec.Config.Inline = canarySite("v2", 200, 200) })
		ws := eventuallyCanaryPhase(previous, webserverv1alpha1.CanaryAnalyzing)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseCanary))
		Expect(stablePods(Default)).To(ConsistOf(stable), "the stable pods are not touched while the canary is judged")
		ws = eventuallyCanaryPhase(previous, webserverv1alpha1.CanaryPromoted)
		expectRolledOut(ctx, key)
		Eventually(noCanaryLeft).WithTimeout(long).WithPolling(poll).Should(Succeed())
		eventuallyServes(url, "v2")
		l.stopAndExpectNoFailures("canary promoted under continuous requests")
		Expect(ws.Status.Canary.PassedAnalyses).To(Equal(int32(2)))
		Expect(ws.Status.Canary.LastAnalysis.Canary.Requests).To(BeNumerically(">", ws.Status.Canary.LastAnalysis.SyntheticRequests),
			"the canary got its share of the user traffic")
		reportAnalysis("good canary", ws)
	})

	It("aborts a canary whose main path answers 500 before promotion, with its error ratio in status; only its own answers fail", func() {
		stable, previous := stablePods(Default), lastCanary()
		l := startSpreadLoad(url)
		updateWebServer(ctx, key, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = canarySite("v3", http.StatusInternalServerError, 200)
		})
		ws := eventuallyCanaryPhase(previous, webserverv1alpha1.CanaryAborted)
		Eventually(noCanaryLeft).WithTimeout(long).WithPolling(poll).Should(Succeed())
		deliberate := l.stopAndExpectOnlyFailing("canary answering 500 on its main path", http.StatusInternalServerError)
		Expect(deliberate).To(BeNumerically(">", 0), "the canary got its share of the traffic")

		last := ws.Status.Canary.LastAnalysis
		Expect(last.Outcome).To(Equal("Failed"))
		ratio, err := strconv.ParseFloat(strings.TrimSuffix(last.Canary.ErrorRatio, "%"), 64)
		Expect(err).NotTo(HaveOccurred())
		Expect(ratio).To(BeNumerically(">", 5))
		Expect(last.Stable.Errors).To(BeZero())
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseCanaryAborted))
		degraded := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded)
		Expect(degraded.Reason).To(Equal(webserverv1alpha1.ReasonCanaryFailed))
		Expect(degraded.Message).To(ContainSubstring("error ratio"))
		Expect(stablePods(Default)).To(ConsistOf(stable), "the stable pods were never touched")
		reportAnalysis("canary answering 500", ws)

		eventuallyServes(url, "v2")
		l = startSpreadLoad(url)
		time.Sleep(5 * time.Second)
		l.stopAndExpectNoFailures("the stable pods after the canary was aborted")
	})

	It("judges a canary that gets no user traffic by its synthetic checks", func() {
		previous := lastCanary()
		updateWebServer(ctx, key, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = canarySite("v4", 200, http.StatusServiceUnavailable)
		})
		ws := eventuallyCanaryPhase(previous, webserverv1alpha1.CanaryAborted)
		last := ws.Status.Canary.LastAnalysis
		Expect(last.SyntheticRequests).To(BeNumerically(">", 0))
		Expect(last.SyntheticFailures).To(Equal(last.SyntheticRequests))
		Expect(last.Message).To(ContainSubstring("synthetic checks failed"))
		Eventually(noCanaryLeft).WithTimeout(long).WithPolling(poll).Should(Succeed())
		reportAnalysis("canary without user traffic, check path answering 503", ws)
	})

	It("resumes an analysis after the operator is killed in the middle of it, without dropping a request", func() {
		previous := lastCanary()
		l := startSpreadLoad(url)
		updateWebServer(ctx, key, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = canarySite("v5", 200, 200)
			ws.Spec.Upgrade.Canary.Analyses = ptr.To[int32](3)
		})
		Eventually(func(g Gomega) int32 {
			st := getWS(g).Status.Canary
			g.Expect(st).NotTo(BeNil())
			g.Expect(st.Revision).NotTo(Equal(previous))
			g.Expect(st.Phase).To(Equal(webserverv1alpha1.CanaryAnalyzing))
			return st.PassedAnalyses
		}).WithTimeout(long).WithPolling(poll).Should(Equal(int32(1)))
		kubectl("-n", operatorNS, "delete", "pod", "-l", "control-plane=controller-manager", "--grace-period=0", "--force")

		ws := eventuallyCanaryPhase(previous, webserverv1alpha1.CanaryPromoted)
		expectRolledOut(ctx, key)
		Eventually(noCanaryLeft).WithTimeout(long).WithPolling(poll).Should(Succeed())
		eventuallyServes(url, "v5")
		l.stopAndExpectNoFailures("canary promoted across an operator restart")
		Expect(ws.Status.Canary.PassedAnalyses).To(Equal(int32(3)))
		reportAnalysis("canary across an operator restart", ws)
	})
})
