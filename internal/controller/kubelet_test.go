package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// Markers the config check stand-in reacts to.
const (
	// invalidDirective in a server block makes nginx -t refuse it.
	invalidDirective = "invalid_directive"
	// missingImageMarker in an image name makes its pull fail.
	missingImageMarker = "does-not-exist"
)

// runConfigCheckKubelet plays the kubelet for config check pods, which envtest cannot
// run: it ends each new one as nginx -t would end on its config. nginx refuses a config
// that holds invalidDirective, naming the line of nginx.conf as nginx does; an image whose
// name holds missingImageMarker waits in ErrImagePull. Everything else passes.
func runConfigCheckKubelet(ctx context.Context, c client.Client) {
	ticker := time.NewTicker(50 * time.Millisecond)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods, client.MatchingLabels(resources.ConfigCheckLabels())); err != nil {
			continue
		}
		for i := range pods.Items {
			pod := &pods.Items[i]
			if len(pod.Status.ContainerStatuses) > 0 || !pod.DeletionTimestamp.IsZero() {
				continue
			}
			if err := endConfigCheck(ctx, c, pod); err != nil {
				continue
			}
		}
	}
}

func endConfigCheck(ctx context.Context, c client.Client, pod *corev1.Pod) error {
	container := pod.Spec.Containers[0]
	status := corev1.ContainerStatus{Name: container.Name, Image: container.Image}
	now := metav1.Now()
	switch {
	case strings.Contains(container.Image, missingImageMarker):
		pod.Status.Phase = corev1.PodPending
		status.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "manifest unknown"}
	default:
		message, err := nginxCheck(ctx, c, pod)
		if err != nil {
			return err
		}
		pod.Status.Phase = corev1.PodSucceeded
		terminated := &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed", FinishedAt: now}
		if message != "" {
			pod.Status.Phase = corev1.PodFailed
			terminated.ExitCode, terminated.Reason, terminated.Message = 1, "Error", message
		}
		status.State.Terminated = terminated
	}
	pod.Status.ContainerStatuses = []corev1.ContainerStatus{status}
	return c.Status().Update(ctx, pod)
}

// nginxCheck is what nginx -t writes on the mounted config: nothing when it passes.
func nginxCheck(ctx context.Context, c client.Client, pod *corev1.Pod) (string, error) {
	var configMap string
	for _, v := range pod.Spec.Volumes {
		if v.Name == resources.ConfigVolume && v.ConfigMap != nil {
			configMap = v.ConfigMap.Name
		}
	}
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, types.NamespacedName{Namespace: pod.Namespace, Name: configMap}, cm); err != nil {
		return "", err
	}
	for i, line := range strings.Split(cm.Data[resources.NginxConfKey], "\n") {
		if strings.Contains(line, invalidDirective) {
			return fmt.Sprintf("nginx: [emerg] unknown directive %q in %s:%d\nnginx: configuration file %s test failed\n",
				invalidDirective, resources.ConfigFile, i+1, resources.ConfigFile), nil
		}
	}
	return "", nil
}
