package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
)

// writtenVersions remembers, per WebServer, the resourceVersion of this process's last
// status write. A cached WebServer of that version holds every decision this process
// recorded, which is all cacheIsFresh asks, so the pass needs no live read to know it.
type writtenVersions struct {
	mu       sync.Mutex
	versions map[types.NamespacedName]string
}

func (w *writtenVersions) record(key types.NamespacedName, resourceVersion string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.versions == nil {
		w.versions = map[types.NamespacedName]string{}
	}
	w.versions[key] = resourceVersion
}

// holds reports whether resourceVersion is the one this process last wrote.
func (w *writtenVersions) holds(key types.NamespacedName, resourceVersion string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	last, ok := w.versions[key]
	return ok && last != "" && last == resourceVersion
}

func (w *writtenVersions) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.versions, key)
}
