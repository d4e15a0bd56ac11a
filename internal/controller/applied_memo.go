package controller

import (
	"sync"

	"k8s.io/apimachinery/pkg/types"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// appliedMemo remembers, per WebServer and child, the hash of what this process last
// applied or confirmed. A cached child showing another hash is older than that write (the
// cache lags) or was rewritten by someone else: either way it is read live before it is
// compared, so a spec going A→B→A faster than the cache follows never skips an apply.
type appliedMemo struct {
	mu     sync.Mutex
	hashes map[types.NamespacedName]map[string]string
}

// matches reports whether a cached child with the given applied hash can be trusted: true
// when nothing was remembered (a fresh process trusts its fresh cache) or the hashes agree.
func (m *appliedMemo) matches(ws *webserverv1alpha1.WebServer, child, cachedHash string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	last, ok := m.hashes[types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}][child]
	return !ok || last == cachedHash
}

func (m *appliedMemo) remember(ws *webserverv1alpha1.WebServer, child, hash string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	key := types.NamespacedName{Namespace: ws.Namespace, Name: ws.Name}
	if m.hashes == nil {
		m.hashes = map[types.NamespacedName]map[string]string{}
	}
	if m.hashes[key] == nil {
		m.hashes[key] = map[string]string{}
	}
	m.hashes[key][child] = hash
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
