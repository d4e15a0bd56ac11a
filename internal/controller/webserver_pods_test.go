package controller

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

func TestNginxErrorLine(t *testing.T) {
	for logs, want := range map[string]string{
		"2026/12/01 10:00:00 [warn] 1#1: something\nnginx: [emerg] invalid number of arguments in \"return\" directive in /etc/webserver/nginx.conf:51\n": `[emerg] invalid number of arguments in "return" directive in /etc/webserver/nginx.conf:51`,
		"2026/12/01 23:12:45 [emerg] 1#1: unexpected \"}\" in /etc/webserver/nginx.conf:43\n":                                                             `[emerg] unexpected "}" in /etc/webserver/nginx.conf:43`,
	} {
		if got := nginxErrorLine(logs); got != want {
			t.Errorf("nginxErrorLine() = %q, want %q", got, want)
		}
	}
	if got := nginxErrorLine("all fine\n"); got != "" {
		t.Errorf("nginxErrorLine() = %q for a log without an error", got)
	}
}

func TestSummarizePods(t *testing.T) {
	problems := []podProblem{
		{pod: "a", reason: webserverv1alpha1.ReasonImagePullFailed, detail: "image x cannot be pulled (ErrImagePull)"},
		{pod: "b", reason: webserverv1alpha1.ReasonCrashLoop, detail: "nginx keeps exiting with code 1 (CrashLoopBackOff)", nginxError: "[emerg] bad"},
		{pod: "c", reason: webserverv1alpha1.ReasonCrashLoop, detail: "nginx keeps exiting (CrashLoopBackOff)"},
	}
	reason, message := summarizePods(problems)
	if reason != webserverv1alpha1.ReasonCrashLoop {
		t.Errorf("reason = %s, want the crash loop first", reason)
	}
	if want := "pod b: nginx keeps exiting with code 1 (CrashLoopBackOff): [emerg] bad; pod c: nginx keeps exiting (CrashLoopBackOff)"; message != want {
		t.Errorf("message = %q, want %q", message, want)
	}
}

// createPod plays the kubelet: a pod of the WebServer whose nginx container is in the given state.
func createPod(ctx context.Context, namespace, wsName, name string, waiting *corev1.ContainerStateWaiting) {
	ws := getWebServer(ctx, namespace, wsName)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, Labels: resources.SelectorLabels(ws)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: resources.ContainerName, Image: testDefaultImage}}},
	}
	ExpectWithOffset(1, k8sClient.Create(ctx, pod)).To(Succeed())
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{{
		Name: resources.ContainerName, Image: testDefaultImage, State: corev1.ContainerState{Waiting: waiting},
		LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}},
	}}
	ExpectWithOffset(1, k8sClient.Status().Update(ctx, pod)).To(Succeed())
}

// loseAvailability plays the Deployment controller after a completed rollout: one pod
// stopped being available, and the Progressing condition keeps its completed reason.
func loseAvailability(ctx context.Context, namespace, name string) {
	writeDeployment(ctx, namespace, name, true, func(dep *appsv1.Deployment) error {
		n := ptr.Deref(dep.Spec.Replicas, 1)
		dep.Status.ReadyReplicas, dep.Status.AvailableReplicas, dep.Status.UnavailableReplicas = n-1, n-1, 1
		return nil
	})
}

var _ = Describe("Pods that cannot serve", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("calls a crash loop after a finished rollout Degraded, names the pod, and holds no operator upgrade", func() {
		createWebServer(ctx, namespace, "crash", func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](2) })
		rollOut(ctx, namespace, "crash")
		eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)

		createPod(ctx, namespace, "crash", "crash-abc", &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"})
		loseAvailability(ctx, namespace, "crash")
		ws := eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonCrashLoop)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).
			To(Equal("pod crash-abc: nginx keeps exiting with code 1 (CrashLoopBackOff)"))
		eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected)
		eventuallyCondition(ctx, namespace, "crash", webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable)
	})

	It("says a rollout crash-loops, not just that pods are not ready", func() {
		createWebServer(ctx, namespace, "newcrash", nil)
		createPod(ctx, namespace, "newcrash", "newcrash-abc", &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"})
		rollOutHalfway(ctx, namespace, "newcrash")
		ws := eventuallyCondition(ctx, namespace, "newcrash", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonCrashLoop)
		progressing := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionProgressing)
		Expect(progressing.Message).To(ContainSubstring("pod newcrash-abc: nginx keeps exiting"))
	})

	It("names a pod whose image cannot be pulled", func() {
		createWebServer(ctx, namespace, "pull", nil)
		createPod(ctx, namespace, "pull", "pull-abc", &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff"})
		rollOutHalfway(ctx, namespace, "pull")
		ws := eventuallyCondition(ctx, namespace, "pull", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonImagePullFailed)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).
			To(ContainSubstring("pod pull-abc: image " + testDefaultImage + " cannot be pulled"))
	})
})
