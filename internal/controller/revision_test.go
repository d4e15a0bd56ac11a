package controller

import (
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

func TestRevisionName(t *testing.T) {
	a := revision{Image: "nginx:1", ConfigHash: "c1"}
	if a.name() != (revision{Image: "nginx:1", ConfigHash: "c1"}).name() {
		t.Error("equal revisions have different names")
	}
	for _, other := range []revision{
		{Image: "nginx:2", ConfigHash: "c1"},
		{Image: "nginx:1", ConfigHash: "c2"},
		{Image: "nginx:1", ConfigHash: "c1", ContentHash: "x"},
		{Image: "nginx:1", ConfigHash: "c1", RestartedAt: "now"},
		{Image: "nginx:1c", ConfigHash: "1"}, // the separator keeps fields apart
	} {
		if other.name() == a.name() {
			t.Errorf("%v has the name of %v", other, a)
		}
	}
	if !a.checkedLike(revision{Image: "nginx:1", ConfigHash: "c1", RestartedAt: "now"}) {
		t.Error("a restart needs no new check")
	}
}

func TestDeploymentRevision(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: "site", Namespace: "web"}}
	ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
	want := revision{Image: "nginx:1.27", ConfigHash: "abc", ContentHash: "c0ffee", RestartedAt: "now"}
	dep := builtDeployment(t, ws, want.workloadInputs(ws, resources.CurrentTemplateFormat))
	got, ok := deploymentRevision(dep)
	if !ok || got != want {
		t.Errorf("deploymentRevision = %+v, want %+v", got, want)
	}
	format1 := builtDeployment(t, ws, want.workloadInputs(ws, resources.TemplateFormat1))
	if got, _ := deploymentRevision(format1); got != want {
		t.Errorf("format 1: deploymentRevision = %+v, want %+v", got, want)
	}
	if _, ok := deploymentRevision(nil); ok {
		t.Error("no Deployment runs a revision")
	}
}

func TestRevisionHistory(t *testing.T) {
	t0, t1 := metav1.Unix(100, 0), metav1.Unix(200, 0)
	rev := func(i int) revision { return revision{Image: fmt.Sprintf("nginx:%d", i), ConfigHash: "c"} }
	var h revisionHistory
	h.record(rev(1), webserverv1alpha1.RevisionValidating, "", "", t0)
	h.record(rev(1), webserverv1alpha1.RevisionValidating, "", "", t1)
	if len(h) != 1 || !h[0].LastTransitionTime.Equal(&t0) {
		t.Fatalf("recording the same phase again changed the entry: %+v", h)
	}
	h.record(rev(1), webserverv1alpha1.RevisionValid, webserverv1alpha1.ReasonValidated, "ok", t1)
	if h[0].Phase != webserverv1alpha1.RevisionValid || !h[0].LastTransitionTime.Equal(&t1) {
		t.Fatalf("phase change not recorded: %+v", h[0])
	}
	if !h.passedCheck(revision{Image: "nginx:1", ConfigHash: "c", RestartedAt: "later"}) {
		t.Error("a restart of a checked revision is checked again")
	}

	h.record(rev(2), webserverv1alpha1.RevisionFailed, webserverv1alpha1.ReasonValidationFailed, "pull", t1)
	if h[0].Name != rev(2).name() {
		t.Error("new revisions go first")
	}
	if h.passedCheck(rev(2)) {
		t.Error("a revision whose check could not run passed it")
	}
	h.record(rev(3), webserverv1alpha1.RevisionFailed, webserverv1alpha1.ReasonCrashLoop, "crash", t1)
	if !h.passedCheck(rev(3)) {
		t.Error("a revision that failed its rollout had passed nginx -t")
	}
	h.record(rev(4), webserverv1alpha1.RevisionInvalid, webserverv1alpha1.ReasonNginxRejectedConfig, "emerg", t1)
	if h.passedCheck(rev(4)) {
		t.Error("a refused config passed")
	}

	h.record(rev(9), webserverv1alpha1.RevisionValidating, "", "", t1)
	h.record(rev(10), webserverv1alpha1.RevisionValidating, "", "", t1)
	h.forgetUnchecked(rev(10).name())
	if h.find(rev(9).name()) != nil || h.find(rev(10).name()) == nil || h.find(rev(4).name()) == nil {
		t.Errorf("forgetUnchecked must drop only the other revisions still being checked: %+v", h)
	}
	h.forgetUnchecked(rev(11).name())

	for i := 5; i < 5+maxRevisionHistory; i++ {
		h.record(rev(i), webserverv1alpha1.RevisionGood, "", "", t1)
	}
	h.trim(rev(1).name())
	if len(h) != maxRevisionHistory {
		t.Fatalf("history holds %d revisions, want %d", len(h), maxRevisionHistory)
	}
	if h.find(rev(1).name()) == nil {
		t.Error("a kept revision was trimmed")
	}
	if h.find(rev(2).name()) != nil {
		t.Error("an old revision outlived the bound")
	}
}

func TestHealthGate(t *testing.T) {
	now := time.Unix(1000, 0)
	ws := &webserverv1alpha1.WebServer{}
	ws.Spec.Upgrade.FailureThresholdSeconds = ptr.To[int32](30)
	progressedAt := func(ago time.Duration) *appsv1.Deployment {
		return &appsv1.Deployment{Status: appsv1.DeploymentStatus{Conditions: []appsv1.DeploymentCondition{{
			Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, LastUpdateTime: metav1.NewTime(now.Add(-ago)),
		}}}}
	}
	crash := []podProblem{{pod: "p", reason: webserverv1alpha1.ReasonCrashLoop, detail: "nginx keeps exiting", broken: true}}
	tests := []struct {
		name       string
		dep        *appsv1.Deployment
		rollout    rolloutState
		broken     []podProblem
		wantReason string
		wantWait   time.Duration
	}{
		{"progressing, healthy", progressedAt(time.Hour), rolloutProgressing, nil, "", 0},
		{"stalled", progressedAt(time.Second), rolloutStalled, nil, webserverv1alpha1.ReasonProgressDeadlineExceeded, 0},
		{"broken, below the threshold", progressedAt(10 * time.Second), rolloutProgressing, crash, "", 20 * time.Second},
		{"broken past the threshold", progressedAt(31 * time.Second), rolloutProgressing, crash, webserverv1alpha1.ReasonCrashLoop, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			failure, wait := healthGate(ws, tt.dep, tt.rollout, tt.broken, now)
			reason := ""
			if failure != nil {
				reason = failure.reason
			}
			if reason != tt.wantReason || wait != tt.wantWait {
				t.Errorf("failure %q, wait %s; want %q, %s", reason, wait, tt.wantReason, tt.wantWait)
			}
		})
	}
}

func TestBrokenPodsOf(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: "site"}}
	rev := revision{Image: "nginx:new", ConfigHash: "abc"}
	problems := []podProblem{
		{pod: "new", image: "nginx:new", configMap: "site-config-abc", broken: true},
		{pod: "old", image: "nginx:old", configMap: "site-config-abc", broken: true},
		{pod: "unscheduled", image: "nginx:new", configMap: "site-config-abc", broken: false},
	}
	got := brokenPodsOf(problems, ws, rev)
	if len(got) != 1 || got[0].pod != "new" {
		t.Errorf("broken pods of the revision: %+v", got)
	}
}

func TestConfigCheckVerdict(t *testing.T) {
	created := time.Unix(1000, 0)
	pod := func(phase corev1.PodPhase, state corev1.ContainerState) *corev1.Pod {
		return &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{CreationTimestamp: metav1.NewTime(created)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: resources.ContainerName, Image: "nginx:x"}}},
			Status: corev1.PodStatus{Phase: phase, HostIP: "10.0.0.1", ContainerStatuses: []corev1.ContainerStatus{{
				Name: resources.ContainerName, Image: "nginx:x", State: state, ImageID: "sha256:0",
			}}},
		}
	}
	emerg := "nginx: [emerg] invalid number of arguments in \"return\" directive in /etc/webserver/nginx.conf:42\nnginx: configuration file /etc/webserver/nginx.conf test failed\n"
	pullWait := corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}}
	tests := []struct {
		name       string
		pod        *corev1.Pod
		at         time.Duration
		want       checkVerdict
		wantDetail string
		wantWait   time.Duration
	}{
		{"scheduled", pod(corev1.PodPending, corev1.ContainerState{}), time.Second, checkPending, "", 119 * time.Second},
		{"never started", pod(corev1.PodPending, corev1.ContainerState{}), 2 * time.Minute, checkFailed, "nginx -t did not finish within 120s", 0},
		{"passed", pod(corev1.PodSucceeded, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}), time.Second, checkPassed, "", 0},
		{"refused", pod(corev1.PodFailed, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Message: emerg}}), time.Second,
			checkRefused, `[emerg] invalid number of arguments in "return" directive in /etc/webserver/nginx.conf:42`, 0},
		{"exited without nginx's words", pod(corev1.PodFailed, corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 127, Message: "exec: nginx: not found"}}), time.Second,
			checkFailed, "nginx -t exited with code 127: exec: nginx: not found", 0},
		{"pull error, briefly", pod(corev1.PodPending, pullWait), 10 * time.Second, checkPending, "image nginx:x cannot be pulled (ErrImagePull): not found", 20 * time.Second},
		{"pull error, for the threshold", pod(corev1.PodPending, pullWait), 30 * time.Second, checkFailed, "image nginx:x cannot be pulled (ErrImagePull): not found", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, detail, wait := configCheckVerdict(tt.pod, created.Add(tt.at), 30*time.Second)
			if got != tt.want || detail != tt.wantDetail || wait != tt.wantWait {
				t.Errorf("verdict %d %q %s; want %d %q %s", got, detail, wait, tt.want, tt.wantDetail, tt.wantWait)
			}
			// The cache holds check pods trimmed: they must read the same.
			out, err := trimCheckPod(tt.pod.DeepCopy())
			if err != nil {
				t.Fatal(err)
			}
			trimmed := out.(*corev1.Pod)
			if len(trimmed.Spec.Containers) != 0 || trimmed.Status.HostIP != "" || trimmed.Status.ContainerStatuses[0].ImageID != "" {
				t.Errorf("trimmed pod keeps what no verdict reads: %+v", trimmed)
			}
			if g, d, w := configCheckVerdict(trimmed, created.Add(tt.at), 30*time.Second); g != got || d != detail || w != wait {
				t.Errorf("trimmed pod reads %d %q %s; the whole pod %d %q %s", g, d, w, got, detail, wait)
			}
		})
	}
	deadline := &corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed, Reason: "DeadlineExceeded"}}
	if got, detail, _ := configCheckVerdict(deadline, created, time.Second); got != checkFailed || !strings.Contains(detail, "did not finish") {
		t.Errorf("deadline: %d %q", got, detail)
	}
}

func TestConfigExplain(t *testing.T) {
	c := configResult{source: "spec.config.inline", serverBlockFirstLine: 40, serverBlockLines: 3}
	tests := map[string]string{
		"[emerg] x in /etc/webserver/nginx.conf:41": "[emerg] x in /etc/webserver/nginx.conf:41 (line 2 of spec.config.inline)",
		"[emerg] x in /etc/webserver/nginx.conf:12": "[emerg] x in /etc/webserver/nginx.conf:12",
		"[emerg] x in /etc/webserver/nginx.conf:43": "[emerg] x in /etc/webserver/nginx.conf:43",
		"[emerg] no line": "[emerg] no line",
	}
	for in, want := range tests {
		if got := c.explain(in); got != want {
			t.Errorf("explain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRolloutPhase(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: "site"}}
	a := revision{Image: "nginx:a", ConfigHash: "c"}
	b := revision{Image: "nginx:b", ConfigHash: "c"}
	running := func(rev revision) *appsv1.Deployment {
		return builtDeployment(t, ws, rev.workloadInputs(ws, resources.CurrentTemplateFormat))
	}
	good := webserverv1alpha1.RevisionStatus{Name: a.name(), Image: a.Image, ConfigHash: a.ConfigHash, Phase: webserverv1alpha1.RevisionGood}
	outcome := func(phase webserverv1alpha1.RevisionPhase, rollbackTo *webserverv1alpha1.RevisionStatus) *revisionOutcome {
		return &revisionOutcome{spec: b, entry: webserverv1alpha1.RevisionStatus{Name: b.name(), Phase: phase}, rollbackTo: rollbackTo}
	}
	tests := []struct {
		name    string
		out     *revisionOutcome
		rollout rolloutState
		dep     *appsv1.Deployment
		want    webserverv1alpha1.RolloutPhase
	}{
		{"checking", outcome(webserverv1alpha1.RevisionValidating, nil), rolloutComplete, running(a), webserverv1alpha1.RolloutPhaseValidating},
		{"refused", outcome(webserverv1alpha1.RevisionInvalid, nil), rolloutComplete, running(a), webserverv1alpha1.RolloutPhaseConfigInvalid},
		{"rolling out", outcome(webserverv1alpha1.RevisionValid, nil), rolloutProgressing, running(b), webserverv1alpha1.RolloutPhaseRollingOut},
		{"complete", outcome(webserverv1alpha1.RevisionGood, nil), rolloutComplete, running(b), webserverv1alpha1.RolloutPhaseComplete},
		{"failed in place", outcome(webserverv1alpha1.RevisionFailed, nil), rolloutStalled, running(b), webserverv1alpha1.RolloutPhaseFailed},
		{"rolling back", outcome(webserverv1alpha1.RevisionFailed, &good), rolloutProgressing, running(a), webserverv1alpha1.RolloutPhaseRollingBack},
		{"rolled back", outcome(webserverv1alpha1.RevisionFailed, &good), rolloutComplete, running(a), webserverv1alpha1.RolloutPhaseRolledBack},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rolloutPhase(tt.out, tt.rollout, tt.dep); got != tt.want {
				t.Errorf("phase %s, want %s", got, tt.want)
			}
		})
	}
}
