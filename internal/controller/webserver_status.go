package controller

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// patchStatus recomputes status from what this reconcile observed and writes it, once,
// only when it changed. It is server-side applied, so fields that went back to their zero
// value are removed rather than left behind as a merge patch would, with the resourceVersion
// as read as a precondition.
func (r *WebServerReconciler) patchStatus(ctx context.Context, s *scope, reconcileErr error) error {
	r.computeStatus(s, reconcileErr == nil)
	if equality.Semantic.DeepEqual(*s.originalStatus, s.ws.Status) {
		return nil
	}
	// A merge patch of what changed, which costs the API server less than applying the
	// whole status (a fleet converged with 12 % less API server CPU), under an optimistic
	// lock: status holds decisions (the revision history) that a pass reading an older
	// WebServer from the cache must not overwrite; it gets a conflict and runs again.
	before := s.ws.DeepCopy()
	before.Status = *s.originalStatus
	if err := r.Status().Patch(ctx, s.ws, client.MergeFromWithOptions(before, client.MergeFromWithOptimisticLock{}), client.FieldOwner(FieldOwner)); err != nil {
		return client.IgnoreNotFound(fmt.Errorf("patching status: %w", err))
	}
	r.written.record(client.ObjectKeyFromObject(s.ws), s.ws.ResourceVersion)
	return nil
}

// computeStatus fills status from the scope. observedGeneration advances only when the
// pass applied everything the spec asks for, so it never claims a spec was acted on when
// it was not; conditions about pods are recomputed only from an observed Deployment.
func (r *WebServerReconciler) computeStatus(s *scope, completed bool) {
	ws := s.ws
	st := &ws.Status
	if completed && s.blocked == nil {
		st.ObservedGeneration = ws.Generation
	}
	st.ReconciledBy = r.OperatorVersion
	st.TargetImage = s.image
	if s.config.hash != "" {
		st.ConfigHash = s.config.hash
	}
	st.Selector = resources.StablePodSelector(ws).String()
	st.URL = resources.ServiceURL(ws)
	if s.config.reason != "" {
		setConfigValidCondition(ws, s.config, s.pods, s.revisions)
	}
	setDegradedCondition(ws, s)
	setCertificateStatus(ws, s.tls)
	if !s.observed {
		return
	}

	rollout := observeRollout(s.deployment, s.templateChanged)
	reason := progressReason(s.originalStatus, s.deployment, rollout)
	st.Replicas, st.ReadyReplicas, st.UpdatedReplicas = 0, 0, 0
	if dep := s.deployment; dep != nil {
		st.Replicas = dep.Status.Replicas
		st.ReadyReplicas = dep.Status.ReadyReplicas
		st.UpdatedReplicas = dep.Status.UpdatedReplicas
		if rollout == rolloutComplete {
			st.CurrentImage = containerImage(dep)
			st.LastGoodImage = st.CurrentImage
			st.LastGoodConfigHash = configHashOf(mountedConfigMap(dep))
		}
	}
	setRevisionStatus(ws, s, rollout)
	setAvailableCondition(ws, s.deployment, s.serviceExists)
	setProgressingCondition(ws, rollout, reason, s)
	setUpgradeableCondition(ws, rollout, s.revisions)
}

// setRevisionStatus records which revision the Deployment runs and where the spec's stands.
func setRevisionStatus(ws *webserverv1alpha1.WebServer, s *scope, rollout rolloutState) {
	st := &ws.Status
	if deployed, ok := deploymentRevision(s.deployment); ok {
		st.UpdateRevision = deployed.name()
		if rollout == rolloutComplete {
			st.CurrentRevision = deployed.name()
		}
	}
	out := s.revisions
	if out == nil {
		if s.blocked != nil && s.blocked.reason == webserverv1alpha1.ReasonConfigInvalid {
			st.RolloutPhase = webserverv1alpha1.RolloutPhaseConfigInvalid
		}
		return
	}
	st.RolloutPhase = rolloutPhase(out, rollout, s.deployment)
}

// rolloutPhase sums up where the spec's revision stands.
func rolloutPhase(out *revisionOutcome, rollout rolloutState, dep *appsv1.Deployment) webserverv1alpha1.RolloutPhase {
	deployed, _ := deploymentRevision(dep)
	if out.canary {
		return webserverv1alpha1.RolloutPhaseCanary
	}
	switch out.entry.Phase {
	case webserverv1alpha1.RevisionValidating:
		return webserverv1alpha1.RolloutPhaseValidating
	case webserverv1alpha1.RevisionInvalid:
		return webserverv1alpha1.RolloutPhaseConfigInvalid
	case webserverv1alpha1.RevisionFailed:
		switch {
		case out.entry.Reason == webserverv1alpha1.ReasonCanaryFailed:
			return webserverv1alpha1.RolloutPhaseCanaryAborted
		case out.rollbackTo == nil:
			return webserverv1alpha1.RolloutPhaseFailed
		case rollout == rolloutComplete && deployed == revisionOf(*out.rollbackTo):
			return webserverv1alpha1.RolloutPhaseRolledBack
		default:
			return webserverv1alpha1.RolloutPhaseRollingBack
		}
	}
	if rollout == rolloutComplete && deployed == out.spec {
		return webserverv1alpha1.RolloutPhaseComplete
	}
	return webserverv1alpha1.RolloutPhaseRollingOut
}

// progressReason names what a running rollout does: the first rollout creates, one that
// changes image, config or restarts pods upgrades, anything else scales.
func progressReason(previous *webserverv1alpha1.WebServerStatus, dep *appsv1.Deployment, rollout rolloutState) string {
	switch {
	case rollout == rolloutStalled:
		return webserverv1alpha1.ReasonProgressDeadlineExceeded
	case rollout == rolloutComplete:
		return webserverv1alpha1.ReasonRolloutComplete
	case rollout == rolloutPaused:
		return webserverv1alpha1.ReasonDeploymentPaused
	case dep == nil || previous.LastGoodImage == "":
		return webserverv1alpha1.ReasonCreating
	case containerImage(dep) != previous.LastGoodImage,
		configHashOf(mountedConfigMap(dep)) != previous.LastGoodConfigHash,
		dep.Status.UpdatedReplicas < dep.Status.Replicas:
		return webserverv1alpha1.ReasonUpgrading
	default:
		return webserverv1alpha1.ReasonScaling
	}
}

func setCondition(ws *webserverv1alpha1.WebServer, condType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(&ws.Status.Conditions, metav1.Condition{
		Type:               condType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: ws.Generation,
	})
}

// setConfigValidCondition: the config is valid when it rendered and nginx did not refuse
// it in pods that run it.
func setConfigValidCondition(ws *webserverv1alpha1.WebServer, config configResult, pods []podProblem, revisions *revisionOutcome) {
	if !config.valid {
		setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, config.reason, config.message)
		return
	}
	if revisions != nil {
		entry := revisions.entry
		switch {
		case entry.Phase == webserverv1alpha1.RevisionValidating:
			setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionUnknown, webserverv1alpha1.ReasonValidating,
				fmt.Sprintf("nginx -t is checking %s", revisions.spec))
			return
		case entry.Phase == webserverv1alpha1.RevisionInvalid:
			setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonNginxRejectedConfig,
				fmt.Sprintf("nginx -t refused config %s: %s; fix %s", config.hash, entry.Message, config.source))
			return
		case entry.Reason == webserverv1alpha1.ReasonValidationFailed:
			setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionUnknown, webserverv1alpha1.ReasonValidationFailed,
				fmt.Sprintf("nginx -t could not run on %s: %s", revisions.spec, entry.Message))
			return
		}
	}
	if nginxError := nginxRejected(pods, config.configMapName); nginxError != "" {
		setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonNginxRejectedConfig,
			fmt.Sprintf("nginx refuses config %s: %s; fix spec.config", config.hash, nginxError))
		return
	}
	if revisions != nil && revisions.entry.Phase != "" {
		setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonValidated,
			fmt.Sprintf("nginx -t accepted config %s", config.hash))
		return
	}
	setCondition(ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, config.reason, config.message)
}

// setAvailableCondition: available while any pod serves behind the Service.
func setAvailableCondition(ws *webserverv1alpha1.WebServer, dep *appsv1.Deployment, serviceExists *bool) {
	switch {
	case dep == nil:
		setCondition(ws, webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonCreating,
			"the Deployment does not exist yet")
	case dep.Status.AvailableReplicas > 0 && serviceExists != nil && !*serviceExists:
		setCondition(ws, webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonServiceMissing,
			fmt.Sprintf("%d of %d pods available, but the Service in front of them does not exist (see Degraded)",
				dep.Status.AvailableReplicas, replicasOf(dep)))
	case dep.Status.AvailableReplicas > 0:
		setCondition(ws, webserverv1alpha1.ConditionAvailable, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable,
			fmt.Sprintf("%d of %d pods available", dep.Status.AvailableReplicas, replicasOf(dep)))
	case ws.Spec.Idle:
		setCondition(ws, webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonIdle,
			"scaled to zero by spec.idle; set it to false to serve again")
	default:
		setCondition(ws, webserverv1alpha1.ConditionAvailable, metav1.ConditionFalse, webserverv1alpha1.ReasonNoReplicasAvailable,
			fmt.Sprintf("0 of %d pods available", replicasOf(dep)))
	}
}

// setProgressingCondition: True only while pods move toward what the spec asks for; a pass
// that cannot apply the spec is not progressing, whatever the pods do.
func setProgressingCondition(ws *webserverv1alpha1.WebServer, rollout rolloutState, reason string, s *scope) {
	if b := s.blocked; b != nil {
		setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, b.reason,
			fmt.Sprintf("generation %d cannot be applied: %s", ws.Generation, b.message))
		return
	}
	podsSuffix := ""
	if _, message := summarizePods(s.pods); message != "" {
		podsSuffix = "; " + message
	}
	if out := s.revisions; out != nil {
		switch ws.Status.RolloutPhase {
		case webserverv1alpha1.RolloutPhaseValidating:
			setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonValidating,
				fmt.Sprintf("nginx -t is checking %s before any pod gets it", out.spec))
			return
		case webserverv1alpha1.RolloutPhaseCanary:
			setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonCanary,
				canaryProgressMessage(ws, out))
			return
		case webserverv1alpha1.RolloutPhaseCanaryAborted:
			setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonCanaryFailed,
				fmt.Sprintf("the canary of %s failed: %s; change the spec or spec.restartedAt to try again", out.spec, out.entry.Message))
			return
		case webserverv1alpha1.RolloutPhaseRollingBack:
			setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonRollingBack,
				fmt.Sprintf("returning the pods to %s: %d of %d pods updated, %d ready", revisionOf(*out.rollbackTo),
					ws.Status.UpdatedReplicas, ws.DesiredReplicas(), ws.Status.ReadyReplicas))
			return
		case webserverv1alpha1.RolloutPhaseRolledBack:
			setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolledBack,
				fmt.Sprintf("every pod runs %s again; change the spec or spec.restartedAt to try again", revisionOf(*out.rollbackTo)))
			return
		case webserverv1alpha1.RolloutPhaseFailed:
			reason := webserverv1alpha1.ReasonRolloutFailed
			if out.entry.Reason == webserverv1alpha1.ReasonValidationFailed {
				reason = webserverv1alpha1.ReasonValidationFailed
			}
			setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, reason,
				fmt.Sprintf("%s failed: %s%s", out.spec, out.entry.Message, podsSuffix))
			return
		}
	}
	switch rollout {
	case rolloutAbsent:
		setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, reason, "creating the Deployment")
	case rolloutComplete:
		setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, reason,
			fmt.Sprintf("every pod runs %s with config %s", ws.Status.CurrentImage, ws.Status.LastGoodConfigHash))
	case rolloutStalled:
		setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, reason,
			fmt.Sprintf("the rollout of %s made no progress within %ds%s", ws.Status.TargetImage, deadlineOf(ws), podsSuffix))
	case rolloutPaused:
		setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, reason,
			"the Deployment is paused; the operator resumes it")
	default:
		setCondition(ws, webserverv1alpha1.ConditionProgressing, metav1.ConditionTrue, reason,
			fmt.Sprintf("rolling out %s with config %s: %d of %d pods updated, %d ready%s",
				ws.Status.TargetImage, ws.Status.ConfigHash, ws.Status.UpdatedReplicas, ws.DesiredReplicas(), ws.Status.ReadyReplicas, podsSuffix))
	}
}

// setDegradedCondition: True, with a reason, whenever the web server runs below what its
// spec asks for or the spec cannot be applied.
func setDegradedCondition(ws *webserverv1alpha1.WebServer, s *scope) {
	if b := s.blocked; b != nil {
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, b.reason, b.message)
		return
	}
	if !s.observed {
		return
	}
	if out := s.revisions; out != nil && out.entry.Phase == webserverv1alpha1.RevisionFailed {
		setFailedRevisionCondition(ws, out)
		return
	}
	dep := s.deployment
	rollout := observeRollout(dep, s.templateChanged)
	podsReason, podsMessage := summarizePods(s.pods)
	switch {
	case rollout == rolloutStalled:
		message := fmt.Sprintf("new pods of %s did not become ready within %ds; the pods of %s keep serving; fix or revert spec.image or spec.config",
			ws.Status.TargetImage, deadlineOf(ws), ws.Status.LastGoodImage)
		if podsMessage != "" {
			message += "; " + podsMessage
		}
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonProgressDeadlineExceeded, message)
		return
	case podsReason != "":
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, podsReason, podsMessage)
		return
	}
	if dep != nil {
		for _, c := range dep.Status.Conditions {
			if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
				setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonReplicaFailure, c.Message)
				return
			}
		}
		if rollout == rolloutComplete && dep.Status.ReadyReplicas < replicasOf(dep) {
			setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonReplicasUnavailable,
				fmt.Sprintf("%d of %d pods ready", dep.Status.ReadyReplicas, replicasOf(dep)))
			return
		}
	}
	if s.contest != nil {
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonChildContested, s.contest.message)
		return
	}
	setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, "")
}

// setFailedRevisionCondition: Degraded names the failed revision, why it failed, and what
// serves instead.
func setFailedRevisionCondition(ws *webserverv1alpha1.WebServer, out *revisionOutcome) {
	switch {
	case out.entry.Reason == webserverv1alpha1.ReasonCanaryFailed:
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonCanaryFailed,
			fmt.Sprintf("the canary of %s failed: %s; %s; it is not tried again until the spec or spec.restartedAt changes",
				out.spec, out.entry.Message, out.notReverted))
	case out.entry.Reason == webserverv1alpha1.ReasonValidationFailed:
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonValidationFailed,
			fmt.Sprintf("nginx -t could not run on %s: %s; no serving pod got it; fix spec.image or change spec.restartedAt to try again",
				out.spec, out.entry.Message))
	case out.rollbackTo != nil:
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolledBack,
			fmt.Sprintf("%s failed (%s): %s; rolled back to %s; it is not tried again until the spec or spec.restartedAt changes",
				out.spec, out.entry.Reason, out.entry.Message, revisionOf(*out.rollbackTo)))
	default:
		setCondition(ws, webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonRolloutFailed,
			fmt.Sprintf("%s failed (%s): %s; %s", out.spec, out.entry.Reason, out.entry.Message, out.notReverted))
	}
}

// setUpgradeableCondition asks OLM to hold operator upgrades only while pods actually move
// within the rollout's deadline, or a new revision is being checked (bounded by the check's
// deadline): a WebServer that cannot start, a stalled, paused or failed
// rollout that is not being rolled back, or pods failing after a finished rollout never
// hold them.
func setUpgradeableCondition(ws *webserverv1alpha1.WebServer, rollout rolloutState, revisions *revisionOutcome) {
	failedInPlace := revisions != nil && revisions.entry.Phase == webserverv1alpha1.RevisionFailed && revisions.rollbackTo == nil
	checking := revisions != nil && revisions.entry.Phase == webserverv1alpha1.RevisionValidating
	if (rollout == rolloutProgressing && !failedInPlace) || checking {
		setCondition(ws, webserverv1alpha1.ConditionUpgradeable, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutInProgress,
			"a rollout is in progress; upgrade the operator after it completes")
		return
	}
	setCondition(ws, webserverv1alpha1.ConditionUpgradeable, metav1.ConditionTrue, webserverv1alpha1.ReasonAsExpected, "")
}

// recordBlocked tells users, once per new cause, that a pass could not apply the spec.
func (r *WebServerReconciler) recordBlocked(s *scope) {
	b := s.blocked
	if b == nil || b.reason == webserverv1alpha1.ReasonReconcileFailed {
		return
	}
	if previous := meta.FindStatusCondition(s.originalStatus.Conditions, webserverv1alpha1.ConditionDegraded); previous != nil &&
		previous.Reason == b.reason && previous.Message == b.message {
		return
	}
	r.announce(s, nil, corev1.EventTypeWarning, b.reason, "Reconcile", "%s", b.message)
}

func deadlineOf(ws *webserverv1alpha1.WebServer) int32 {
	if d := ws.Spec.Upgrade.ProgressDeadlineSeconds; d != nil {
		return *d
	}
	return 600
}

// canaryProgressMessage says where the running canary stands and how its last analysis went.
func canaryProgressMessage(ws *webserverv1alpha1.WebServer, out *revisionOutcome) string {
	st := ws.Status.Canary
	if st == nil || st.Revision != out.spec.name() {
		return fmt.Sprintf("starting canary pods of %s", out.spec)
	}
	text := fmt.Sprintf("canary of %s: %s", out.spec, st.Message)
	if st.LastAnalysis != nil {
		text += "; last analysis " + st.LastAnalysis.Outcome + ": " + st.LastAnalysis.Message
	}
	return text
}
