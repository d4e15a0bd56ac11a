package controller

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/canary"
)

// canaryPlan is what strategy Canary does with the spec's revision in this pass.
type canaryPlan int

const (
	// canaryNone: no canary; the Deployment moves to its target as usual.
	canaryNone canaryPlan = iota
	// canaryRun: canary pods run the spec's revision; the stable Deployment keeps its own.
	canaryRun
	// canaryHold: no canary pod runs and the stable Deployment keeps its revision: an idle
	// WebServer wants no pod, and has none to judge a canary against. The revision gets
	// its canary once the WebServer serves again.
	canaryHold
)

// planCanary decides whether the spec's revision runs as a canary. A canary starts only
// from a settled fleet (every pod on one revision and available), so it is compared with
// stable pods at full capacity; a change made while pods move rolls as usual. Once a
// canary started it runs until it is promoted, aborted or stopped; a stopped one (the
// spec moved on and came back, the WebServer went idle) starts again from zero.
func planCanary(ws *webserverv1alpha1.WebServer, spec revision, entry *webserverv1alpha1.RevisionStatus,
	deployed revision, hasDeployed bool, rollout rolloutState) canaryPlan {
	if !ws.CanaryEnabled() || !hasDeployed || deployed == spec || entry.Phase != webserverv1alpha1.RevisionValid {
		return canaryNone
	}
	if ws.DesiredReplicas() == 0 {
		return canaryHold
	}
	if st := ws.Status.Canary; st != nil && st.Revision == spec.name() {
		switch st.Phase {
		case webserverv1alpha1.CanaryStarting, webserverv1alpha1.CanaryAnalyzing, webserverv1alpha1.CanaryAwaitingApproval:
			return canaryRun
		case webserverv1alpha1.CanaryPromoting, webserverv1alpha1.CanaryPromoted:
			return canaryNone
		}
	}
	if rollout != rolloutComplete {
		return canaryNone
	}
	return canaryRun
}

// canaryTarget is what the stable Deployment runs under plan, and whether canary pods run
// the spec's revision: the stable pods keep theirs while a canary tries it or waits.
func canaryTarget(plan canaryPlan, spec, deployed revision) (target revision, runsCanary bool) {
	switch plan {
	case canaryRun:
		return deployed, true
	case canaryHold:
		return deployed, false
	default:
		return spec, false
	}
}

// canaryActive reports whether a canary in phase still has pods that serve.
func canaryActive(phase webserverv1alpha1.CanaryPhase) bool {
	switch phase {
	case webserverv1alpha1.CanaryStarting, webserverv1alpha1.CanaryAnalyzing,
		webserverv1alpha1.CanaryAwaitingApproval, webserverv1alpha1.CanaryPromoting:
		return true
	}
	return false
}

// canaryStatusFor is the status of the canary of rev: the recorded one while it runs, a
// new one starting now otherwise (a spec change, or a stopped canary, starts a new attempt).
func canaryStatusFor(current *webserverv1alpha1.CanaryStatus, rev revision, required int32, now metav1.Time) *webserverv1alpha1.CanaryStatus {
	if current != nil && current.Revision == rev.name() && canaryActive(current.Phase) {
		out := current.DeepCopy()
		out.RequiredAnalyses = required
		return out
	}
	return &webserverv1alpha1.CanaryStatus{
		Revision:         rev.name(),
		Phase:            webserverv1alpha1.CanaryStarting,
		RequiredAnalyses: required,
		StartTime:        &now,
		Message:          "starting the canary pods",
	}
}

// inconclusiveLimit is how many inconclusive analyses in a row, per analysis required,
// fail a canary: one that cannot be judged is not promoted, nor left running forever.
const inconclusiveLimit = 3

// canaryStep is what one analysis verdict makes of the canary.
type canaryStep int

const (
	stepWait canaryStep = iota
	stepPromote
	stepAbort
)

// applyVerdict moves the canary on after one analysis: a pass counts toward promotion,
// a failure aborts, an inconclusive analysis neither counts nor fails, unless the canary
// stayed inconclusive for inconclusiveLimit times the analyses it needs. A canary that
// passed enough analyses waits for approval when approval is required and not given.
func applyVerdict(st *webserverv1alpha1.CanaryStatus, verdict canary.Verdict, needsApproval, approved bool) canaryStep {
	switch verdict.Outcome {
	case canary.Failed:
		st.Message = "analysis failed: " + verdict.Message
		return stepAbort
	case canary.Inconclusive:
		st.InconclusiveAnalyses++
		if st.InconclusiveAnalyses >= inconclusiveLimit*max(1, st.RequiredAnalyses) {
			st.Message = fmt.Sprintf("%d analyses in a row were inconclusive, the last: %s", st.InconclusiveAnalyses, verdict.Message)
			return stepAbort
		}
	case canary.Passed:
		st.InconclusiveAnalyses = 0
		if st.PassedAnalyses < st.RequiredAnalyses {
			st.PassedAnalyses++
		}
	}
	return promotionStep(st, needsApproval, approved)
}

// promotionStep promotes a canary that passed every analysis it needs, unless it waits
// for the user's approval.
func promotionStep(st *webserverv1alpha1.CanaryStatus, needsApproval, approved bool) canaryStep {
	if st.PassedAnalyses < st.RequiredAnalyses {
		st.Phase = webserverv1alpha1.CanaryAnalyzing
		st.Message = fmt.Sprintf("%d of %d analyses passed", st.PassedAnalyses, st.RequiredAnalyses)
		return stepWait
	}
	if needsApproval && !approved {
		st.Phase = webserverv1alpha1.CanaryAwaitingApproval
		st.Message = fmt.Sprintf("%d of %d analyses passed; waiting for approval: kubectl annotate webserver <name> %s=%s",
			st.PassedAnalyses, st.RequiredAnalyses, webserverv1alpha1.AnnotationApproveCanary, st.Revision)
		return stepWait
	}
	st.Phase = webserverv1alpha1.CanaryPromoting
	st.Message = fmt.Sprintf("%d of %d analyses passed; every pod moves to the canary's revision", st.PassedAnalyses, st.RequiredAnalyses)
	return stepPromote
}

// canaryStopReason says why a canary that was running has no place any more.
func canaryStopReason(ws *webserverv1alpha1.WebServer, st *webserverv1alpha1.CanaryStatus, out *revisionOutcome) string {
	switch {
	case !ws.CanaryEnabled():
		return "stopped: spec.upgrade.strategy is no longer Canary, so the revision rolls as usual"
	case ws.DesiredReplicas() == 0:
		return "stopped: the WebServer is idle; a new canary starts once it serves again"
	case out == nil:
		return "stopped: the spec cannot be applied"
	case out.spec.name() != st.Revision:
		return fmt.Sprintf("stopped: the spec asks for %s now", out.spec)
	default:
		return "stopped"
	}
}
