package controller

import (
	"context"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	ws "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

func TestTransitionEvent(t *testing.T) {
	cond := func(condType string, status metav1.ConditionStatus, reason string) *metav1.Condition {
		return &metav1.Condition{Type: condType, Status: status, Reason: reason, Message: "why"}
	}
	const (
		yes, no, unknown = metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown
		normal, warning  = corev1.EventTypeNormal, corev1.EventTypeWarning
	)
	cases := []struct {
		name          string
		before, after *metav1.Condition
		eventType     string // "" when no event is expected
		reason        string
	}{
		{"site comes up", cond(ws.ConditionAvailable, no, ws.ReasonCreating), cond(ws.ConditionAvailable, yes, ws.ReasonMinimumReplicasAvailable), normal, ws.ReasonMinimumReplicasAvailable},
		{"site goes down", cond(ws.ConditionAvailable, yes, ws.ReasonMinimumReplicasAvailable), cond(ws.ConditionAvailable, no, ws.ReasonNoReplicasAvailable), warning, ws.ReasonNoReplicasAvailable},
		{"Service deleted", cond(ws.ConditionAvailable, yes, ws.ReasonMinimumReplicasAvailable), cond(ws.ConditionAvailable, no, ws.ReasonServiceMissing), warning, ws.ReasonServiceMissing},
		{"scaled to zero by idle", cond(ws.ConditionAvailable, yes, ws.ReasonMinimumReplicasAvailable), cond(ws.ConditionAvailable, no, ws.ReasonIdle), normal, ws.ReasonIdle},
		{"new pods start", cond(ws.ConditionAvailable, no, ws.ReasonCreating), cond(ws.ConditionAvailable, no, ws.ReasonNoReplicasAvailable), "", ""},
		{"new WebServer", nil, cond(ws.ConditionAvailable, no, ws.ReasonCreating), "", ""},
		{"available count changes", cond(ws.ConditionAvailable, yes, ws.ReasonMinimumReplicasAvailable), cond(ws.ConditionAvailable, yes, ws.ReasonMinimumReplicasAvailable), "", ""},

		{"pods crash", cond(ws.ConditionDegraded, no, ws.ReasonAsExpected), cond(ws.ConditionDegraded, yes, ws.ReasonCrashLoop), warning, ws.ReasonCrashLoop},
		{"cause changes", cond(ws.ConditionDegraded, yes, ws.ReasonImagePullFailed), cond(ws.ConditionDegraded, yes, ws.ReasonProgressDeadlineExceeded), warning, ws.ReasonProgressDeadlineExceeded},
		{"recovered", cond(ws.ConditionDegraded, yes, ws.ReasonReplicasUnavailable), cond(ws.ConditionDegraded, no, ws.ReasonAsExpected), normal, ReasonRecovered},
		{"new and healthy", nil, cond(ws.ConditionDegraded, no, ws.ReasonAsExpected), "", ""},
		{"new and blocked", nil, cond(ws.ConditionDegraded, yes, ws.ReasonSecretNotFound), warning, ws.ReasonSecretNotFound},

		{"nginx refuses", cond(ws.ConditionConfigValid, unknown, ws.ReasonValidating), cond(ws.ConditionConfigValid, no, ws.ReasonNginxRejectedConfig), warning, ws.ReasonNginxRejectedConfig},
		{"config fixed", cond(ws.ConditionConfigValid, no, ws.ReasonConfigMapNotFound), cond(ws.ConditionConfigValid, yes, ws.ReasonConfigRendered), normal, ws.ReasonConfigRendered},
		{"checking", cond(ws.ConditionConfigValid, yes, ws.ReasonConfigRendered), cond(ws.ConditionConfigValid, unknown, ws.ReasonValidating), normal, ws.ReasonValidating},
		{"first config", nil, cond(ws.ConditionConfigValid, yes, ws.ReasonConfigRendered), "", ""},

		{"certificate expires soon", cond(ws.ConditionCertificateValid, yes, ws.ReasonCertificateValid), cond(ws.ConditionCertificateValid, no, ws.ReasonCertificateExpiresSoon), warning, ws.ReasonCertificateExpiresSoon},
		{"certificate renewed", cond(ws.ConditionCertificateValid, no, ws.ReasonCertificateExpired), cond(ws.ConditionCertificateValid, yes, ws.ReasonCertificateValid), normal, ws.ReasonCertificateValid},

		{"autoscaler scales", cond(ws.ConditionProgressing, no, ws.ReasonRolloutComplete), cond(ws.ConditionProgressing, yes, ws.ReasonScaling), normal, ws.ReasonScaling},
		{"rollout stalls", cond(ws.ConditionProgressing, yes, ws.ReasonUpgrading), cond(ws.ConditionProgressing, no, ws.ReasonProgressDeadlineExceeded), warning, ws.ReasonProgressDeadlineExceeded},
		{"rollout completes", cond(ws.ConditionProgressing, yes, ws.ReasonUpgrading), cond(ws.ConditionProgressing, no, ws.ReasonRolloutComplete), "", ""},
		{"pass blocked", cond(ws.ConditionProgressing, no, ws.ReasonRolloutComplete), cond(ws.ConditionProgressing, no, ws.ReasonChildRejected), "", ""},

		{"operator upgrade held", cond(ws.ConditionUpgradeable, yes, ws.ReasonAsExpected), cond(ws.ConditionUpgradeable, no, ws.ReasonRolloutInProgress), "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e, ok := transitionEvent(c.before, *c.after)
			if c.eventType == "" {
				if ok {
					t.Fatalf("want no event, got %+v", e)
				}
				return
			}
			if !ok || e.eventType != c.eventType || e.reason != c.reason {
				t.Fatalf("want %s %s, got %+v (sent: %t)", c.eventType, c.reason, e, ok)
			}
			if want := c.after.Type + " is " + string(c.after.Status) + " (" + c.after.Reason + "): why"; e.note != want {
				t.Fatalf("note %q, want %q", e.note, want)
			}
		})
	}
}

// eventTypes maps the reasons of the events about the WebServer "told" to their types.
func eventTypes(ctx context.Context, namespace string) map[string]string {
	const name = "told"
	list := &eventsv1.EventList{}
	ExpectWithOffset(1, k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
	types := map[string]string{}
	for _, e := range list.Items {
		if e.Regarding.Kind == "WebServer" && e.Regarding.Name == name {
			types[e.Reason] = e.Type
		}
	}
	return types
}

var _ = Describe("Events", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("tell the site coming up, going down, degrading and recovering", func() {
		createWebServer(ctx, namespace, "told", func(w *ws.WebServer) { w.Spec.Replicas = ptr.To[int32](2) })
		rollOut(ctx, namespace, "told")
		eventuallyCondition(ctx, namespace, "told", ws.ConditionAvailable, metav1.ConditionTrue, ws.ReasonMinimumReplicasAvailable)
		Eventually(func() map[string]string { return eventTypes(ctx, namespace) }).WithTimeout(timeout).
			Should(HaveKeyWithValue(ws.ReasonMinimumReplicasAvailable, corev1.EventTypeNormal))

		createPod(ctx, namespace, "told", "told-abc", &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"})
		loseAvailability(ctx, namespace, "told")
		eventuallyCondition(ctx, namespace, "told", ws.ConditionDegraded, metav1.ConditionTrue, ws.ReasonCrashLoop)
		Eventually(func() map[string]string { return eventTypes(ctx, namespace) }).WithTimeout(timeout).
			Should(HaveKeyWithValue(ws.ReasonCrashLoop, corev1.EventTypeWarning))

		writeDeployment(ctx, namespace, "told", true, func(dep *appsv1.Deployment) error {
			dep.Status.ReadyReplicas, dep.Status.AvailableReplicas, dep.Status.UnavailableReplicas = 0, 0, 2
			return nil
		})
		eventuallyCondition(ctx, namespace, "told", ws.ConditionAvailable, metav1.ConditionFalse, ws.ReasonNoReplicasAvailable)
		Eventually(func() map[string]string { return eventTypes(ctx, namespace) }).WithTimeout(timeout).
			Should(HaveKeyWithValue(ws.ReasonNoReplicasAvailable, corev1.EventTypeWarning))

		Expect(k8sClient.Delete(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "told-abc"}})).To(Succeed())
		rollOut(ctx, namespace, "told")
		eventuallyCondition(ctx, namespace, "told", ws.ConditionDegraded, metav1.ConditionFalse, ws.ReasonAsExpected)
		Eventually(func() map[string]string { return eventTypes(ctx, namespace) }).WithTimeout(timeout).
			Should(HaveKeyWithValue(ReasonRecovered, corev1.EventTypeNormal))
	})
})
