package main

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

func createNamespace(ctx context.Context, c client.Client, name string) error {
	return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
}

// playKubelet ends every pod that runs to completion (restartPolicy Never, such as the
// operator's nginx -t check pods) as succeeded: envtest has no kubelet. Serving pods are
// left alone (envtest has no Deployment controller either, so there are none). It watches
// pods as a kubelet does, so a large fleet is not listed over and over.
func playKubelet(ctx context.Context, c client.WithWatch) {
	for ctx.Err() == nil {
		w, err := c.Watch(ctx, &corev1.PodList{})
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		for event := range w.ResultChan() {
			pod, ok := event.Object.(*corev1.Pod)
			if !ok || (event.Type != watch.Added && event.Type != watch.Modified) {
				continue
			}
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
		w.Stop()
	}
}
