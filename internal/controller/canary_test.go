package controller

import (
	"math"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/canary"
)

func TestPlanCanary(t *testing.T) {
	stable := revision{Image: "nginx:1.26", ConfigHash: "a"}
	next := revision{Image: "nginx:1.27", ConfigHash: "a"}
	valid := &webserverv1alpha1.RevisionStatus{Phase: webserverv1alpha1.RevisionValid}
	canaryStrategy := func(st *webserverv1alpha1.CanaryStatus) *webserverv1alpha1.WebServer {
		ws := &webserverv1alpha1.WebServer{}
		ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
		ws.Status.Canary = st
		return ws
	}
	inPhase := func(rev revision, phase webserverv1alpha1.CanaryPhase) *webserverv1alpha1.CanaryStatus {
		return &webserverv1alpha1.CanaryStatus{Revision: rev.name(), Phase: phase}
	}
	rolling := &webserverv1alpha1.WebServer{}
	for _, tc := range []struct {
		name        string
		ws          *webserverv1alpha1.WebServer
		spec        revision
		entry       *webserverv1alpha1.RevisionStatus
		hasDeployed bool
		rollout     rolloutState
		want        canaryPlan
	}{
		{"a new revision over a settled fleet starts a canary", canaryStrategy(nil), next, valid, true, rolloutComplete, canaryRun},
		{"strategy RollingUpdate never does", rolling, next, valid, true, rolloutComplete, canaryNone},
		{"the first pods have nothing to compare with", canaryStrategy(nil), next, valid, false, rolloutAbsent, canaryNone},
		{"the revision the pods run needs none", canaryStrategy(nil), stable, valid, true, rolloutComplete, canaryNone},
		{"a revision not yet checked waits", canaryStrategy(nil), next, &webserverv1alpha1.RevisionStatus{Phase: webserverv1alpha1.RevisionValidating},
			true, rolloutComplete, canaryNone},
		{"a failed revision is not tried again", canaryStrategy(nil), next, &webserverv1alpha1.RevisionStatus{Phase: webserverv1alpha1.RevisionFailed},
			true, rolloutComplete, canaryNone},
		{"pods that move roll as usual", canaryStrategy(nil), next, valid, true, rolloutProgressing, canaryNone},
		{"an idle WebServer holds its revision and wants no canary pod", func() *webserverv1alpha1.WebServer {
			ws := canaryStrategy(inPhase(next, webserverv1alpha1.CanaryAnalyzing))
			ws.Spec.Idle = true
			return ws
		}(), next, valid, true, rolloutComplete, canaryHold},
		{"a running canary goes on while pods move", canaryStrategy(inPhase(next, webserverv1alpha1.CanaryAnalyzing)), next, valid, true,
			rolloutProgressing, canaryRun},
		{"a canary waiting for approval goes on", canaryStrategy(inPhase(next, webserverv1alpha1.CanaryAwaitingApproval)), next, valid, true,
			rolloutComplete, canaryRun},
		{"a promoted canary rolls the Deployment", canaryStrategy(inPhase(next, webserverv1alpha1.CanaryPromoting)), next, valid, true,
			rolloutComplete, canaryNone},
		{"a stopped canary starts again when the spec asks for its revision again", canaryStrategy(inPhase(next, webserverv1alpha1.CanaryStopped)),
			next, valid, true, rolloutComplete, canaryRun},
		{"a promoted revision asked for again rolls as usual", canaryStrategy(inPhase(next, webserverv1alpha1.CanaryPromoted)), next, valid, true,
			rolloutComplete, canaryNone},
		{"a canary of an older spec gives way to a new one", canaryStrategy(inPhase(revision{Image: "nginx:1.25"}, webserverv1alpha1.CanaryAborted)),
			next, valid, true, rolloutComplete, canaryRun},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := planCanary(tc.ws, tc.spec, tc.entry, stable, tc.hasDeployed, tc.rollout); got != tc.want {
				t.Errorf("planCanary = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCanaryStatusFor(t *testing.T) {
	now := metav1.Unix(100, 0)
	rev := revision{Image: "nginx:1.27"}
	fresh := canaryStatusFor(nil, rev, 3, now)
	if fresh.Phase != webserverv1alpha1.CanaryStarting || fresh.Revision != rev.name() || fresh.RequiredAnalyses != 3 || !fresh.StartTime.Equal(&now) {
		t.Errorf("a new canary: %+v", fresh)
	}
	running := &webserverv1alpha1.CanaryStatus{Revision: rev.name(), Phase: webserverv1alpha1.CanaryAnalyzing, PassedAnalyses: 2, RequiredAnalyses: 3}
	kept := canaryStatusFor(running, rev, 5, metav1.Unix(200, 0))
	if kept.Phase != webserverv1alpha1.CanaryAnalyzing || kept.PassedAnalyses != 2 || kept.RequiredAnalyses != 5 || kept == running {
		t.Errorf("a running canary is resumed as a copy with the spec's analyses: %+v", kept)
	}
	stopped := &webserverv1alpha1.CanaryStatus{Revision: rev.name(), Phase: webserverv1alpha1.CanaryStopped, PassedAnalyses: 2}
	if again := canaryStatusFor(stopped, rev, 3, now); again.Phase != webserverv1alpha1.CanaryStarting || again.PassedAnalyses != 0 {
		t.Errorf("a stopped canary starts from zero: %+v", again)
	}
	replaced := canaryStatusFor(running, revision{Image: "nginx:1.28"}, 3, now)
	if replaced.Phase != webserverv1alpha1.CanaryStarting || replaced.PassedAnalyses != 0 {
		t.Errorf("a spec change starts a new attempt: %+v", replaced)
	}
}

func TestApplyVerdict(t *testing.T) {
	passed := canary.Verdict{Outcome: canary.Passed, Message: "fine"}
	failedVerdict := canary.Verdict{Outcome: canary.Failed, Message: "canary error ratio 50.00%"}
	inconclusive := canary.Verdict{Outcome: canary.Inconclusive, Message: "too few"}
	analyzing := func(passed, inconclusive int32) *webserverv1alpha1.CanaryStatus {
		return &webserverv1alpha1.CanaryStatus{Revision: "r1", Phase: webserverv1alpha1.CanaryAnalyzing, PassedAnalyses: passed,
			InconclusiveAnalyses: inconclusive, RequiredAnalyses: 2}
	}
	for _, tc := range []struct {
		name              string
		st                *webserverv1alpha1.CanaryStatus
		verdict           canary.Verdict
		approval, granted bool
		want              canaryStep
		wantPhase         webserverv1alpha1.CanaryPhase
		wantPassed        int32
		wantInconclusive  int32
		wantMessage       string
	}{
		{"a pass counts", analyzing(0, 0), passed, false, false, stepWait, webserverv1alpha1.CanaryAnalyzing, 1, 0, "1 of 2"},
		{"the last pass promotes", analyzing(1, 0), passed, false, false, stepPromote, webserverv1alpha1.CanaryPromoting, 2, 0, "2 of 2"},
		{"a failure aborts whatever passed before", analyzing(1, 0), failedVerdict, false, false, stepAbort,
			webserverv1alpha1.CanaryAnalyzing, 1, 0, "analysis failed: canary error ratio"},
		{"an inconclusive analysis neither counts nor fails", analyzing(1, 0), inconclusive, false, false, stepWait,
			webserverv1alpha1.CanaryAnalyzing, 1, 1, "1 of 2"},
		{"a pass ends a run of inconclusive analyses", analyzing(0, 4), passed, false, false, stepWait, webserverv1alpha1.CanaryAnalyzing, 1, 0, "1 of 2"},
		{"three times the analyses inconclusive in a row abort", analyzing(1, 5), inconclusive, false, false, stepAbort,
			webserverv1alpha1.CanaryAnalyzing, 1, 6, "6 analyses in a row were inconclusive"},
		{"approval holds the promotion", analyzing(1, 0), passed, true, false, stepWait, webserverv1alpha1.CanaryAwaitingApproval, 2, 0,
			"kubectl annotate webserver <name> webserver.dev/approve-canary=r1"},
		{"an approved canary is promoted", analyzing(1, 0), passed, true, true, stepPromote, webserverv1alpha1.CanaryPromoting, 2, 0, "2 of 2"},
		{"analyses go on while it waits, and never count past the required", &webserverv1alpha1.CanaryStatus{Revision: "r1",
			Phase: webserverv1alpha1.CanaryAwaitingApproval, PassedAnalyses: 2, RequiredAnalyses: 2}, passed, true, false, stepWait,
			webserverv1alpha1.CanaryAwaitingApproval, 2, 0, "waiting for approval"},
		{"a failure while waiting aborts", &webserverv1alpha1.CanaryStatus{Revision: "r1",
			Phase: webserverv1alpha1.CanaryAwaitingApproval, PassedAnalyses: 2, RequiredAnalyses: 2}, failedVerdict, true, false, stepAbort,
			webserverv1alpha1.CanaryAwaitingApproval, 2, 0, "analysis failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := applyVerdict(tc.st, tc.verdict, tc.approval, tc.granted)
			if got != tc.want || tc.st.Phase != tc.wantPhase || tc.st.PassedAnalyses != tc.wantPassed || tc.st.InconclusiveAnalyses != tc.wantInconclusive {
				t.Errorf("applyVerdict = %v, status %+v; want %v, phase %s, %d passed, %d inconclusive",
					got, tc.st, tc.want, tc.wantPhase, tc.wantPassed, tc.wantInconclusive)
			}
			if !strings.Contains(tc.st.Message, tc.wantMessage) {
				t.Errorf("message %q does not contain %q", tc.st.Message, tc.wantMessage)
			}
		})
	}
}

func TestCanaryActive(t *testing.T) {
	for phase, want := range map[webserverv1alpha1.CanaryPhase]bool{
		webserverv1alpha1.CanaryStarting: true, webserverv1alpha1.CanaryAnalyzing: true, webserverv1alpha1.CanaryAwaitingApproval: true,
		webserverv1alpha1.CanaryPromoting: true, webserverv1alpha1.CanaryPromoted: false, webserverv1alpha1.CanaryAborted: false,
		webserverv1alpha1.CanaryStopped: false,
	} {
		if canaryActive(phase) != want {
			t.Errorf("canaryActive(%s) = %v", phase, !want)
		}
	}
}

func TestCanaryTarget(t *testing.T) {
	spec, deployed := revision{Image: "nginx:1.27"}, revision{Image: "nginx:1.26"}
	for plan, want := range map[canaryPlan]struct {
		target revision
		canary bool
	}{canaryNone: {spec, false}, canaryRun: {deployed, true}, canaryHold: {deployed, false}} {
		if target, runs := canaryTarget(plan, spec, deployed); target != want.target || runs != want.canary {
			t.Errorf("plan %d: target %v, canary %v; want %v, %v", plan, target, runs, want.target, want.canary)
		}
	}
}

func TestCanaryStopReason(t *testing.T) {
	st := &webserverv1alpha1.CanaryStatus{Revision: revision{Image: "nginx:1.27"}.name(), Phase: webserverv1alpha1.CanaryAnalyzing}
	canaryWS := func(mutate func(*webserverv1alpha1.WebServer)) *webserverv1alpha1.WebServer {
		ws := &webserverv1alpha1.WebServer{}
		ws.Spec.Upgrade.Strategy = webserverv1alpha1.UpgradeStrategyCanary
		mutate(ws)
		return ws
	}
	for _, tc := range []struct {
		name string
		ws   *webserverv1alpha1.WebServer
		out  *revisionOutcome
		want string
	}{
		{"strategy changed", canaryWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Upgrade.Strategy = "RollingUpdate" }), nil, "no longer Canary"},
		{"idle", canaryWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = true }), nil, "the WebServer is idle"},
		{"blocked", canaryWS(func(*webserverv1alpha1.WebServer) {}), nil, "the spec cannot be applied"},
		{"spec moved on", canaryWS(func(*webserverv1alpha1.WebServer) {}), &revisionOutcome{spec: revision{Image: "nginx:1.28"}},
			"the spec asks for revision " + revision{Image: "nginx:1.28"}.name()},
	} {
		if got := canaryStopReason(tc.ws, st, tc.out); !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q does not contain %q", tc.name, got, tc.want)
		}
	}
}

// TestJudgeWindowFollowsTheSpec: each threshold of spec.upgrade.canary reaches the verdict.
func TestJudgeWindowFollowsTheSpec(t *testing.T) {
	pod := func(name string) *corev1.Pod { return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name}} }
	pods := servingPods{canary: []*corev1.Pod{pod("c")}, stable: []*corev1.Pod{pod("s")}}
	// served is a window in which every request took less than 10 ms (p95 9.5 ms), or up to
	// 500 ms when slow.
	served := func(requests, errors float64, slow bool) canary.Sample {
		bound := 0.01
		if slow {
			bound = 0.5
		}
		return canary.Sample{Requests: requests, Errors: errors,
			Buckets: []canary.Bucket{{UpperBound: bound, Count: requests}, {UpperBound: math.Inf(1), Count: requests}}}
	}
	open := &canaryWindow{samples: map[string]canary.Sample{}, synthetic: canary.Synthetic{Sent: 10}}
	ws := &webserverv1alpha1.WebServer{}
	defaults := ws.CanarySettings()
	with := func(mutate func(*webserverv1alpha1.CanarySpec)) webserverv1alpha1.CanarySpec {
		settings := *defaults.DeepCopy()
		mutate(&settings)
		return settings
	}
	for _, tc := range []struct {
		name           string
		canary, stable canary.Sample
		settings       webserverv1alpha1.CanarySpec
		want           canary.Outcome
	}{
		{"like the stable pods", served(100, 0, false), served(100, 0, false), defaults, canary.Passed},
		{"minRequests", served(100, 0, false), served(100, 0, false), with(func(c *webserverv1alpha1.CanarySpec) { c.MinRequests = ptr.To[int32](101) }),
			canary.Inconclusive},
		{"maxErrorRatioPercent", served(100, 4, false), served(100, 4, false), defaults, canary.Passed},
		{"maxErrorRatioPercent lowered", served(100, 4, false), served(100, 4, false),
			with(func(c *webserverv1alpha1.CanarySpec) { c.MaxErrorRatioPercent = ptr.To[int32](3) }), canary.Failed},
		{"errorRatioMarginPercent", served(100, 3, false), served(100, 0, false), defaults, canary.Failed},
		{"errorRatioMarginPercent raised", served(100, 3, false), served(100, 0, false),
			with(func(c *webserverv1alpha1.CanarySpec) { c.ErrorRatioMarginPercent = ptr.To[int32](3) }), canary.Passed},
		{"maxLatencyP95Milliseconds", served(100, 0, true), served(100, 0, true), defaults, canary.Passed},
		{"maxLatencyP95Milliseconds lowered", served(100, 0, true), served(100, 0, true),
			with(func(c *webserverv1alpha1.CanarySpec) { c.MaxLatencyP95Milliseconds = ptr.To[int32](100) }), canary.Failed},
		{"latencyMarginPercent", served(100, 0, true), served(100, 0, false), defaults, canary.Failed},
		{"latencyMarginPercent raised", served(100, 0, true), served(100, 0, false),
			with(func(c *webserverv1alpha1.CanarySpec) { c.LatencyMarginPercent = ptr.To[int32](10000) }), canary.Passed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			samples := map[string]canary.Sample{"c": tc.canary, "s": tc.stable}
			verdict, analysis := judgeWindow(open, samples, nil, pods, tc.settings, metav1.Unix(100, 0))
			if verdict.Outcome != tc.want {
				t.Errorf("outcome %s (%s), want %s", verdict.Outcome, verdict.Message, tc.want)
			}
			if analysis.Canary.Requests != int64(tc.canary.Requests) || analysis.SyntheticRequests != 10 || analysis.Outcome != string(verdict.Outcome) {
				t.Errorf("analysis does not report the window: %+v", analysis)
			}
		})
	}
	t.Run("a canary pod whose metrics cannot be read makes the window inconclusive", func(t *testing.T) {
		verdict, _ := judgeWindow(open, map[string]canary.Sample{"s": served(100, 0, false)}, []string{"c (connection refused)"}, pods,
			defaults, metav1.Unix(100, 0))
		if verdict.Outcome != canary.Inconclusive || !strings.Contains(verdict.Message, "could not be read") {
			t.Errorf("verdict %+v", verdict)
		}
	})
}
