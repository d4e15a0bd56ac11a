package controller

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// memoSweepInterval is how often a memo drops entries of objects no WebServer names.
const memoSweepInterval = 10 * time.Minute

// referenceMemo remembers, by namespace/name, facts the reconciler derived from one
// resourceVersion of an object the user owns and WebServers only reference (ConfigMaps,
// Secrets). The cache holds only their metadata; while an object's resourceVersion is the
// one remembered, nothing about it changed and it is not read again. Safe for concurrent
// reconciles.
type referenceMemo[F any] struct {
	mu        sync.Mutex
	entries   map[types.NamespacedName]memoEntry[F]
	lastSweep time.Time
}

type memoEntry[F any] struct {
	resourceVersion string
	facts           F
}

func newReferenceMemo[F any]() referenceMemo[F] {
	return referenceMemo[F]{entries: map[types.NamespacedName]memoEntry[F]{}}
}

// get returns the facts remembered for key at resourceVersion.
func (m *referenceMemo[F]) get(key types.NamespacedName, resourceVersion string) (F, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	entry, ok := m.entries[key]
	if !ok || entry.resourceVersion != resourceVersion {
		var none F
		return none, false
	}
	return entry.facts, true
}

// store keeps facts for key at resourceVersion. When facts of the same resourceVersion
// are already kept and merge is not nil, what is kept is merge(previous, facts).
func (m *referenceMemo[F]) store(key types.NamespacedName, resourceVersion string, facts F, merge func(previous, next F) F) F {
	m.mu.Lock()
	defer m.mu.Unlock()
	if previous, ok := m.entries[key]; ok && merge != nil && previous.resourceVersion == resourceVersion {
		facts = merge(previous.facts, facts)
	}
	m.entries[key] = memoEntry[F]{resourceVersion: resourceVersion, facts: facts}
	return facts
}

// forget drops what is remembered about key.
func (m *referenceMemo[F]) forget(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
}

// sweep drops, at most once per memoSweepInterval, the entries of objects for which
// referenced says no WebServer names them any more.
func (m *referenceMemo[F]) sweep(now time.Time, referenced func(types.NamespacedName) bool) {
	m.mu.Lock()
	if now.Sub(m.lastSweep) < memoSweepInterval {
		m.mu.Unlock()
		return
	}
	m.lastSweep = now
	keys := make([]types.NamespacedName, 0, len(m.entries))
	for k := range m.entries {
		keys = append(keys, k)
	}
	m.mu.Unlock()

	for _, k := range keys {
		if !referenced(k) {
			m.forget(k)
		}
	}
}

func (m *referenceMemo[F]) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
