package controller

import (
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

func deployment(replicas int32, image, configMap string, status appsv1.DeploymentStatus) *appsv1.Deployment {
	dep := &appsv1.Deployment{}
	dep.Generation = 2
	dep.Spec.Replicas = ptr.To(replicas)
	dep.Spec.Template.Spec.Containers = []corev1.Container{{Name: resources.ContainerName, Image: image}}
	dep.Spec.Template.Spec.Volumes = []corev1.Volume{{
		Name:         resources.ConfigVolume,
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: configMap}}},
	}}
	dep.Status = status
	return dep
}

func settled(n int32) appsv1.DeploymentStatus {
	return appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: n, UpdatedReplicas: n, ReadyReplicas: n, AvailableReplicas: n}
}

// completedThenLost is a finished rollout whose pods stopped being available afterwards.
func completedThenLost(n int32) appsv1.DeploymentStatus {
	st := settled(n)
	st.ReadyReplicas, st.AvailableReplicas = n-1, n-1
	st.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: deploymentCompleteReason}}
	return st
}

var stalled = appsv1.DeploymentStatus{ObservedGeneration: 2, Conditions: []appsv1.DeploymentCondition{{
	Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
}}}

func pausedDeployment() *appsv1.Deployment {
	dep := deployment(2, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 1})
	dep.Spec.Paused = true
	return dep
}

func TestObserveRollout(t *testing.T) {
	tests := []struct {
		name            string
		dep             *appsv1.Deployment
		templateChanged bool
		want            rolloutState
	}{
		{"no deployment", nil, false, rolloutAbsent},
		{"settled", deployment(2, "a", "c", settled(2)), false, rolloutComplete},
		{"template changed this pass", deployment(2, "a", "c", settled(2)), true, rolloutProgressing},
		{"generation not observed", deployment(2, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 1, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 2}), false, rolloutProgressing},
		{"old pods remain", deployment(2, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 2, AvailableReplicas: 2}), false, rolloutProgressing},
		{"new pods not available", deployment(2, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 2, UpdatedReplicas: 2, AvailableReplicas: 1}), false, rolloutProgressing},
		{"pods lost after the rollout completed", deployment(2, "a", "c", completedThenLost(2)), false, rolloutComplete},
		{"paused", pausedDeployment(), false, rolloutPaused},
		{"scaled to zero", deployment(0, "a", "c", settled(0)), false, rolloutComplete},
		{"deadline exceeded", deployment(2, "a", "c", stalled), false, rolloutStalled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := observeRollout(tt.dep, tt.templateChanged); got != tt.want {
				t.Errorf("observeRollout() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestProgressReason(t *testing.T) {
	good := &webserverv1alpha1.WebServerStatus{LastGoodImage: "nginx:1", LastGoodConfigHash: "aaa"}
	progressing := appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, AvailableReplicas: 2}
	tests := []struct {
		name     string
		previous *webserverv1alpha1.WebServerStatus
		dep      *appsv1.Deployment
		rollout  rolloutState
		want     string
	}{
		{"first rollout", &webserverv1alpha1.WebServerStatus{}, deployment(1, "nginx:1", "ws-config-aaa", progressing), rolloutProgressing, webserverv1alpha1.ReasonCreating},
		{"new image", good, deployment(3, "nginx:2", "ws-config-aaa", progressing), rolloutProgressing, webserverv1alpha1.ReasonUpgrading},
		{"new config", good, deployment(3, "nginx:1", "ws-config-bbb", progressing), rolloutProgressing, webserverv1alpha1.ReasonUpgrading},
		{"restart", good, deployment(3, "nginx:1", "ws-config-aaa", appsv1.DeploymentStatus{Replicas: 4, UpdatedReplicas: 1}), rolloutProgressing, webserverv1alpha1.ReasonUpgrading},
		{"more replicas", good, deployment(3, "nginx:1", "ws-config-aaa", progressing), rolloutProgressing, webserverv1alpha1.ReasonScaling},
		{"complete", good, deployment(3, "nginx:1", "ws-config-aaa", settled(3)), rolloutComplete, webserverv1alpha1.ReasonRolloutComplete},
		{"stalled", good, deployment(3, "nginx:2", "ws-config-aaa", stalled), rolloutStalled, webserverv1alpha1.ReasonProgressDeadlineExceeded},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := progressReason(tt.previous, tt.dep, tt.rollout); got != tt.want {
				t.Errorf("progressReason() = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestSetAvailableCondition(t *testing.T) {
	noService, service := ptr.To(false), ptr.To(true)
	tests := []struct {
		name       string
		idle       bool
		dep        *appsv1.Deployment
		service    *bool
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  string
	}{
		{"creating", false, nil, nil, metav1.ConditionFalse, webserverv1alpha1.ReasonCreating, "does not exist"},
		{"serving", false, deployment(2, "a", "c", settled(2)), service, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable, "2 of 2 pods available"},
		{"Service not reached this pass", false, deployment(2, "a", "c", settled(2)), nil, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable, "2 of 2"},
		{"no Service in front of the pods", false, deployment(2, "a", "c", settled(2)), noService, metav1.ConditionFalse, webserverv1alpha1.ReasonServiceMissing, "Service"},
		{"partly serving", false, deployment(3, "a", "c", appsv1.DeploymentStatus{AvailableReplicas: 1}), service, metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable, "1 of 3"},
		{"idle", true, deployment(0, "a", "c", settled(0)), service, metav1.ConditionFalse, webserverv1alpha1.ReasonIdle, "spec.idle"},
		{"down", false, deployment(2, "a", "c", appsv1.DeploymentStatus{}), service, metav1.ConditionFalse, webserverv1alpha1.ReasonNoReplicasAvailable, "0 of 2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &webserverv1alpha1.WebServer{}
			ws.Generation = 4
			ws.Spec.Idle = tt.idle
			setAvailableCondition(ws, tt.dep, tt.service)
			assertCondition(t, ws, webserverv1alpha1.ConditionAvailable, tt.wantStatus, tt.wantReason, tt.wantInMsg)
		})
	}
}

func TestSetDegradedCondition(t *testing.T) {
	replicaFailure := appsv1.DeploymentStatus{ObservedGeneration: 2, Conditions: []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Message: "exceeded quota",
	}}}
	crashing := []podProblem{{pod: "p-1", reason: webserverv1alpha1.ReasonCrashLoop, detail: "nginx keeps exiting (CrashLoopBackOff)"}}
	tests := []struct {
		name       string
		dep        *appsv1.Deployment
		pods       []podProblem
		blocked    *blockedError
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  string
	}{
		{"healthy", deployment(2, "a", "c", settled(2)), nil, nil, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, ""},
		{"stalled", deployment(2, "a", "c", stalled), nil, nil, metav1.ConditionTrue, webserverv1alpha1.ReasonProgressDeadlineExceeded, "did not become ready"},
		{"stalled, pods named", deployment(2, "a", "c", stalled), crashing, nil, metav1.ConditionTrue, webserverv1alpha1.ReasonProgressDeadlineExceeded, "pod p-1"},
		{"replica failure", deployment(2, "a", "c", replicaFailure), nil, nil, metav1.ConditionTrue, webserverv1alpha1.ReasonReplicaFailure, "exceeded quota"},
		{"all pods ready after scaling", deployment(3, "a", "c", settled(3)), nil, nil, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, ""},
		{"ready below desired", deployment(3, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 3}), nil, nil, metav1.ConditionTrue, webserverv1alpha1.ReasonReplicasUnavailable, "1 of 3"},
		{"crash loop named", deployment(2, "a", "c", completedThenLost(2)), crashing, nil, metav1.ConditionTrue, webserverv1alpha1.ReasonCrashLoop, "pod p-1: nginx keeps exiting"},
		{"rolling out is not degraded", deployment(3, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 4, UpdatedReplicas: 1}), nil, nil, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, ""},
		{"blocked pass", deployment(2, "a", "c", settled(2)), nil, &blockedError{reason: webserverv1alpha1.ReasonChildRejected, message: "Service x was rejected"}, metav1.ConditionTrue, webserverv1alpha1.ReasonChildRejected, "Service x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &webserverv1alpha1.WebServer{}
			setDegradedCondition(ws, &scope{ws: ws, observed: true, deployment: tt.dep, pods: tt.pods, blocked: tt.blocked})
			assertCondition(t, ws, webserverv1alpha1.ConditionDegraded, tt.wantStatus, tt.wantReason, tt.wantInMsg)
		})
	}
}

func TestSetUpgradeableOnlyWhilePodsMove(t *testing.T) {
	for rollout, want := range map[rolloutState]metav1.ConditionStatus{
		rolloutProgressing: metav1.ConditionFalse,
		rolloutAbsent:      metav1.ConditionTrue,
		rolloutComplete:    metav1.ConditionTrue,
		rolloutStalled:     metav1.ConditionTrue,
		rolloutPaused:      metav1.ConditionTrue,
	} {
		ws := &webserverv1alpha1.WebServer{}
		setUpgradeableCondition(ws, rollout, nil)
		if got := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionUpgradeable).Status; got != want {
			t.Errorf("rollout %s: Upgradeable=%s, want %s", rollout, got, want)
		}
	}
}

func TestSetConfigValidCondition(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{}
	setConfigValidCondition(ws, configResult{reason: webserverv1alpha1.ReasonConfigMapNotFound, message: `ConfigMap "x" does not exist`}, nil, nil)
	assertCondition(t, ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound, `"x"`)
	rendered := configResult{valid: true, reason: webserverv1alpha1.ReasonConfigRendered, message: "rendered", configMapName: "ws-config-aaa", hash: "aaa"}
	setConfigValidCondition(ws, rendered, nil, nil)
	assertCondition(t, ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigRendered, "rendered")
	emerg := `[emerg] invalid number of arguments in "return" directive in /etc/webserver/nginx.conf:51`
	setConfigValidCondition(ws, rendered, []podProblem{{pod: "p", reason: webserverv1alpha1.ReasonCrashLoop, nginxError: emerg, configMap: "ws-config-old"}}, nil)
	assertCondition(t, ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigRendered, "rendered")
	setConfigValidCondition(ws, rendered, []podProblem{{pod: "p", reason: webserverv1alpha1.ReasonCrashLoop, nginxError: emerg, configMap: "ws-config-aaa"}}, nil)
	assertCondition(t, ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonNginxRejectedConfig, emerg)
}

func assertCondition(t *testing.T, ws *webserverv1alpha1.WebServer, condType string, status metav1.ConditionStatus, reason, inMessage string) {
	t.Helper()
	c := meta.FindStatusCondition(ws.Status.Conditions, condType)
	if c == nil {
		t.Fatalf("no %s condition", condType)
	}
	if c.Status != status || c.Reason != reason {
		t.Errorf("%s = %s/%s (%q), want %s/%s", condType, c.Status, c.Reason, c.Message, status, reason)
	}
	if c.ObservedGeneration != ws.Generation {
		t.Errorf("%s observedGeneration = %d, want %d", condType, c.ObservedGeneration, ws.Generation)
	}
	if inMessage != "" && !strings.Contains(c.Message, inMessage) {
		t.Errorf("%s message %q does not mention %q", condType, c.Message, inMessage)
	}
}
