package main

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func createNamespace(ctx context.Context, c client.Client, name string) error {
	return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// playKubelet ends every pod that runs to completion (restartPolicy Never, such as the
// operator's nginx -t check pods) as succeeded: envtest has no kubelet. Serving pods are
// left alone (envtest has no Deployment controller either, so there are none).
func playKubelet(ctx context.Context, c client.Client) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond):
		}
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods); err != nil {
			continue
		}
		for i := range pods.Items {
			pod := &pods.Items[i]
			ended := pod.Status.Phase != "" && pod.Status.Phase != corev1.PodPending
			if pod.Spec.RestartPolicy != corev1.RestartPolicyNever || ended || !pod.DeletionTimestamp.IsZero() {
				continue
			}
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
			_ = c.Status().Update(ctx, pod)
		}
	}
}
