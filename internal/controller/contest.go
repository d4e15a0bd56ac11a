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
// Drift is repaired at once the first few times; once a child was repaired contestRepairs
// times within contestWindow it is contested: further repairs of it wait until the last one
// is a blocked-recheck interval old, and Degraded names the child and its other writers
// until contestWindow has passed with fewer repairs.
const (
	contestRepairs = 3
	contestWindow  = 5 * time.Minute
)

// contestTracker remembers, per WebServer and child, when this process repaired drift and
// who else wrote the child then.
type contestTracker struct {
	mu       sync.Mutex
	children map[types.NamespacedName]map[string]*contestRecord
	// window overrides contestWindow (tests shorten it).
	window time.Duration
}

func (t *contestTracker) windowLength() time.Duration {
	if t.window > 0 {
		return t.window
	}
	return contestWindow
}

type contestRecord struct {
	repairs []time.Time // the last contestRepairs at most, oldest first
	message string
}

// contest is an active contest over one of a WebServer's children.
type contest struct {
	message string
	// until is when the contest ends unless the child is repaired again.
	until time.Time
}

// held reports whether a repair of child must wait, and the contest's message: it is
// contested and was last repaired less than hold ago.
func (t *contestTracker) held(ws *webserverv1alpha1.WebServer, child string, now time.Time, hold time.Duration) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	record := t.children[contestKey(ws)][child]
	if record == nil || !record.contested(now, t.windowLength()) || now.Sub(record.repairs[len(record.repairs)-1]) >= hold {
		return "", false
	}
	return record.message, true
}

// record notes a repair of child at now; message names its other writers and is asked
// only when the child becomes contested (it may read the child live).
func (t *contestTracker) record(ws *webserverv1alpha1.WebServer, child string, now time.Time, message func() string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := contestKey(ws)
	if t.children == nil {
		t.children = map[types.NamespacedName]map[string]*contestRecord{}
	}
	if t.children[key] == nil {
		t.children[key] = map[string]*contestRecord{}
	}
	record := t.children[key][child]
	if record == nil {
		record = &contestRecord{}
		t.children[key][child] = record
	}
	record.repairs = append(record.repairs, now)
	if len(record.repairs) > contestRepairs {
		record.repairs = slices.Delete(record.repairs, 0, len(record.repairs)-contestRepairs)
	}
	if !record.contested(now, t.windowLength()) {
		record.message = ""
	} else if record.message == "" {
		// Kept for the whole contest, so the condition does not change with each repair.
		record.message = message()
	}
}

// active returns the contest over any child of the WebServer, nil when there is none.
func (t *contestTracker) active(ws *webserverv1alpha1.WebServer, now time.Time) *contest {
	t.mu.Lock()
	defer t.mu.Unlock()
	var found *contest
	for child, record := range t.children[contestKey(ws)] {
		if !record.contested(now, t.windowLength()) {
			if now.Sub(record.repairs[len(record.repairs)-1]) > t.windowLength() {
				delete(t.children[contestKey(ws)], child)
			}
			continue
		}
		c := &contest{message: record.message, until: record.repairs[0].Add(t.windowLength())}
		if found == nil || c.message < found.message {
			found = c
		}
	}
	return found
}

// contested: contestRepairs repairs within window of now.
func (r *contestRecord) contested(now time.Time, window time.Duration) bool {
	return len(r.repairs) >= contestRepairs && now.Sub(r.repairs[0]) <= window
}

// forget drops the records of a deleted WebServer.
func (t *contestTracker) forget(key types.NamespacedName) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.children, key)
}

func contestKey(ws *webserverv1alpha1.WebServer) types.NamespacedName {
	return types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}
}

// contestMessage names the child and the writers other than the operator, from the
// managedFields of the child as someone else left it (read live when observed, a cached
// copy, carries none); a deleted child names no writer.
func (r *WebServerReconciler) contestMessage(ctx context.Context, gvk schema.GroupVersionKind, key client.ObjectKey, observed client.Object) string {
	writers := "a writer that deletes it"
	entries := []metav1.ManagedFieldsEntry(nil)
	if observed != nil {
		entries = observed.GetManagedFields()
		if entries == nil {
			live := &metav1.PartialObjectMetadata{}
			live.SetGroupVersionKind(gvk)
			if err := r.APIReader.Get(ctx, key, live); err == nil {
				entries = live.GetManagedFields()
			}
		}
		writers = "a writer the API server does not name"
	}
	if others := otherFieldManagers(entries); len(others) > 0 {
		writers = "field manager " + strings.Join(others, ", ")
	}
	return fmt.Sprintf("%s %s is also changed by %s: repaired %d times within %s, it is now repaired at most every %s; "+
		"stop the other writer or leave the fields the operator sets to it",
		gvk.Kind, key.Name, writers, contestRepairs, r.contests.windowLength(), r.blockedRecheck())
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
