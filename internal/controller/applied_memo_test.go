package controller

import (
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

func TestAppliedMemoConfirmsATrimmedChildByHashAndFingerprint(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "site"}}
	var m appliedMemo
	if m.confirmed(ws, "Deployment/site", "h1", "f1") {
		t.Error("a child never applied nor compared is not confirmed")
	}
	m.remember(ws, "Deployment/site", appliedRecord{hash: "h1", fingerprint: "f1", intent: 42, resourceVersion: "7"})
	for _, tc := range []struct {
		hash, fingerprint string
		want              bool
	}{
		{"h1", "f1", true},  // the same desired fields, the child as last seen: whatever the intent and version
		{"h2", "f1", false}, // other desired fields
		{"h1", "f2", false}, // the child changed since
		{"h1", "", false},   // not cached trimmed
	} {
		if got := m.confirmed(ws, "Deployment/site", tc.hash, tc.fingerprint); got != tc.want {
			t.Errorf("confirmed(%q, %q) = %v, want %v", tc.hash, tc.fingerprint, got, tc.want)
		}
	}
	if m.confirmed(ws, "Service/site", "h1", "f1") {
		t.Error("another child is not confirmed by this one's record")
	}
}
