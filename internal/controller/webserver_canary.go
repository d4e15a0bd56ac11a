package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/canary"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// canaryStartRecheck is how often a canary whose pods are not all ready is looked at.
const canaryStartRecheck = 5 * time.Second

// latencyTolerance is the resolution of the duration histogram around usual latencies:
// p95 differences below it are noise, never a failed canary.
const latencyTolerance = 25 * time.Millisecond

// reconcileCanary runs the canary of the spec's revision (strategy Canary): it applies the
// canary Deployment, judges its pods against the stable ones every interval, and promotes
// (the stable Deployment then rolls to the revision) or aborts (the canary pods go, the
// revision fails). Without a canary to run it removes the canary Deployment, once a
// promotion no longer needs its pods.
func (r *WebServerReconciler) reconcileCanary(ctx context.Context, s *scope) (ctrl.Result, error) {
	ws, out := s.ws, s.revisions
	if !s.config.valid || out == nil {
		return ctrl.Result{}, nil
	}
	observed := &appsv1.Deployment{}
	if err := r.getOptional(ctx, resources.CanaryDeploymentName(ws), ws.Namespace, observed); err != nil {
		return ctrl.Result{}, err
	}
	dep := nilIfAbsentDeployment(observed)
	now := metav1.NewTime(time.Now().Truncate(time.Second))

	if out.canary {
		return r.runCanary(ctx, s, dep, now)
	}
	if st := ws.Status.Canary; st != nil && canaryActive(st.Phase) {
		promoting := st.Phase == webserverv1alpha1.CanaryPromoting && st.Revision == out.spec.name()
		switch {
		case promoting && out.entry.Phase == webserverv1alpha1.RevisionFailed:
			// The health gate failed the promoted revision's rollout: the canary ran it too.
			endCanary(ws, webserverv1alpha1.CanaryAborted, "the rollout of the promoted revision failed: "+out.entry.Message)
		case promoting:
			if deployed, ok := deploymentRevision(s.deployment); !ok || deployed != out.spec || observeRollout(s.deployment, s.templateChanged) != rolloutComplete {
				// The canary pods serve until every stable pod runs their revision.
				return ctrl.Result{}, nil
			}
			endCanary(ws, webserverv1alpha1.CanaryPromoted, "every pod runs the canary's revision")
		default:
			endCanary(ws, webserverv1alpha1.CanaryStopped, canaryStopReason(ws, st, out))
		}
	}
	r.canaryWindows.forget(client.ObjectKeyFromObject(ws))
	return ctrl.Result{}, r.deleteCanaryDeployment(ctx, ws, dep)
}

// endCanary records the end of the running canary in status.
func endCanary(ws *webserverv1alpha1.WebServer, phase webserverv1alpha1.CanaryPhase, message string) {
	ws.Status.Canary = ws.Status.Canary.DeepCopy()
	ws.Status.Canary.Phase, ws.Status.Canary.Message = phase, message
}

// stopCanaryWhenBlocked stops a running canary when the pass cannot apply the spec before
// deciding about it (a missing ConfigMap or Secret, a config nginx -t refused): its
// revision is no longer what the spec asks for, and it must not keep a share of the
// traffic unjudged while the spec cannot be applied.
func (r *WebServerReconciler) stopCanaryWhenBlocked(ctx context.Context, s *scope) {
	st := s.ws.Status.Canary
	if st == nil || !canaryActive(st.Phase) || st.Phase == webserverv1alpha1.CanaryPromoting ||
		(s.revisions != nil && s.revisions.spec.name() == st.Revision) {
		return
	}
	endCanary(s.ws, webserverv1alpha1.CanaryStopped, canaryStopReason(s.ws, st, s.revisions)+": "+s.blocked.message)
	r.canaryWindows.forget(client.ObjectKeyFromObject(s.ws))
	s.afterStatus = append(s.afterStatus, func() { r.removeEndedCanary(ctx, s.ws) })
}

// removeEndedCanary deletes the canary Deployment once the status that ended the canary
// was written; should it fail, the next pass, which sees the canary ended, deletes it.
func (r *WebServerReconciler) removeEndedCanary(ctx context.Context, ws *webserverv1alpha1.WebServer) {
	dep := &appsv1.Deployment{}
	err := r.getOptional(ctx, resources.CanaryDeploymentName(ws), ws.Namespace, dep)
	if err == nil {
		err = r.deleteCanaryDeployment(ctx, ws, nilIfAbsentDeployment(dep))
	}
	if err != nil {
		logf.FromContext(ctx).Error(err, "Deleting the canary Deployment of an ended canary")
	}
}

// runCanary keeps the canary pods of the spec's revision running and, while they are all
// ready, judges them every interval; canary pods that stay broken abort the canary.
func (r *WebServerReconciler) runCanary(ctx context.Context, s *scope, dep *appsv1.Deployment, now metav1.Time) (ctrl.Result, error) {
	ws, spec := s.ws, s.revisions.spec
	settings := ws.CanarySettings()
	st := canaryStatusFor(ws.Status.Canary, spec, *settings.Analyses, now)
	ws.Status.Canary = st

	var observed client.Object
	if dep != nil {
		observed = dep
	} else if fresh, err := r.cacheIsFresh(ctx, ws); err != nil || !fresh {
		// A WebServer read before the operator's own last status write may not show that
		// this canary ended: it must not start its pods again.
		s.stale = !fresh
		return ctrl.Result{}, err
	}
	desired := resources.CanaryDeployment(ws, s.workloadInputs(spec, s.templateFormat), *settings.Replicas)
	outcome, err := r.applyChild(ctx, s, desired, observed, st.Phase != webserverv1alpha1.CanaryStarting)
	if err != nil {
		return ctrl.Result{}, err
	}
	templateChanged := false
	if outcome.applied {
		applied := &appsv1.Deployment{}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(outcome.object.Object, applied); err != nil {
			return ctrl.Result{}, fmt.Errorf("reading applied canary Deployment: %w", err)
		}
		templateChanged = dep == nil || templateInputs(dep) != templateInputs(applied)
		if dep == nil {
			r.announce(s, nil, corev1.EventTypeNormal, "CanaryStarted", "Canary",
				"Started %d canary pods of %s next to the stable pods", *settings.Replicas, spec)
		}
		dep = applied
	}

	if rollout := observeRollout(dep, templateChanged); rollout != rolloutComplete {
		// Analyses wait while canary pods are missing; the health gate ends a wait that
		// waiting will not end.
		return r.watchCanaryPods(ctx, s, dep, rollout, now)
	}
	if st.Phase == webserverv1alpha1.CanaryStarting {
		st.Phase = webserverv1alpha1.CanaryAnalyzing
		st.Message = fmt.Sprintf("0 of %d analyses passed", st.RequiredAnalyses)
	}
	return r.analyzeCanary(ctx, s, settings, now)
}

// watchCanaryPods aborts a canary whose pods stay broken (crash loop, image that cannot
// be pulled, readiness that keeps failing) for upgrade.failureThresholdSeconds or miss
// the progress deadline, as the health gate fails a rollout.
func (r *WebServerReconciler) watchCanaryPods(ctx context.Context, s *scope, dep *appsv1.Deployment, rollout rolloutState,
	now metav1.Time) (ctrl.Result, error) {
	var broken []podProblem
	if dep.Status.Replicas > dep.Status.ReadyReplicas || rollout == rolloutStalled {
		_, pods, err := r.listServingPods(ctx, s.ws)
		if err != nil {
			return ctrl.Result{}, err
		}
		for i := range pods {
			if pods[i].Labels[resources.LabelCanary] != "true" {
				continue
			}
			if problem, ok := classifyPod(&pods[i]); ok && problem.broken {
				broken = append(broken, problem)
			}
		}
	}
	failure, wait := healthGate(s.ws, dep, rollout, broken, now.Time)
	if failure != nil {
		return ctrl.Result{}, r.abortCanary(ctx, s, "its pods did not become ready: "+failure.message, now)
	}
	if wait <= 0 || wait > canaryStartRecheck {
		wait = canaryStartRecheck
	}
	return ctrl.Result{RequeueAfter: wait}, nil
}

// analyzeCanary ends the open analysis window when its interval passed: it judges what
// the canary and the stable pods answered in it, moves the canary on, and opens the next
// window by reading every pod's metrics and sending the synthetic requests. Without an
// open window (a new canary, an operator restart) it only opens one.
func (r *WebServerReconciler) analyzeCanary(ctx context.Context, s *scope, settings webserverv1alpha1.CanarySpec,
	now metav1.Time) (ctrl.Result, error) {
	ws, st := s.ws, s.ws.Status.Canary
	interval := time.Duration(*settings.IntervalSeconds) * time.Second
	key := client.ObjectKeyFromObject(ws)
	approved := ws.Annotations[webserverv1alpha1.AnnotationApproveCanary] == st.Revision
	open := r.canaryWindows.get(key, st.Revision)
	if open != nil {
		if left := time.Until(open.start.Add(interval)); left > 0 {
			if st.Phase == webserverv1alpha1.CanaryAwaitingApproval && approved {
				return r.promoteCanary(ctx, s)
			}
			return ctrl.Result{RequeueAfter: left}, nil
		}
	}

	pods, _, err := r.listServingPods(ctx, ws)
	if err != nil {
		return ctrl.Result{}, err
	}
	traffic := r.traffic()
	samples, unread := traffic.scrape(ctx, append(append([]*corev1.Pod{}, pods.canary...), pods.stable...))
	if open != nil {
		verdict, analysis := judgeWindow(open, samples, unread, pods, settings, now)
		st.LastAnalysis = analysis
		metrics.CanaryAnalysesTotal.WithLabelValues(ws.Namespace, ws.Name, strings.ToLower(string(verdict.Outcome))).Inc()
		logf.FromContext(ctx).Info("Canary analysis", "revision", st.Revision, "outcome", verdict.Outcome, "message", verdict.Message)
		switch applyVerdict(st, verdict, settings.ManualApproval, approved) {
		case stepAbort:
			return ctrl.Result{}, r.abortCanary(ctx, s, st.Message, now)
		case stepPromote:
			return r.promoteCanary(ctx, s)
		}
	}
	r.canaryWindows.set(key, &canaryWindow{
		revision:  st.Revision,
		start:     time.Now(),
		samples:   samples,
		synthetic: traffic.check(ctx, ws, settings.CheckPath, pods),
	})
	return ctrl.Result{RequeueAfter: interval}, nil
}

// judgeWindow compares what the canary and the stable pods answered since the window
// opened. A canary pod whose metrics cannot be read makes the window inconclusive.
func judgeWindow(open *canaryWindow, samples map[string]canary.Sample, unread []string, pods servingPods,
	settings webserverv1alpha1.CanarySpec, now metav1.Time) (canary.Verdict, *webserverv1alpha1.CanaryAnalysis) {
	canaryWindow := canary.Measure(windowOf(samples, open.samples, pods.canary))
	stableWindow := canary.Measure(windowOf(samples, open.samples, pods.stable))
	thresholds := canary.Thresholds{
		MinRequests:      int64(*settings.MinRequests),
		MaxErrorRatio:    float64(*settings.MaxErrorRatioPercent) / 100,
		ErrorRatioMargin: float64(*settings.ErrorRatioMarginPercent) / 100,
		MaxP95:           time.Duration(*settings.MaxLatencyP95Milliseconds) * time.Millisecond,
		LatencyMargin:    float64(*settings.LatencyMarginPercent) / 100,
		LatencyTolerance: latencyTolerance,
	}
	verdict := canary.Judge(canaryWindow, stableWindow, open.synthetic, thresholds)
	if verdict.Outcome == canary.Failed {
		// What failed stands, whatever else the window lacks.
	} else if len(pods.canary) == 0 {
		verdict = canary.Verdict{Outcome: canary.Inconclusive, Message: "no canary pod was ready at the end of the window"}
	} else if missing := unreadCanaryPods(unread, pods.canary); len(missing) > 0 {
		verdict = canary.Verdict{Outcome: canary.Inconclusive, Message: "the metrics of canary pods could not be read: " + strings.Join(missing, ", ")}
	}
	return verdict, &webserverv1alpha1.CanaryAnalysis{
		Time:              now,
		Outcome:           string(verdict.Outcome),
		Canary:            requestStats(canaryWindow),
		Stable:            requestStats(stableWindow),
		SyntheticRequests: int32(open.synthetic.Sent),
		SyntheticFailures: int32(open.synthetic.Failed),
		Message:           verdict.Message,
	}
}

func unreadCanaryPods(unread []string, canaryPods []*corev1.Pod) []string {
	var out []string
	for _, failure := range unread {
		for _, pod := range canaryPods {
			if strings.HasPrefix(failure, pod.Name+" ") {
				out = append(out, failure)
			}
		}
	}
	return out
}

func requestStats(m canary.Measurement) webserverv1alpha1.RequestStats {
	stats := webserverv1alpha1.RequestStats{
		Requests:   m.Requests,
		Errors:     m.Errors,
		ErrorRatio: fmt.Sprintf("%.2f%%", 100*m.ErrorRatio()),
	}
	if m.Requests > 0 {
		stats.LatencyP95 = m.P95.String()
	}
	return stats
}

// promoteCanary records the promotion; the next pass, started by the status write, rolls
// the stable Deployment to the canary's revision while the canary pods keep serving.
func (r *WebServerReconciler) promoteCanary(ctx context.Context, s *scope) (ctrl.Result, error) {
	ws, st := s.ws, s.ws.Status.Canary
	if fresh, err := r.cacheIsFresh(ctx, ws); err != nil || !fresh {
		s.stale = !fresh
		return ctrl.Result{}, err
	}
	promotionStep(st, false, true)
	r.canaryWindows.forget(client.ObjectKeyFromObject(ws))
	spec, passed, summary := s.revisions.spec, st.PassedAnalyses, lastAnalysisSummary(st)
	s.afterStatus = append(s.afterStatus, func() {
		metrics.UpgradesTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.UpgradeCanaryPromoted).Inc()
		r.announce(s, nil, corev1.EventTypeNormal, "CanaryPromoted", "Promote",
			"The canary of %s passed %d analyses (%s); rolling every pod to it", spec, passed, summary)
	})
	return ctrl.Result{RequeueAfter: StaleCacheRetry}, nil
}

// abortCanary fails the revision, so it is not tried again until the spec changes, and
// removes the canary pods once the status says so; the stable pods were never touched.
func (r *WebServerReconciler) abortCanary(ctx context.Context, s *scope, why string, now metav1.Time) error {
	ws, out := s.ws, s.revisions
	if fresh, err := r.cacheIsFresh(ctx, ws); err != nil || !fresh {
		s.stale = !fresh
		return err
	}
	st := ws.Status.Canary
	st.Phase = webserverv1alpha1.CanaryAborted
	st.Message = why
	history := revisionHistory(ws.Status.Revisions)
	history.record(out.spec, webserverv1alpha1.RevisionFailed, webserverv1alpha1.ReasonCanaryFailed, why, now)
	ws.Status.Revisions = history
	out.entry = *history.find(out.spec.name())
	out.canary = false
	out.notReverted = "its canary pods were removed and the stable pods were never touched"
	r.canaryWindows.forget(client.ObjectKeyFromObject(ws))
	spec := out.spec
	s.afterStatus = append(s.afterStatus, func() {
		metrics.UpgradesTotal.WithLabelValues(ws.Namespace, ws.Name, metrics.UpgradeCanaryAborted).Inc()
		r.announce(s, nil, corev1.EventTypeWarning, webserverv1alpha1.ReasonCanaryFailed, "Abort",
			"The canary of %s failed: %s; removing its pods, the stable pods keep serving", spec, why)
		r.removeEndedCanary(ctx, ws)
	})
	return nil
}

func lastAnalysisSummary(st *webserverv1alpha1.CanaryStatus) string {
	if st.LastAnalysis == nil {
		return "no analysis"
	}
	return st.LastAnalysis.Message
}

// deleteCanaryDeployment removes the canary Deployment (nil: there is none) when this
// WebServer controls it; its pods go with it.
func (r *WebServerReconciler) deleteCanaryDeployment(ctx context.Context, ws *webserverv1alpha1.WebServer, dep *appsv1.Deployment) error {
	if dep == nil || !metav1.IsControlledBy(dep, ws) || !dep.DeletionTimestamp.IsZero() {
		return nil
	}
	logf.FromContext(ctx).Info("Deleting the canary Deployment", "name", dep.Name)
	err := r.Delete(ctx, dep, client.Preconditions{UID: &dep.UID}, client.PropagationPolicy(metav1.DeletePropagationBackground))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting the canary Deployment %s: %w", dep.Name, err)
	}
	return nil
}

func nilIfAbsentDeployment(dep *appsv1.Deployment) *appsv1.Deployment {
	if dep.UID == "" {
		return nil
	}
	return dep
}
