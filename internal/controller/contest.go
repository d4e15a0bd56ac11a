package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// A child that another writer keeps changing (a second controller, a script, a GitOps tool
// holding its own copy) would have that writer and the operator undo each other in a loop.
// Drift is repaired at once the first few times; past contestRepairs repairs of one child
// within contestWindow, further repairs of it wait until the last one is a blocked-recheck
// interval old, and Degraded names the child and its other writers meanwhile.
const (
	contestRepairs = 3
	contestWindow  = 5 * time.Minute
)

// contestTracker remembers, per WebServer and child, when this process repaired drift.
type contestTracker struct {
	mu      sync.Mutex
	repairs map[types.NamespacedName]map[string][]time.Time
}

// held reports whether a repair of child must wait: it was repaired contestRepairs times
// within contestWindow, the last time less than hold ago.
func (t *contestTracker) held(ws *webserverv1alpha1.WebServer, child string, now time.Time, hold time.Duration) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	recent := t.recent(ws, child, now)
	return len(recent) >= contestRepairs && now.Sub(recent[len(recent)-1]) < hold
}

// record notes a repair of child at now.
func (t *contestTracker) record(ws *webserverv1alpha1.WebServer, child string, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}
	if t.repairs == nil {
		t.repairs = map[types.NamespacedName]map[string][]time.Time{}
	}
	if t.repairs[key] == nil {
		t.repairs[key] = map[string][]time.Time{}
	}
	kept := t.recent(ws, child, now)
	if len(kept) == contestRepairs {
		kept = kept[1:]
	}
	t.repairs[key][child] = append(kept, now)
}

// recent is the child's repairs within contestWindow of now, oldest first (lock held).
func (t *contestTracker) recent(ws *webserverv1alpha1.WebServer, child string, now time.Time) []time.Time {
	all := t.repairs[types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}][child]
	first := 0
	for first < len(all) && now.Sub(all[first]) > contestWindow {
		first++
	}
	// Only the last contestRepairs matter: the slice never grows past that.
	return slices.Clone(all[max(first, len(all)-contestRepairs):])
}

// forget drops the records of a deleted WebServer.
func (t *contestTracker) forget(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.repairs, key)
}

// contested is the blocked pass of a child whose repair is held, naming its other writers.
func (r *WebServerReconciler) contested(ctx context.Context, gvk schema.GroupVersionKind, key client.ObjectKey) error {
	writers := "a writer that deletes it"
	live := &metav1.PartialObjectMetadata{}
	live.SetGroupVersionKind(gvk)
	if err := r.APIReader.Get(ctx, key, live); err == nil {
		writers = "no other field manager (the API server rewrites a field the operator sets)"
		if others := otherFieldManagers(live.GetManagedFields()); len(others) > 0 {
			writers = "field manager " + strings.Join(others, ", ")
		}
	}
	return blocked(webserverv1alpha1.ReasonChildContested,
		"%s %s is also changed by %s: repaired %d times within %s, it is now repaired at most every %s; stop the other writer or leave the fields the operator sets to it",
		gvk.Kind, key.Name, writers, contestRepairs, contestWindow, r.blockedRecheck())
}

// otherFieldManagers lists the managers other than the operator that own fields of the
// object itself (not its status), most recent first.
func otherFieldManagers(entries []metav1.ManagedFieldsEntry) []string {
	entries = slices.Clone(entries)
	slices.SortStableFunc(entries, func(a, b metav1.ManagedFieldsEntry) int {
		return timeOf(b).Compare(timeOf(a))
	})
	var names []string
	for _, e := range entries {
		if e.Manager != FieldOwner && e.Subresource == "" && !slices.Contains(names, fmt.Sprintf("%q", e.Manager)) {
			names = append(names, fmt.Sprintf("%q", e.Manager))
		}
	}
	return names
}

func timeOf(e metav1.ManagedFieldsEntry) time.Time {
	if e.Time == nil {
		return time.Time{}
	}
	return e.Time.Time
}
