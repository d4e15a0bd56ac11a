package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// appliedMemo remembers, per WebServer and child, the hash of what this process last
// applied or confirmed. A cached child showing another hash is older than that write (the
// cache lags) or was rewritten by someone else: either way it is read live before it is
// compared, so a spec going A→B→A faster than the cache follows never skips an apply.
// For a child cached trimmed it also remembers the fingerprint the child had then.
type appliedMemo struct {
	mu     sync.Mutex
	hashes map[types.NamespacedName]map[string]appliedRecord
}

type appliedRecord struct {
	hash, fingerprint string
	// intent identifies the apply configuration that was applied or found held, and
	// resourceVersion the child's version then: while both stand, the child still holds
	// it, and a pass confirms it without rendering or comparing anything.
	intent          uint64
	resourceVersion string
}

// unchanged reports whether the cached child is the version this process last found
// holding intent (or, trimmed, has the fingerprint it had then: only its status moved).
func (m *appliedMemo) unchanged(ws *webserverv1alpha1.WebServer, child string, intent uint64, observed client.Object) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.hashes[types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}][child]
	if !ok || last.intent != intent {
		return false
	}
	if last.resourceVersion != "" && last.resourceVersion == observed.GetResourceVersion() {
		return true
	}
	fingerprint := observed.GetAnnotations()[annotationObservedFingerprint]
	return fingerprint != "" && fingerprint == last.fingerprint
}

// matches reports whether a cached child with the given applied hash can be trusted: true
// when nothing was remembered (a fresh process trusts its fresh cache) or the hashes agree.
func (m *appliedMemo) matches(ws *webserverv1alpha1.WebServer, child, cachedHash string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.hashes[types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}][child]
	return !ok || last.hash == cachedHash
}

// confirmed reports whether a trimmed cached child is known to hold what hash applies:
// this process found it so, or wrote it, when it had this fingerprint.
func (m *appliedMemo) confirmed(ws *webserverv1alpha1.WebServer, child, hash, fingerprint string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.hashes[types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}][child]
	return ok && fingerprint != "" && last.hash == hash && last.fingerprint == fingerprint
}

// remember records what the child holds: hash, the intent it came from, its version, and
// its fingerprint when it is cached trimmed ("" else).
func (m *appliedMemo) remember(ws *webserverv1alpha1.WebServer, child string, record appliedRecord) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}
	if m.hashes == nil {
		m.hashes = map[types.NamespacedName]map[string]appliedRecord{}
	}
	if m.hashes[key] == nil {
		m.hashes[key] = map[string]appliedRecord{}
	}
	m.hashes[key][child] = record
}

// forget drops what was remembered about a deleted WebServer and says whether there was
// anything.
func (m *appliedMemo) forget(key types.NamespacedName) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.hashes[key]
	delete(m.hashes, key)
	return ok
}
