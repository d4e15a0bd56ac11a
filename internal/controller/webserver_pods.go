package controller

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// Waiting reasons of a container that waiting will not fix.
var (
	imagePullReasons      = []string{"ImagePullBackOff", "ErrImagePull", "InvalidImageName", "ErrImageNeverPull"}
	containerStartReasons = []string{"CreateContainerConfigError", "CreateContainerError", "RunContainerError"}
)

// notReadyGrace is how long a running nginx container may stay unready before it counts as
// failing its readiness probe; nginx itself is ready within a probe period.
const notReadyGrace = 15 * time.Second

// maxNamedPods bounds the pods a condition message names.
const maxNamedPods = 3

// PodRecheckInterval is how often pods that are not ready are looked at again: their
// containers' states are not watched (caching every pod would cost memory per pod), and a
// crash loop changes nothing the Deployment reports.
const PodRecheckInterval = 10 * time.Second

// podLogLines is how much of a crashed container's log is read to find nginx's error.
const podLogLines = 20

// PodLogReader returns the last lines the previous (crashed) run of a container wrote.
type PodLogReader func(ctx context.Context, namespace, pod, container string) (string, error)

// ClientsetPodLogs reads logs through the API server's pods/log subresource.
func ClientsetPodLogs(cs kubernetes.Interface) PodLogReader {
	return func(ctx context.Context, namespace, pod, container string) (string, error) {
		raw, err := cs.CoreV1().Pods(namespace).GetLogs(pod, &corev1.PodLogOptions{
			Container: container, Previous: true, TailLines: ptr.To[int64](podLogLines),
		}).Do(ctx).Raw()
		return string(raw), err
	}
}

// podProblem is why one pod does not serve.
type podProblem struct {
	pod    string
	reason string // a condition reason: CrashLoop, ImagePullFailed, PodsNotReady
	detail string
	// nginxError is nginx's own error line from the crashed container, when it wrote one.
	nginxError string
	// configMap is the config ConfigMap the pod mounts, image the image it runs.
	configMap string
	image     string
	// broken is true when waiting will not fix it: a crash loop, an image that cannot be
	// pulled, a container that cannot be created. An unschedulable pod may yet fit.
	broken bool
}

func (p podProblem) String() string {
	text := fmt.Sprintf("pod %s: %s", p.pod, p.detail)
	if p.nginxError != "" {
		text += ": " + p.nginxError
	}
	return text
}

// diagnosePods reads the WebServer's pods, live and only while the Deployment reports pods
// that are not ready, and records those that cannot serve and why: crash loops (with
// nginx's error line), images that cannot be pulled, containers that cannot be created,
// pods that cannot be scheduled.
func (r *WebServerReconciler) diagnosePods(ctx context.Context, s *scope) (ctrl.Result, error) {
	dep := s.deployment
	if dep == nil || (dep.Status.ReadyReplicas >= dep.Status.Replicas && dep.Status.ReadyReplicas >= replicasOf(dep)) {
		return ctrl.Result{}, nil
	}
	pods := &corev1.PodList{}
	// The canary's pods are the canary's to judge (watchCanaryPods).
	if err := r.APIReader.List(ctx, pods, client.InNamespace(s.ws.Namespace),
		client.MatchingLabelsSelector{Selector: resources.StablePodSelector(s.ws)}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing pods: %w", err)
	}
	slices.SortFunc(pods.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	s.pods = nil
	for i := range pods.Items {
		pod := &pods.Items[i]
		problem, ok := classifyPod(pod)
		if !ok {
			continue
		}
		if problem.reason == webserverv1alpha1.ReasonCrashLoop && r.PodLogs != nil {
			logs, err := r.PodLogs(ctx, pod.Namespace, pod.Name, resources.ContainerName)
			if err != nil {
				logf.FromContext(ctx).V(1).Info("Reading the log of a crashed container", "pod", pod.Name, "error", err.Error())
			}
			problem.nginxError = nginxErrorLine(logs)
		}
		s.pods = append(s.pods, problem)
	}
	return ctrl.Result{RequeueAfter: PodRecheckInterval}, nil
}

// classifyPod says why a pod cannot serve, if it is for a reason that waiting will not fix.
func classifyPod(pod *corev1.Pod) (podProblem, bool) {
	problem := podProblem{pod: pod.Name, configMap: podConfigMap(pod), image: podImage(pod), broken: true}
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name != resources.ContainerName || c.State.Waiting == nil {
			continue
		}
		w := c.State.Waiting
		switch {
		case w.Reason == "CrashLoopBackOff":
			problem.reason = webserverv1alpha1.ReasonCrashLoop
			problem.detail = "nginx keeps exiting (CrashLoopBackOff)"
			if t := c.LastTerminationState.Terminated; t != nil {
				problem.detail = fmt.Sprintf("nginx keeps exiting with code %d (CrashLoopBackOff)", t.ExitCode)
			}
			return problem, true
		case slices.Contains(imagePullReasons, w.Reason):
			problem.reason = webserverv1alpha1.ReasonImagePullFailed
			problem.detail = fmt.Sprintf("image %s cannot be pulled (%s)", c.Image, w.Reason)
			return problem, true
		case slices.Contains(containerStartReasons, w.Reason):
			problem.reason = webserverv1alpha1.ReasonPodsNotReady
			problem.detail = fmt.Sprintf("%s: %s", w.Reason, w.Message)
			return problem, true
		}
	}
	for _, c := range pod.Status.ContainerStatuses {
		if c.Name == resources.ContainerName && c.State.Running != nil && !c.Ready && pod.DeletionTimestamp.IsZero() &&
			time.Since(c.State.Running.StartedAt.Time) > notReadyGrace {
			problem.reason = webserverv1alpha1.ReasonPodsNotReady
			problem.detail = "runs, but its readiness probe keeps failing"
			return problem, true
		}
	}
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
			problem.reason = webserverv1alpha1.ReasonPodsNotReady
			problem.detail = "cannot be scheduled: " + c.Message
			problem.broken = false
			return problem, true
		}
	}
	return podProblem{}, false
}

// nginxProcessPrefix is the "<pid>#<tid>: " nginx puts after the level.
var nginxProcessPrefix = regexp.MustCompile(`^[0-9]+#[0-9]+: `)

// nginxErrorLine is the last "[emerg]" line nginx wrote, from the level on, without the
// timestamp and process ids, so the message stays the same across restarts.
func nginxErrorLine(logs string) string {
	lines := strings.Split(strings.TrimSpace(logs), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if at := strings.Index(lines[i], "[emerg]"); at >= 0 {
			rest := strings.TrimSpace(lines[i][at+len("[emerg]"):])
			return "[emerg] " + nginxProcessPrefix.ReplaceAllString(rest, "")
		}
	}
	return ""
}

func podImage(pod *corev1.Pod) string {
	for _, c := range pod.Spec.Containers {
		if c.Name == resources.ContainerName {
			return c.Image
		}
	}
	return ""
}

func podConfigMap(pod *corev1.Pod) string {
	for _, v := range pod.Spec.Volumes {
		if v.Name == resources.ConfigVolume && v.ConfigMap != nil {
			return v.ConfigMap.Name
		}
	}
	return ""
}

// summarizePods names the first pods with the most severe problem: the reason and message
// of a Degraded condition.
func summarizePods(problems []podProblem) (reason, message string) {
	if len(problems) == 0 {
		return "", ""
	}
	for _, want := range []string{webserverv1alpha1.ReasonCrashLoop, webserverv1alpha1.ReasonImagePullFailed, webserverv1alpha1.ReasonPodsNotReady} {
		var named []string
		count := 0
		for _, p := range problems {
			if p.reason == want {
				count++
				if len(named) < maxNamedPods {
					named = append(named, p.String())
				}
			}
		}
		if count == 0 {
			continue
		}
		message = strings.Join(named, "; ")
		if count > len(named) {
			message += fmt.Sprintf("; and %d more", count-len(named))
		}
		return want, message
	}
	return "", ""
}

// nginxRejected returns nginx's error when pods running the given config crash on it.
func nginxRejected(problems []podProblem, configMap string) string {
	for _, p := range problems {
		if p.nginxError != "" && p.configMap == configMap && strings.Contains(p.nginxError, resources.ConfigDir) {
			return p.nginxError
		}
	}
	return ""
}
