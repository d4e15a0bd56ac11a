package controller

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

func TestContestTrackerHoldsRepairsPastTheThreshold(t *testing.T) {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "site"}}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	hold := 30 * time.Second
	tests := []struct {
		name    string
		repairs []time.Duration // after start
		at      time.Duration
		held    bool
	}{
		{name: "never repaired", at: 0, held: false},
		{name: "fewer repairs than the threshold", repairs: []time.Duration{0, time.Second}, at: 2 * time.Second, held: false},
		{name: "threshold reached, last repair recent", repairs: []time.Duration{0, time.Second, 2 * time.Second}, at: 3 * time.Second, held: true},
		{name: "threshold reached, last repair a hold ago", repairs: []time.Duration{0, time.Second, 2 * time.Second}, at: 2*time.Second + hold, held: false},
		{name: "old repairs leave the window", repairs: []time.Duration{0, time.Second, 2 * time.Second}, at: contestWindow + time.Second, held: false},
		{name: "many repairs keep it held", repairs: []time.Duration{0, 1, 2, 3, 4, 5, 6, 7}, at: 8, held: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tracker contestTracker
			for _, r := range tc.repairs {
				tracker.record(ws, "Deployment/site", start.Add(r), func() string { return "contested" })
			}
			if message, got := tracker.held(ws, "Deployment/site", start.Add(tc.at), hold); got != tc.held || (got && message != "contested") {
				t.Errorf("held = %v (%q), want %v", got, message, tc.held)
			}
			if _, got := tracker.held(ws, "Service/site", start.Add(tc.at), hold); got {
				t.Error("another child is held too")
			}
			if record := tracker.children[types.NamespacedName{Namespace: "web", Name: "site"}]["Deployment/site"]; record != nil && len(record.repairs) > contestRepairs {
				t.Errorf("%d repairs kept, want at most %d", len(record.repairs), contestRepairs)
			}
		})
	}
}

func TestOtherFieldManagersMostRecentFirst(t *testing.T) {
	at := func(minute int) *metav1.Time {
		return ptr.To(metav1.NewTime(time.Date(2026, 1, 1, 0, minute, 0, 0, time.UTC)))
	}
	got := otherFieldManagers([]metav1.ManagedFieldsEntry{
		{Manager: FieldOwner, Operation: metav1.ManagedFieldsOperationApply, Time: at(5)},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationUpdate, Time: at(1)},
		{Manager: "kube-controller-manager", Operation: metav1.ManagedFieldsOperationUpdate, Subresource: "status", Time: at(9)},
		{Manager: "argocd-controller", Operation: metav1.ManagedFieldsOperationApply, Time: at(3)},
		{Manager: "kubectl-edit", Operation: metav1.ManagedFieldsOperationApply, Time: at(2)},
	})
	want := []string{`"argocd-controller"`, `"kubectl-edit"`}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("otherFieldManagers = %v, want %v", got, want)
	}
}

var _ = Describe("A child another writer keeps changing", func() {
	var namespace string
	ctx := context.Background()
	BeforeEach(func() { namespace = newNamespace(ctx) })

	It("is reported as contested with the other field manager named, its repairs held, and released once the writer stops", func() {
		createWebServer(ctx, namespace, "tug", nil)
		rollOut(ctx, namespace, "tug")
		eventuallyCondition(ctx, namespace, "tug", webserverv1alpha1.ConditionProgressing, metav1.ConditionFalse, webserverv1alpha1.ReasonRolloutComplete)
		repairs := func() float64 {
			return testutil.ToFloat64(metrics.DriftRepairsTotal.WithLabelValues(namespace, "tug", "Deployment"))
		}

		By("scaling the Deployment behind the operator's back, over and over, as another controller would")
		writes, done := 0, make(chan struct{})
		go func() {
			defer GinkgoRecover()
			defer close(done)
			for until := time.Now().Add(8 * time.Second); time.Now().Before(until); time.Sleep(50 * time.Millisecond) {
				dep := &appsv1.Deployment{}
				Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "tug"}, dep)).To(Succeed())
				if ptr.Deref(dep.Spec.Replicas, 0) != 5 {
					dep.Spec.Replicas = ptr.To[int32](5)
					if k8sClient.Update(ctx, dep, client.FieldOwner("rogue-scaler")) == nil {
						writes++
					}
				}
			}
		}()
		ws := eventuallyCondition(ctx, namespace, "tug", webserverv1alpha1.ConditionDegraded, metav1.ConditionTrue, webserverv1alpha1.ReasonChildContested)
		Expect(apimeta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded).Message).
			To(And(ContainSubstring("Deployment tug"), ContainSubstring(`"rogue-scaler"`)))
		<-done
		Expect(eventReasons(ctx, namespace, "tug")).NotTo(ContainElement("Recovered"), "Degraded holds through the contest")
		GinkgoWriter.Printf("the other writer scaled the Deployment %d times; the operator repaired it %.0f times\n", writes, repairs())
		// Three at once, then at most one per recheck interval (2 s here) over the 8 s: the
		// other writer, which acts on each repair, is held to the same pace.
		Expect(writes).To(BeNumerically(">", contestRepairs))
		Expect(repairs()).To(BeNumerically("<=", contestRepairs+8/2+1))

		By("the writer stopping: the next repair holds, and the condition clears once the window (15 s here) passed without one")
		eventuallyDeployment(ctx, namespace, "tug", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(1))))
		})
		eventuallyCondition(ctx, namespace, "tug", webserverv1alpha1.ConditionDegraded, metav1.ConditionFalse, webserverv1alpha1.ReasonAsExpected)
	})
})
