package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// orphanedCheckAge is when a config check pod whose revision the status does not hold (the
// spec moved on before its check was recorded, or a crash came between the two) is removed,
// finished or not: by then the status of the pass that created it is long visible, and a
// check takes seconds.
const orphanedCheckAge = time.Minute

// checkVerdict is what a config check pod says about a revision.
type checkVerdict int

const (
	checkPending checkVerdict = iota
	checkPassed
	// checkRefused: nginx -t ran and refused the config.
	checkRefused
	// checkFailed: nginx -t could not run (image, container, deadline).
	checkFailed
)

// configCheckVerdict reads a config check pod's status. A pod that cannot pull its image
// or create its container fails the check once that lasted threshold (wait says how long
// is left); a transient pull error shorter than that is waited out.
func configCheckVerdict(pod *corev1.Pod, now time.Time, threshold time.Duration) (verdict checkVerdict, detail string, wait time.Duration) {
	var container *corev1.ContainerStatus
	for i := range pod.Status.ContainerStatuses {
		if pod.Status.ContainerStatuses[i].Name == resources.ContainerName {
			container = &pod.Status.ContainerStatuses[i]
		}
	}
	switch pod.Status.Phase {
	case corev1.PodSucceeded:
		return checkPassed, "", 0
	case corev1.PodFailed:
		if container != nil && container.State.Terminated != nil {
			t := container.State.Terminated
			if line := nginxErrorLine(t.Message); line != "" {
				return checkRefused, line, 0
			}
			return checkFailed, fmt.Sprintf("nginx -t exited with code %d: %s", t.ExitCode, lastLine(t.Message)), 0
		}
		if pod.Status.Reason == "DeadlineExceeded" {
			return checkFailed, fmt.Sprintf("nginx -t did not finish within %ds", resources.ConfigCheckDeadlineSeconds), 0
		}
		return checkFailed, fmt.Sprintf("the config check pod failed: %s %s", pod.Status.Reason, pod.Status.Message), 0
	}
	// The pod's own deadline starts only once a node runs it: this one also bounds the wait
	// for a node.
	age := now.Sub(pod.CreationTimestamp.Time)
	deadline := time.Duration(resources.ConfigCheckDeadlineSeconds) * time.Second
	if container == nil || container.State.Waiting == nil ||
		!slices.Contains(slices.Concat(imagePullReasons, containerStartReasons), container.State.Waiting.Reason) {
		if age < deadline {
			return checkPending, "", deadline - age
		}
		detail = fmt.Sprintf("nginx -t did not finish within %ds", resources.ConfigCheckDeadlineSeconds)
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse {
				detail += ": the config check pod cannot be scheduled: " + c.Message
			}
		}
		return checkFailed, detail, 0
	}
	w := container.State.Waiting
	problem := fmt.Sprintf("the container cannot start (%s)", w.Reason)
	if slices.Contains(imagePullReasons, w.Reason) {
		problem = fmt.Sprintf("image %s cannot be pulled (%s)", container.Image, w.Reason)
	}
	if w.Message != "" {
		problem += ": " + w.Message
	}
	if age < threshold {
		return checkPending, problem, threshold - age
	}
	return checkFailed, problem, 0
}

func lastLine(text string) string {
	lines := strings.Split(strings.TrimSpace(text), "\n")
	return lines[len(lines)-1]
}

// checkConfig runs nginx -t on the spec's revision in a config check pod and records the
// verdict in the revision history. It returns how long to wait before looking again when
// only the clock can change the verdict; otherwise the pod's events wake the reconcile.
func (r *WebServerReconciler) checkConfig(ctx context.Context, s *scope, rev revision, history *revisionHistory,
	out *revisionOutcome, now metav1.Time) (time.Duration, error) {
	ws := s.ws
	name := resources.ConfigCheckPodName(ws, rev.name())
	pod := &corev1.Pod{}
	err := r.Get(ctx, types.NamespacedName{Namespace: ws.Namespace, Name: name}, pod)
	switch {
	case apierrors.IsNotFound(err):
		logf.FromContext(ctx).Info("Checking a new revision with nginx -t", "revision", rev.name(), "pod", name)
		desired := resources.ConfigCheckPod(ws, rev.name(), rev.workloadInputs(ws, resources.CurrentTemplateFormat))
		return 0, r.createOnce(ctx, ws, desired, &corev1.Pod{})
	case err != nil:
		return 0, fmt.Errorf("reading config check pod %s: %w", name, err)
	}

	verdict, detail, wait := configCheckVerdict(pod, now.Time, ws.FailureThreshold())
	switch verdict {
	case checkPending:
		return wait, nil
	case checkPassed:
		took := checkDuration(pod, now.Time)
		history.record(rev, webserverv1alpha1.RevisionValid, webserverv1alpha1.ReasonValidated, "nginx -t accepted the config", now)
		out.notices = append(out.notices, func() {
			metrics.ConfigValidationsTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.ValidationValid).Inc()
			r.announce(s, pod, corev1.EventTypeNormal, webserverv1alpha1.ReasonValidated, "Validate", "nginx -t accepted %s in %s", rev, took)
		})
	case checkRefused:
		history.record(rev, webserverv1alpha1.RevisionInvalid, webserverv1alpha1.ReasonNginxRejectedConfig, s.config.explain(detail), now)
		out.notices = append(out.notices, func() {
			metrics.ConfigValidationsTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.ValidationInvalid).Inc()
		})
	case checkFailed:
		// Counted and told by decideRollback, which handles every failed revision.
		history.record(rev, webserverv1alpha1.RevisionFailed, webserverv1alpha1.ReasonValidationFailed, detail, now)
	}
	return 0, nil
}

// checkDuration is how long a finished config check took, from its pod's creation.
func checkDuration(pod *corev1.Pod, now time.Time) time.Duration {
	end := now
	for _, c := range pod.Status.ContainerStatuses {
		if t := c.State.Terminated; t != nil && !t.FinishedAt.IsZero() {
			end = t.FinishedAt.Time
		}
	}
	return end.Sub(pod.CreationTimestamp.Time).Round(100 * time.Millisecond)
}

// collectConfigChecks deletes config check pods whose verdict the WebServer's status, as
// read, already holds: deleting one earlier could let a pass that reads an older status
// from the cache check the same revision again. A pod whose verdict only this pass
// decided is collected by a pass soon after, once the status is written; nothing else
// might wake one up. It returns when that pass should run.
func (r *WebServerReconciler) collectConfigChecks(ctx context.Context, s *scope, decided revisionHistory) (time.Duration, error) {
	pods := &corev1.PodList{}
	if err := r.List(ctx, pods, client.InNamespace(s.ws.Namespace), client.MatchingFields{controllerIndex: s.ws.Name},
		client.MatchingLabels(resources.ConfigCheckLabels())); err != nil {
		return 0, fmt.Errorf("listing config check pods: %w", err)
	}
	var again time.Duration
	recorded := revisionHistory(s.originalStatus.Revisions)
	for i := range pods.Items {
		pod := &pods.Items[i]
		if !metav1.IsControlledBy(pod, s.ws) || !pod.DeletionTimestamp.IsZero() {
			continue
		}
		entry := recorded.find(pod.Labels[resources.LabelRevision])
		age := time.Since(pod.CreationTimestamp.Time)
		switch {
		case entry != nil && entry.Phase != webserverv1alpha1.RevisionValidating:
		case entry == nil && age > orphanedCheckAge:
			// Its revision left the history, or never made it there.
		case entry == nil:
			// Nothing else would wake a pass up for it.
			again = sooner(again, orphanedCheckAge-age+time.Second)
			continue
		default:
			if now := decided.find(pod.Labels[resources.LabelRevision]); now != nil && now.Phase != webserverv1alpha1.RevisionValidating {
				again = sooner(again, StaleCacheRetry)
			}
			continue
		}
		logf.FromContext(ctx).V(1).Info("Deleting a config check pod", "pod", pod.Name)
		if err := r.Delete(ctx, pod, client.Preconditions{UID: &pod.UID}); err != nil && !apierrors.IsNotFound(err) {
			return 0, fmt.Errorf("deleting config check pod %s: %w", pod.Name, err)
		}
	}
	return again, nil
}

// sooner is the shorter of two requeue delays, zero meaning none.
func sooner(a, b time.Duration) time.Duration {
	if a == 0 || (b > 0 && b < a) {
		return b
	}
	return a
}
