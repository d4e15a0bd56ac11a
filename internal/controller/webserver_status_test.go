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

var stalled = appsv1.DeploymentStatus{ObservedGeneration: 2, Conditions: []appsv1.DeploymentCondition{{
	Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded",
}}}

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
	tests := []struct {
		name       string
		idle       bool
		tls        bool
		dep        *appsv1.Deployment
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  string
	}{
		{"creating", false, false, nil, metav1.ConditionFalse, webserverv1alpha1.ReasonCreating, "does not exist"},
		{"serving", false, false, deployment(2, "a", "c", settled(2)), metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable, "2 of 2 pods available"},
		{"partly serving", false, false, deployment(3, "a", "c", appsv1.DeploymentStatus{AvailableReplicas: 1}), metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable, "1 of 3"},
		{"idle", true, false, deployment(0, "a", "c", settled(0)), metav1.ConditionFalse, webserverv1alpha1.ReasonIdle, "spec.idle"},
		{"down", false, false, deployment(2, "a", "c", appsv1.DeploymentStatus{}), metav1.ConditionFalse, webserverv1alpha1.ReasonNoReplicasAvailable, "0 of 2"},
		{"unsupported fields named", false, true, deployment(1, "a", "c", settled(1)), metav1.ConditionTrue, webserverv1alpha1.ReasonMinimumReplicasAvailable, "ignored: spec.tls"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &webserverv1alpha1.WebServer{}
			ws.Generation = 4
			ws.Spec.Idle = tt.idle
			if tt.tls {
				ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
			}
			setAvailableCondition(ws, tt.dep)
			assertCondition(t, ws, webserverv1alpha1.ConditionAvailable, tt.wantStatus, tt.wantReason, tt.wantInMsg)
		})
	}
}

func TestSetDegradedCondition(t *testing.T) {
	replicaFailure := appsv1.DeploymentStatus{ObservedGeneration: 2, Conditions: []appsv1.DeploymentCondition{{
		Type: appsv1.DeploymentReplicaFailure, Status: corev1.ConditionTrue, Message: "exceeded quota",
	}}}
	tests := []struct {
		name       string
		dep        *appsv1.Deployment
		rollout    rolloutState
		wantStatus metav1.ConditionStatus
		wantReason string
		wantInMsg  string
	}{
		{"healthy", deployment(2, "a", "c", settled(2)), rolloutComplete, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, ""},
		{"stalled", deployment(2, "a", "c", stalled), rolloutStalled, metav1.ConditionTrue, webserverv1alpha1.ReasonProgressDeadlineExceeded, "did not become ready"},
		{"replica failure", deployment(2, "a", "c", replicaFailure), rolloutProgressing, metav1.ConditionTrue, webserverv1alpha1.ReasonReplicaFailure, "exceeded quota"},
		{"all pods ready after scaling", deployment(3, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3, AvailableReplicas: 3}), rolloutComplete, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, ""},
		{"ready below desired", deployment(3, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 1, AvailableReplicas: 3}), rolloutComplete, metav1.ConditionTrue, webserverv1alpha1.ReasonReplicasUnavailable, "1 of 3"},
		{"rolling out is not degraded", deployment(3, "a", "c", appsv1.DeploymentStatus{ObservedGeneration: 2, Replicas: 4, UpdatedReplicas: 1}), rolloutProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ws := &webserverv1alpha1.WebServer{}
			setDegradedCondition(ws, tt.dep, tt.rollout, "")
			assertCondition(t, ws, webserverv1alpha1.ConditionDegraded, tt.wantStatus, tt.wantReason, tt.wantInMsg)
		})
	}
}

func TestSetUpgradeableFollowsProgressing(t *testing.T) {
	for _, progressing := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse} {
		ws := &webserverv1alpha1.WebServer{}
		setCondition(ws, webserverv1alpha1.ConditionProgressing, progressing, webserverv1alpha1.ReasonUpgrading, "")
		setUpgradeableCondition(ws)
		want := metav1.ConditionTrue
		if progressing == metav1.ConditionTrue {
			want = metav1.ConditionFalse
		}
		if got := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionUpgradeable).Status; got != want {
			t.Errorf("Progressing=%s: Upgradeable=%s, want %s", progressing, got, want)
		}
	}
}

func TestSetConfigValidCondition(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{}
	setConfigValidCondition(ws, configResult{reason: webserverv1alpha1.ReasonConfigMapNotFound, message: `ConfigMap "x" does not exist`})
	assertCondition(t, ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonConfigMapNotFound, `"x"`)
	setConfigValidCondition(ws, configResult{valid: true, reason: webserverv1alpha1.ReasonConfigRendered, message: "rendered"})
	assertCondition(t, ws, webserverv1alpha1.ConditionConfigValid, metav1.ConditionTrue, webserverv1alpha1.ReasonConfigRendered, "rendered")
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
