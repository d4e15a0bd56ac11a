package controller

import (
	"context"
	"fmt"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// runningImage is the image the Deployment's pod template runs.
func runningImage(ctx context.Context, namespace, name string) string {
	dep := &appsv1.Deployment{}
	if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, dep); err != nil {
		return ""
	}
	return containerImage(dep)
}

// countEvents counts the WebServer's events with a reason.
func countEvents(ctx context.Context, namespace, name, reason string) int {
	n := 0
	for _, r := range eventReasons(ctx, namespace, name) {
		if r == reason {
			n++
		}
	}
	return n
}

// createRevisionPod adds a pod of the WebServer's Deployment as it runs now, in the
// given container state: what the kubelet reports for a pod of the new revision.
func createRevisionPod(ctx context.Context, namespace, wsName, name string, state corev1.ContainerState) {
	dep := eventuallyDeployment(ctx, namespace, wsName, func(Gomega, *appsv1.Deployment) {})
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: dep.Spec.Selector.MatchLabels},
		Spec:       *dep.Spec.Template.Spec.DeepCopy(),
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, pod)).To(Succeed())
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: resources.ContainerName, Image: containerImage(dep), State: state,
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}},
		RestartCount:         3,
	}}
	ExpectWithOffset(1, k8sClient.Status().Update(ctx, pod)).To(Succeed())
}

// rollOutBroken plays the Deployment controller while the new pods do not come up: one
// new pod besides the old ones, and no progress since the given time.
func rollOutBroken(ctx context.Context, namespace, name, image string, lastProgress time.Time) {
	writeDeployment(ctx, namespace, name, true, func(dep *appsv1.Deployment) error {
		if containerImage(dep) != image {
			return fmt.Errorf("the Deployment does not run %s yet", image)
		}
		n := ptr.Deref(dep.Spec.Replicas, 1)
		dep.Status = appsv1.DeploymentStatus{ObservedGeneration: dep.Generation, Replicas: n + 1, UpdatedReplicas: 1, ReadyReplicas: n, AvailableReplicas: n,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "ReplicaSetUpdated",
				LastUpdateTime: metav1.NewTime(lastProgress), LastTransitionTime: metav1.NewTime(lastProgress)}}}
		return nil
	})
}

func specRevisionEntry(ws *webserverv1alpha1.WebServer, image string) *webserverv1alpha1.RevisionStatus {
	for i := range ws.Status.Revisions {
		if ws.Status.Revisions[i].Image == image {
			return &ws.Status.Revisions[i]
		}
	}
	return nil
}

var _ = Describe("Revisions: config checks, health gate and rollback", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	settled := func(name string, mutate func(*webserverv1alpha1.WebServer)) *webserverv1alpha1.WebServer {
		createWebServer(ctx, namespace, name, mutate)
		rollOut(ctx, namespace, name)
		return eventuallyCondition(ctx, namespace, name, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
	}

	It("checks a new revision with nginx -t in a restricted, short-lived pod before the Deployment gets it", func() {
		ws := settled("checked", nil)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseComplete))
		Expect(ws.Status.CurrentRevision).NotTo(BeEmpty())
		Expect(ws.Status.LastGoodRevision).To(Equal(ws.Status.CurrentRevision))
		Expect(eventReasons(ctx, namespace, "checked")).To(ContainElement(webserverv1alpha1.ReasonValidated))

		// The check pod of the next revision, seen before the stand-in kubelet ends it.
		updateWebServer(ctx, namespace, "checked", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = newerImage })
		var checked *corev1.Pod
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8sClient.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels(resources.ConfigCheckLabels()))).To(Succeed())
			g.Expect(pods.Items).NotTo(BeEmpty())
			checked = &pods.Items[0]
		}).WithTimeout(timeout).WithPolling(10 * time.Millisecond).Should(Succeed())
		Expect(checked.Spec.Containers[0].Image).To(Equal(newerImage))
		Expect(checked.Spec.Containers[0].Args).To(ContainElement("-t"))
		Expect(checked.Spec.RestartPolicy).To(Equal(corev1.RestartPolicyNever))
		Expect(checked.Spec.ActiveDeadlineSeconds).To(HaveValue(BeNumerically("==", resources.ConfigCheckDeadlineSeconds)))
		Expect(checked.Spec.AutomountServiceAccountToken).To(HaveValue(BeFalse()))
		Expect(checked.Spec.SecurityContext.RunAsNonRoot).To(HaveValue(BeTrue()))
		Expect(checked.Spec.Containers[0].SecurityContext.Capabilities.Drop).To(ContainElement(corev1.Capability("ALL")))
		Expect(checked.Labels[resources.LabelName]).NotTo(Equal(resources.AppName), "the Service must not select a check pod")
		Expect(metav1.IsControlledBy(checked, getWebServer(ctx, namespace, "checked"))).To(BeTrue())

		eventuallyDeployment(ctx, namespace, "checked", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(containerImage(dep)).To(Equal(newerImage))
		})
		By("the check pod goes once its verdict is in status")
		Eventually(func() error {
			return k8sClient.Get(ctx, client.ObjectKeyFromObject(checked), &corev1.Pod{})
		}).WithTimeout(timeout).Should(MatchError(ContainSubstring("not found")))

		By("a restart of the same image and config is not checked again")
		before := countEvents(ctx, namespace, "checked", webserverv1alpha1.ReasonValidated)
		updateWebServer(ctx, namespace, "checked", func(ws *webserverv1alpha1.WebServer) { ws.Spec.RestartedAt = "now" })
		eventuallyDeployment(ctx, namespace, "checked", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Template.Annotations).To(HaveKeyWithValue(resources.AnnotationRestartedAt, "now"))
		})
		Expect(countEvents(ctx, namespace, "checked", webserverv1alpha1.ReasonValidated)).To(Equal(before))
	})

	It("deletes a new WebServer's check pod once its verdict is in status, though nothing else changes", func() {
		createWebServer(ctx, namespace, "quiet", nil)
		eventuallyDeployment(ctx, namespace, "quiet", func(Gomega, *appsv1.Deployment) {})
		Eventually(func(g Gomega) {
			pods := &corev1.PodList{}
			g.Expect(k8sClient.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels(resources.ConfigCheckLabels()))).To(Succeed())
			g.Expect(pods.Items).To(BeEmpty())
		}).WithTimeout(timeout).Should(Succeed())
	})

	It("refuses a config nginx rejects: no pod gets it, status quotes nginx with the user's line, a fix proceeds", func() {
		settled("refused", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / { return 200 'ok'; }"}
		})
		before := eventuallyDeployment(ctx, namespace, "refused", func(Gomega, *appsv1.Deployment) {})
		updateWebServer(ctx, namespace, "refused", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = "location / {\n    " + invalidDirective + " on;\n}"
		})
		ws := eventuallyCondition(ctx, namespace, "refused", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonNginxRejectedConfig)
		message := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionConfigValid).Message
		Expect(message).To(ContainSubstring(`[emerg] unknown directive "invalid_directive" in /etc/webserver/nginx.conf:`))
		Expect(message).To(ContainSubstring("(line 2 of spec.config.inline)"))
		ws = eventuallyCondition(ctx, namespace, "refused", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigInvalid)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseConfigInvalid))
		Eventually(func() []string { return eventReasons(ctx, namespace, "refused") }).WithTimeout(timeout).Should(ContainElement(webserverv1alpha1.ReasonConfigInvalid))
		Expect(testutil.ToFloat64(metrics.ConfigValidationsTotal.WithLabelValues(namespace, "refused", metrics.ValidationInvalid))).To(Equal(1.0))
		Consistently(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, client.ObjectKeyFromObject(before), dep)).To(Succeed())
			g.Expect(dep.Spec.Template).To(Equal(before.Spec.Template))
		}).WithTimeout(2 * time.Second).Should(Succeed())

		updateWebServer(ctx, namespace, "refused", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = "location / { return 200 'fixed'; }"
		})
		eventuallyDeployment(ctx, namespace, "refused", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedConfigMap(dep)).NotTo(Equal(mountedConfigMap(before)))
		})
		eventuallyCondition(ctx, namespace, "refused", webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonValidated)
	})

	It("creates no Deployment for a new WebServer whose config nginx rejects", func() {
		createWebServer(ctx, namespace, "born-invalid", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: invalidDirective + " on;"}
		})
		eventuallyCondition(ctx, namespace, "born-invalid", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonNginxRejectedConfig)
		ws := eventuallyCondition(ctx, namespace, "born-invalid", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigInvalid)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("no pod was created"))
		Consistently(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "born-invalid"}, &appsv1.Deployment{})
		}).WithTimeout(2 * time.Second).Should(HaveOccurred())
	})

	It("fails a revision whose image cannot be pulled in the check, before any serving pod gets it", func() {
		settled("unpullable", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.FailureThresholdSeconds = ptr.To[int32](5) })
		image := "nginx:" + missingImageMarker
		updateWebServer(ctx, namespace, "unpullable", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = image })
		ws := eventuallyCondition(ctx, namespace, "unpullable", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonValidationFailed)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("cannot be pulled (ErrImagePull)"))
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseFailed))
		Expect(runningImage(ctx, namespace, "unpullable")).To(Equal(testDefaultImage))
		Expect(eventReasons(ctx, namespace, "unpullable")).To(ContainElement(webserverv1alpha1.ReasonValidationFailed))
	})

	It("rolls a stalled rollout back to the last good revision, once, and tries again only on a new revision", func() {
		settled("stall", nil)
		updateWebServer(ctx, namespace, "stall", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = brokenImage })
		eventuallyDeployment(ctx, namespace, "stall", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal(brokenImage)) })
		stallRollout(ctx, namespace, "stall", brokenImage)

		eventuallyDeployment(ctx, namespace, "stall", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal(testDefaultImage)) })
		ws := eventuallyCondition(ctx, namespace, "stall", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolledBack)
		message := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message
		Expect(message).To(ContainSubstring("image " + brokenImage))
		Expect(message).To(ContainSubstring("ProgressDeadlineExceeded"))
		Expect(message).To(ContainSubstring("rolled back to revision " + ws.Status.LastGoodRevision))
		Expect(specRevisionEntry(ws, brokenImage).Phase).To(Equal(webserverv1alpha1.RevisionFailed))
		Expect(ws.Spec.Image).To(Equal(brokenImage), "the spec is never edited")

		rollOut(ctx, namespace, "stall")
		ws = eventuallyCondition(ctx, namespace, "stall", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolledBack)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseRolledBack))
		Expect(ws.Status.CurrentRevision).To(Equal(ws.Status.LastGoodRevision))
		Eventually(func() []string { return eventReasons(ctx, namespace, "stall") }).WithTimeout(timeout).Should(ContainElement("RollbackCompleted"))

		By("no second rollback and no retry of the failed revision")
		Consistently(func(g Gomega) {
			g.Expect(runningImage(ctx, namespace, "stall")).To(Equal(testDefaultImage))
			g.Expect(countEvents(ctx, namespace, "stall", webserverv1alpha1.ReasonRolledBack)).To(Equal(1))
		}).WithTimeout(2 * time.Second).Should(Succeed())
		updateWebServer(ctx, namespace, "stall", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](3) })
		eventuallyDeployment(ctx, namespace, "stall", func(g Gomega, dep *appsv1.Deployment) { g.Expect(*dep.Spec.Replicas).To(Equal(int32(3))) })
		Expect(runningImage(ctx, namespace, "stall")).To(Equal(testDefaultImage), "scaling is no new attempt")

		By("a new restartedAt is a new attempt")
		updateWebServer(ctx, namespace, "stall", func(ws *webserverv1alpha1.WebServer) { ws.Spec.RestartedAt = "retry" })
		eventuallyDeployment(ctx, namespace, "stall", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal(brokenImage)) })
	})

	It("fails a rollout whose new pods stay broken for the threshold, well before the deadline", func() {
		settled("crash", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.FailureThresholdSeconds = ptr.To[int32](5) })
		updateWebServer(ctx, namespace, "crash", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:crash" })
		eventuallyDeployment(ctx, namespace, "crash", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal("nginx:crash")) })
		// Whole seconds, as the Deployment stores its last progress time.
		start := time.Now().Truncate(time.Second)
		rollOutBroken(ctx, namespace, "crash", "nginx:crash", start)
		createRevisionPod(ctx, namespace, "crash", "crash-new", corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}})

		ws := eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonCrashLoop)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseRollingOut), "broken for less than the threshold")
		ws = eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolledBack)
		Expect(time.Since(start)).To(BeNumerically(">=", 5*time.Second))
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("pod crash-new: nginx keeps exiting"))
		Eventually(func() string { return runningImage(ctx, namespace, "crash") }).WithTimeout(timeout).Should(Equal(testDefaultImage))
	})

	It("fails a rollout whose new pods run but never pass the site's own readiness path", func() {
		settled("unready", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.FailureThresholdSeconds = ptr.To[int32](5)
			ws.Spec.ReadinessPath = "/ready"
		})
		dep := eventuallyDeployment(ctx, namespace, "unready", func(Gomega, *appsv1.Deployment) {})
		Expect(dep.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet.Path).To(Equal("/ready"))
		updateWebServer(ctx, namespace, "unready", func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location = /ready { return 500; }"}
		})
		eventuallyDeployment(ctx, namespace, "unready", func(g Gomega, rolling *appsv1.Deployment) {
			g.Expect(mountedConfigMap(rolling)).NotTo(Equal(mountedConfigMap(dep)))
		})
		rollOutBroken(ctx, namespace, "unready", testDefaultImage, time.Now().Truncate(time.Second))
		createRevisionPod(ctx, namespace, "unready", "unready-new", corev1.ContainerState{
			Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(time.Now().Add(-time.Minute))},
		})
		ws := eventuallyCondition(ctx, namespace, "unready", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolledBack)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("readiness probe keeps failing"))
		Eventually(func() string {
			return mountedConfigMap(eventuallyDeployment(ctx, namespace, "unready", func(Gomega, *appsv1.Deployment) {}))
		}).WithTimeout(timeout).Should(Equal(mountedConfigMap(dep)))
	})

	It("reports a failed rollout without reverting when autoRollback is false", func() {
		settled("keep", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.AutoRollback = ptr.To(false) })
		updateWebServer(ctx, namespace, "keep", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = brokenImage })
		eventuallyDeployment(ctx, namespace, "keep", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal(brokenImage)) })
		stallRollout(ctx, namespace, "keep", brokenImage)
		ws := eventuallyCondition(ctx, namespace, "keep", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolloutFailed)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("autoRollback is false"))
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseFailed))
		Eventually(func() []string { return eventReasons(ctx, namespace, "keep") }).WithTimeout(timeout).Should(ContainElement(webserverv1alpha1.ReasonRolloutFailed))
		Consistently(func() string { return runningImage(ctx, namespace, "keep") }).WithTimeout(2 * time.Second).Should(Equal(brokenImage))
	})

	It("reports a first rollout that fails, with nothing to return to, without a loop", func() {
		createWebServer(ctx, namespace, "first", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = brokenImage })
		eventuallyDeployment(ctx, namespace, "first", func(Gomega, *appsv1.Deployment) {})
		stallRollout(ctx, namespace, "first", brokenImage)
		ws := eventuallyCondition(ctx, namespace, "first", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolloutFailed)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).To(ContainSubstring("no earlier good revision"))
		settledWrites := len(writes.in(namespace))
		Consistently(func() []string { return writes.in(namespace)[settledWrites:] }).WithTimeout(3 * time.Second).Should(BeEmpty())
	})

	It("returns to the revision the spec names again (A→B→A) and rolls forward after a fix", func() {
		settled("aba", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:a" })
		updateWebServer(ctx, namespace, "aba", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:b" })
		eventuallyDeployment(ctx, namespace, "aba", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal("nginx:b")) })
		rollOutHalfway(ctx, namespace, "aba")
		updateWebServer(ctx, namespace, "aba", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:a" })
		eventuallyDeployment(ctx, namespace, "aba", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal("nginx:a")) })
		rollOut(ctx, namespace, "aba")
		ws := eventuallyCondition(ctx, namespace, "aba", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseComplete))

		By("B fails and is rolled back; a fixed B rolls forward")
		updateWebServer(ctx, namespace, "aba", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:b" })
		eventuallyDeployment(ctx, namespace, "aba", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal("nginx:b")) })
		stallRollout(ctx, namespace, "aba", "nginx:b")
		eventuallyCondition(ctx, namespace, "aba", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolledBack)
		updateWebServer(ctx, namespace, "aba", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "nginx:b-fixed" })
		eventuallyDeployment(ctx, namespace, "aba", func(g Gomega, dep *appsv1.Deployment) { g.Expect(containerImage(dep)).To(Equal("nginx:b-fixed")) })
		rollOut(ctx, namespace, "aba")
		ws = eventuallyCondition(ctx, namespace, "aba", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		Expect(meta.IsStatusConditionFalse(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded)).To(BeTrue())
		Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseComplete))
		Expect(specRevisionEntry(ws, "nginx:b").Phase).To(Equal(webserverv1alpha1.RevisionFailed), "history keeps the failure")
	})
})
