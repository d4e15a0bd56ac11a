package harness

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// PlayKubelet stands in for the kubelet envtest lacks: every pod that runs to completion
// (restartPolicy Never, such as the operator's nginx -t check pods) ends as succeeded and,
// when serving is set, every other pod runs and turns ready, so Deployments roll out. It
// watches pods as a kubelet does, so a large fleet is not listed over and over. It returns
// when ctx ends.
func PlayKubelet(ctx context.Context, c client.WithWatch, serving bool) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, &corev1.PodList{})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for event := range w.ResultChan() {
			pod, ok := event.Object.(*corev1.Pod)
			if !ok || (event.Type != watch.Added && event.Type != watch.Modified) || !pod.DeletionTimestamp.IsZero() {
				continue
			}
			switch {
			case pod.Spec.RestartPolicy == corev1.RestartPolicyNever:
				if pod.Status.Phase != "" && pod.Status.Phase != corev1.PodPending {
					continue
				}
				complete(pod)
			case serving:
				if pod.Status.Phase == corev1.PodRunning {
					continue
				}
				run(pod)
			default:
				continue
			}
			_ = c.Status().Update(ctx, pod)
		}
		w.Stop()
	}
}

func complete(pod *corev1.Pod) {
	now := metav1.Now()
	pod.Status.Phase = corev1.PodSucceeded
	pod.Status.ContainerStatuses = nil
	for _, container := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: container.Name, Image: container.Image,
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
				Reason: "Completed", StartedAt: now, FinishedAt: now,
			}},
		})
	}
}

func run(pod *corev1.Pod) {
	now := metav1.Now()
	pod.Status.Phase = corev1.PodRunning
	pod.Status.StartTime = &now
	pod.Status.Conditions = nil
	for _, t := range []corev1.PodConditionType{corev1.PodScheduled, corev1.PodInitialized, corev1.ContainersReady, corev1.PodReady} {
		pod.Status.Conditions = append(pod.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: now})
	}
	pod.Status.ContainerStatuses = nil
	for _, container := range pod.Spec.Containers {
		pod.Status.ContainerStatuses = append(pod.Status.ContainerStatuses, corev1.ContainerStatus{
			Name: container.Name, Image: container.Image, Ready: true, Started: ptr.To(true),
			State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: now}},
		})
	}
}
