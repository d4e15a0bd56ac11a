package controller

import (
	"context"
	"fmt"
	"slices"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// specRevision is the revision the spec asks for, as reconcileConfig resolved it.
func specRevision(s *scope) revision {
	return revision{Image: s.image, ConfigHash: s.config.hash, ContentHash: s.config.contentHash,
		SecretHash: s.config.secretHash, RestartedAt: s.ws.Spec.RestartedAt}
}

// reconcileRevision decides what the Deployment runs. The spec's revision is checked with
// nginx -t before any serving pod gets it; while it rolls out, the health gate fails it
// when its new pods stay broken; a failed revision is replaced by the last good one
// (upgrade.autoRollback) and not tried again until the spec asks for another revision.
// Every decision is recorded in status.revisions, so it survives an operator restart.
func (r *WebServerReconciler) reconcileRevision(ctx context.Context, s *scope) (ctrl.Result, error) {
	if !s.config.valid {
		return ctrl.Result{}, nil
	}
	ws := s.ws
	// Status keeps whole seconds: a finer time would differ after every round trip.
	now := metav1.NewTime(time.Now().Truncate(time.Second))
	history := revisionHistory(slices.Clone(ws.Status.Revisions))
	out := &revisionOutcome{spec: specRevision(s)}
	s.revisions = out
	defer func() {
		keep := []string{out.spec.name(), ws.Status.LastGoodRevision}
		if deployed, ok := deploymentRevision(s.deployment); ok {
			keep = append(keep, deployed.name())
		}
		history.trim(keep...)
		ws.Status.Revisions = history
		if entry := history.find(out.spec.name()); entry != nil {
			out.entry = *entry
		}
	}()

	deployed, hasDeployed := deploymentRevision(s.deployment)
	rollout := observeRollout(s.deployment, false)
	if hasDeployed && rollout == rolloutComplete {
		// Every pod runs it and is available: also how pods an older operator version rolled
		// out are adopted.
		history.record(deployed, webserverv1alpha1.RevisionGood, "", "", now)
		ws.Status.LastGoodRevision = deployed.name()
	}

	spec := out.spec
	history.forgetUnchecked(spec.name())
	if history.find(spec.name()) == nil {
		switch {
		case hasDeployed && deployed == spec:
			history.record(spec, webserverv1alpha1.RevisionValid, webserverv1alpha1.ReasonValidated, "the pods ran it before it was checked", now)
		case history.passedCheck(spec):
			history.record(spec, webserverv1alpha1.RevisionValid, webserverv1alpha1.ReasonValidated, "nginx -t accepted the same image, config and content", now)
		default:
			history.record(spec, webserverv1alpha1.RevisionValidating, webserverv1alpha1.ReasonValidating, "", now)
		}
	}

	result := ctrl.Result{}
	if history.find(spec.name()).Phase == webserverv1alpha1.RevisionValidating {
		wait, err := r.checkConfig(ctx, s, spec, &history, out, now)
		if err != nil {
			return ctrl.Result{}, err
		}
		result.RequeueAfter = wait
	}
	collectAgain, err := r.collectConfigChecks(ctx, s, history)
	if err != nil {
		return ctrl.Result{}, err
	}
	result = lowestRequeue(result, ctrl.Result{RequeueAfter: collectAgain})

	if entry := history.find(spec.name()); entry.Phase == webserverv1alpha1.RevisionValid && hasDeployed && deployed == spec && rollout != rolloutComplete {
		failure, wait := healthGate(ws, s.deployment, rollout, brokenPodsOf(s.pods, ws, spec), now.Time)
		if failure != nil {
			history.record(spec, webserverv1alpha1.RevisionFailed, failure.reason, failure.message, now)
		} else if wait > 0 {
			result = lowestRequeue(result, ctrl.Result{RequeueAfter: wait})
		}
	}

	entry := history.find(spec.name())
	switch entry.Phase {
	case webserverv1alpha1.RevisionValidating, webserverv1alpha1.RevisionInvalid:
		// The Deployment is left as it is until nginx -t accepts the spec's revision.
	case webserverv1alpha1.RevisionFailed:
		r.decideRollback(ctx, s, out, &history, deployed, hasDeployed)
	default:
		target, runsCanary := canaryTarget(planCanary(ws, spec, entry, deployed, hasDeployed, rollout), spec, deployed)
		out.target, out.canary = &target, runsCanary
	}

	// Pods move only from a WebServer that holds the operator's own last status write: one
	// read from a lagging cache could undo a rollback. A history that changes without a
	// move needs no such read: the status write is locked to the version this pass read,
	// so a verdict a lagging cache lacks is never overwritten (the write fails and the
	// pass runs again). A user's edit newer than that write is acted on by the next pass,
	// as if it had come a moment later.
	moving := out.target != nil && (!hasDeployed || *out.target != deployed)
	if moving {
		fresh, err := r.cacheIsFresh(ctx, ws)
		if err != nil {
			return ctrl.Result{}, err
		}
		if !fresh {
			s.stale = true
			return ctrl.Result{}, nil
		}
	}
	// Told once the status recording them is written: a pass from a lagging cache tells nothing.
	s.afterStatus = append(s.afterStatus, out.notices...)
	if entry.Phase == webserverv1alpha1.RevisionInvalid {
		return result, blocked(webserverv1alpha1.ReasonConfigInvalid, "nginx -t refused the config of %s: %s; %s",
			spec, entry.Message, keptServing(deployed, hasDeployed))
	}
	return result, nil
}

// cacheIsFresh reports whether the cached WebServer holds this process's last status
// write: it is the version that write made, or the API server has no newer one.
func (r *WebServerReconciler) cacheIsFresh(ctx context.Context, ws *webserverv1alpha1.WebServer) (bool, error) {
	if r.written.holds(client.ObjectKeyFromObject(ws), ws.ResourceVersion) {
		return true, nil
	}
	live := &metav1.PartialObjectMetadata{}
	live.SetGroupVersionKind(webserverv1alpha1.GroupVersion.WithKind("WebServer"))
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(ws), live); err != nil {
		return false, client.IgnoreNotFound(fmt.Errorf("reading WebServer: %w", err))
	}
	return live.ResourceVersion == ws.ResourceVersion, nil
}

// keptServing says what serves while the spec's revision is refused.
func keptServing(deployed revision, hasDeployed bool) string {
	if !hasDeployed {
		return "no pod was created; fix the config"
	}
	return fmt.Sprintf("the pods keep running %s; fix the config", deployed)
}

// rolloutFailure is why the health gate failed a rollout.
type rolloutFailure struct {
	reason  string
	message string
}

// healthGate fails the rollout of the spec's revision when the Deployment passed its
// progress deadline, or when its new pods have been clearly broken (broken) with no
// progress for upgrade.failureThresholdSeconds. Otherwise wait says when to look again.
func healthGate(ws *webserverv1alpha1.WebServer, dep *appsv1.Deployment, rollout rolloutState, broken []podProblem,
	now time.Time) (*rolloutFailure, time.Duration) {
	reason, message := summarizePods(broken)
	if rollout == rolloutStalled {
		text := fmt.Sprintf("its pods did not become ready within the progress deadline of %ds", deadlineOf(ws))
		if message != "" {
			text += ": " + message
		}
		return &rolloutFailure{reason: webserverv1alpha1.ReasonProgressDeadlineExceeded, message: text}, 0
	}
	if len(broken) == 0 {
		return nil, 0
	}
	stuck := now.Sub(lastProgress(dep))
	if threshold := ws.FailureThreshold(); stuck < threshold {
		return nil, threshold - stuck
	}
	return &rolloutFailure{reason: reason, message: fmt.Sprintf("%s, with no progress for %ds", message, int(stuck.Seconds()))}, 0
}

// lastProgress is when the Deployment controller last saw the rollout move: the last
// update of its Progressing condition, the Deployment's creation before it has one.
func lastProgress(dep *appsv1.Deployment) time.Time {
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && !c.LastUpdateTime.IsZero() {
			return c.LastUpdateTime.Time
		}
	}
	return dep.CreationTimestamp.Time
}

// brokenPodsOf are the pods of rev that cannot serve for a reason waiting will not fix.
func brokenPodsOf(problems []podProblem, ws *webserverv1alpha1.WebServer, rev revision) []podProblem {
	var out []podProblem
	for _, p := range problems {
		if p.broken && p.image == rev.Image && p.configMap == rev.configMapName(ws) {
			out = append(out, p)
		}
	}
	return out
}

// decideRollback returns the pods to the last good revision after the spec's failed, when
// upgrade.autoRollback allows it and that revision's ConfigMaps still exist; otherwise the
// failure is reported and the Deployment keeps what it runs. A revision that failed its
// config check never reached a serving pod: there is nothing to return from.
func (r *WebServerReconciler) decideRollback(ctx context.Context, s *scope, out *revisionOutcome, history *revisionHistory,
	deployed revision, hasDeployed bool) {
	ws := s.ws
	entry := history.find(out.spec.name())
	if hasDeployed {
		out.target = &deployed
	}
	lastGood := history.find(ws.Status.LastGoodRevision)
	switch {
	case entry.Reason == webserverv1alpha1.ReasonCanaryFailed:
		// Announced when the canary was aborted; the stable pods never left their revision.
		out.notReverted = "its canary pods were removed and the stable pods were never touched"
		return
	case entry.Reason == webserverv1alpha1.ReasonValidationFailed:
		out.notReverted = "no serving pod got it"
	case !ws.AutoRollbackEnabled():
		out.notReverted = "spec.upgrade.autoRollback is false, so nothing was reverted"
	case lastGood == nil || lastGood.Name == out.spec.name():
		out.notReverted = "there is no earlier good revision to return to"
	default:
		if missing, err := r.missingConfigMap(ctx, ws, revisionOf(*lastGood)); err != nil || missing != "" {
			out.notReverted = fmt.Sprintf("the last good revision %s cannot be restored: its ConfigMap %s no longer exists", lastGood.Name, missing)
			if err != nil {
				out.notReverted = fmt.Sprintf("the last good revision %s cannot be restored: %v", lastGood.Name, err)
			}
			break
		}
		good := revisionOf(*lastGood)
		out.target, out.rollbackTo = &good, lastGood.DeepCopy()
	}

	if previous := revisionHistory(s.originalStatus.Revisions).find(out.spec.name()); previous != nil && previous.Phase == webserverv1alpha1.RevisionFailed {
		return
	}
	// The revision failed in this pass: tell users once.
	spec, message, notReverted, rollbackTo := out.spec, entry.Message, out.notReverted, out.rollbackTo
	out.notices = append(out.notices, func() {
		switch {
		case entry.Reason == webserverv1alpha1.ReasonValidationFailed:
			metrics.ConfigValidationsTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.ValidationError).Inc()
			r.announce(s, nil, corev1.EventTypeWarning, webserverv1alpha1.ReasonValidationFailed, "Validate",
				"%s could not be checked with nginx -t: %s; no serving pod got it", spec, message)
		case rollbackTo != nil:
			metrics.UpgradesTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.UpgradeRolledBack).Inc()
			r.announce(s, s.deployment, corev1.EventTypeWarning, webserverv1alpha1.ReasonRolledBack, "Rollback",
				"%s failed: %s; rolling back to %s", spec, message, revisionOf(*rollbackTo))
		default:
			metrics.UpgradesTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.UpgradeFailed).Inc()
			r.announce(s, s.deployment, corev1.EventTypeWarning, webserverv1alpha1.ReasonRolloutFailed, "Upgrade",
				"%s failed: %s; %s", spec, message, notReverted)
		}
	})
}

// missingConfigMap names a ConfigMap or secret snapshot the revision mounts that no
// longer exists.
func (r *WebServerReconciler) missingConfigMap(ctx context.Context, ws *webserverv1alpha1.WebServer, rev revision) (string, error) {
	names := []string{rev.configMapName(ws)}
	if rev.ContentHash != "" && ws.Spec.Content != nil {
		names = append(names, resources.ContentConfigMapName(ws, rev.ContentHash))
	}
	for _, name := range names {
		exists, err := r.ownedConfigMapExists(ctx, ws.Namespace, name)
		if err != nil {
			return "", err
		}
		if !exists {
			return name, nil
		}
	}
	if rev.SecretHash != "" {
		name := resources.SecretSnapshotName(ws, rev.SecretHash)
		exists, err := r.ownedSecretExists(ctx, ws.Namespace, name)
		if err != nil || !exists {
			return name, err
		}
	}
	return "", nil
}
