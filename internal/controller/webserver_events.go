package controller

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// ReasonRecovered is the event reason of Degraded turning False: the web server runs as
// its spec asks again.
const ReasonRecovered = "Recovered"

// announce records an event about the pass's WebServer and remembers its reason, so
// announceTransitions does not tell the same change twice.
func (r *WebServerReconciler) announce(s *scope, related runtime.Object, eventType, reason, action, note string, args ...any) {
	if s.announced == nil {
		s.announced = map[string]bool{}
	}
	s.announced[reason] = true
	r.Recorder.Eventf(s.ws, related, eventType, reason, action, note, args...)
}

// announceTransitions sends an event for every condition this pass changed that no
// dedicated event (Created, UpgradeStarted, RolledBack, a blocked pass, ...) already told,
// so every change of state shows in `kubectl get events`. It runs once the status stands.
func (r *WebServerReconciler) announceTransitions(s *scope) {
	for _, after := range s.ws.Status.Conditions {
		before := meta.FindStatusCondition(s.originalStatus.Conditions, after.Type)
		e, ok := transitionEvent(before, after)
		if !ok || s.announced[e.reason] || s.announced[toldBy[e.reason]] {
			continue
		}
		r.announce(s, nil, e.eventType, e.reason, "Observe", "%s", e.note)
	}
}

// toldBy names the dedicated event that tells a Progressing reason when the operator's own
// change caused it; a change it did not make (an autoscaler scaling) still gets its event.
var toldBy = map[string]string{
	webserverv1alpha1.ReasonCreating:    "Created",
	webserverv1alpha1.ReasonUpgrading:   "UpgradeStarted",
	webserverv1alpha1.ReasonScaling:     "Scaled",
	webserverv1alpha1.ReasonRollingBack: webserverv1alpha1.ReasonRolledBack,
	webserverv1alpha1.ReasonCanary:      "CanaryStarted",
}

type conditionEvent struct {
	eventType, reason, note string
}

// transitionEvent is the event that tells a condition's change from before (nil when it
// is new) to after, if that change is one users should hear of:
//   - Available: only when it crosses True and False (a new WebServer's pods starting up
//     are told by Progressing's Created; the site going down is a Warning);
//   - Degraded, ConfigValid, CertificateValid: a change of status or reason; a problem is a
//     Warning, its end Normal; a new condition only when it reports a problem;
//   - Progressing: a change of reason while it is True, and its deadline passing;
//   - Upgradeable is not told: it follows Progressing, for OLM.
func transitionEvent(before *metav1.Condition, after metav1.Condition) (conditionEvent, bool) {
	if before != nil && before.Status == after.Status && before.Reason == after.Reason {
		return conditionEvent{}, false
	}
	note := fmt.Sprintf("%s is %s (%s)", after.Type, after.Status, after.Reason)
	if after.Message != "" {
		note += ": " + after.Message
	}
	e := conditionEvent{eventType: corev1.EventTypeNormal, reason: after.Reason, note: note}
	problem := false
	switch after.Type {
	case webserverv1alpha1.ConditionAvailable:
		wasAvailable := before != nil && before.Status == metav1.ConditionTrue
		if wasAvailable == (after.Status == metav1.ConditionTrue) {
			return conditionEvent{}, false
		}
		problem = wasAvailable && after.Reason != webserverv1alpha1.ReasonIdle
	case webserverv1alpha1.ConditionDegraded:
		problem = after.Status == metav1.ConditionTrue
		if !problem {
			e.reason = ReasonRecovered
		}
	case webserverv1alpha1.ConditionConfigValid, webserverv1alpha1.ConditionCertificateValid:
		problem = after.Status == metav1.ConditionFalse
	case webserverv1alpha1.ConditionProgressing:
		problem = after.Reason == webserverv1alpha1.ReasonProgressDeadlineExceeded
		if !problem && after.Status != metav1.ConditionTrue {
			// RolloutComplete is told by UpgradeCompleted; a blocked pass by Degraded.
			return conditionEvent{}, false
		}
	default:
		return conditionEvent{}, false
	}
	if before == nil && !problem {
		return conditionEvent{}, false
	}
	if problem {
		e.eventType = corev1.EventTypeWarning
	}
	return e, true
}
