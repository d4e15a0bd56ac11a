package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/webserver-operator/webserver-operator/test/harness"
)

// waitConverged waits until every resource's status reports its generation with
// conditions, every resource has its children and no transient object is left. It
// follows the namespace by watches (a list, then the changes), so the harness costs the
// API server the same at every fleet size: polling lists of N objects every second
// would load it more as N grows, and bend the curve it measures.
func waitConverged(ctx context.Context, c client.WithWatch, o options, n int, template []byte, start time.Time,
	manager *harness.Process) error {
	probe, err := resourceFrom(template, o.namespace, "x")
	if err != nil {
		return err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	resources := &followed{}
	go resources.follow(ctx, c, o.namespace, func() client.ObjectList {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(probe.GroupVersionKind().GroupVersion().WithKind(probe.GetKind() + "List"))
		return list
	}, func(obj client.Object) bool { return isConverged(obj.(*unstructured.Unstructured)) })
	children := make([]*followed, len(o.children))
	transient := make([]*followed, len(o.transient))
	for i, kind := range append(append([]string{}, o.children...), o.transient...) {
		gvk, err := parseKind(kind)
		if err != nil {
			return err
		}
		f := &followed{}
		if i < len(children) {
			children[i] = f
		} else {
			transient[i-len(children)] = f
		}
		go f.follow(ctx, c, o.namespace, func() client.ObjectList {
			list := &metav1.PartialObjectMetadataList{}
			list.SetGroupVersionKind(gvk.GroupVersion().WithKind(gvk.Kind + "List"))
			return list
		}, func(client.Object) bool { return true })
	}

	last := -1
	for {
		converged := resources.count()
		for _, f := range children {
			converged = min(converged, f.count())
		}
		for _, f := range transient {
			converged = min(converged, n-f.count())
		}
		if converged == n {
			return nil
		}
		if converged != last {
			fmt.Fprintf(os.Stderr, "  %s: %d of %d converged\n", time.Since(start).Round(time.Second), converged, n)
			last = converged
		}
		if time.Since(start) > o.timeout {
			return fmt.Errorf("%d of %d converged after %s", converged, n, o.timeout)
		}
		if manager.Exited() {
			return fmt.Errorf("%d of %d converged when the manager exited (a memory limit's OOM kill shows in dmesg; log: %s)",
				converged, n, manager.LogPath())
		}
		time.Sleep(time.Second)
	}
}

// followed is what a list and watch of one kind in the namespace shows: for each object,
// whether it counts.
type followed struct {
	mu      sync.Mutex
	objects map[string]bool
}

// count is how many objects count; -1 until the first list arrived.
func (f *followed) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.objects == nil {
		return -1
	}
	counted := 0
	for _, counts := range f.objects {
		if counts {
			counted++
		}
	}
	return counted
}

// follow lists the kind, then watches it from the list's version, and lists again
// whenever the watch ends, as an informer's reflector does.
func (f *followed) follow(ctx context.Context, c client.WithWatch, namespace string, newList func() client.ObjectList,
	counts func(client.Object) bool) {
	for ctx.Err() == nil {
		list := newList()
		if err := c.List(ctx, list, client.InNamespace(namespace)); err != nil {
			time.Sleep(time.Second)
			continue
		}
		objects := map[string]bool{}
		for _, obj := range metaItems(list) {
			objects[obj.GetName()] = counts(obj)
		}
		f.mu.Lock()
		f.objects = objects
		f.mu.Unlock()

		w, err := c.Watch(ctx, newList(), client.InNamespace(namespace),
			&client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: list.GetResourceVersion()}})
		if err != nil {
			continue
		}
		for event := range w.ResultChan() {
			obj, ok := event.Object.(client.Object)
			if !ok || event.Type == watch.Error {
				break
			}
			f.mu.Lock()
			switch event.Type {
			case watch.Added, watch.Modified:
				f.objects[obj.GetName()] = counts(obj)
			case watch.Deleted:
				delete(f.objects, obj.GetName())
			}
			f.mu.Unlock()
		}
		w.Stop()
	}
}

// metaItems are a list's items as objects.
func metaItems(list client.ObjectList) []client.Object {
	switch l := list.(type) {
	case *unstructured.UnstructuredList:
		out := make([]client.Object, len(l.Items))
		for i := range l.Items {
			out[i] = &l.Items[i]
		}
		return out
	case *metav1.PartialObjectMetadataList:
		out := make([]client.Object, len(l.Items))
		for i := range l.Items {
			out[i] = &l.Items[i]
		}
		return out
	}
	return nil
}

// isConverged: status reports the current generation (status.observedGeneration, or every
// condition's observedGeneration when the status has none of its own) and holds conditions;
// conditions that carry no generation must not be Unknown.
func isConverged(u *unstructured.Unstructured) bool {
	conditions, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	if len(conditions) == 0 {
		return false
	}
	if observed, found, _ := unstructured.NestedInt64(u.Object, "status", "observedGeneration"); found {
		return observed == u.GetGeneration()
	}
	for _, c := range conditions {
		m, _ := c.(map[string]any)
		g, _, _ := unstructured.NestedInt64(m, "observedGeneration")
		status, _, _ := unstructured.NestedString(m, "status")
		// Conditions that do not name a generation count once they are decided.
		if (g != 0 && g != u.GetGeneration()) || (g == 0 && status == "Unknown") {
			return false
		}
	}
	return true
}

// parseKind reads "group/version/Kind" ("v1/Kind" for the core group).
func parseKind(kind string) (schema.GroupVersionKind, error) {
	i := strings.LastIndex(kind, "/")
	if i < 0 {
		return schema.GroupVersionKind{}, fmt.Errorf("child kind %q is not group/version/Kind", kind)
	}
	gv, err := schema.ParseGroupVersion(kind[:i])
	if err != nil {
		return schema.GroupVersionKind{}, err
	}
	return gv.WithKind(kind[i+1:]), nil
}
