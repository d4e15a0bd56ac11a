package controller

import (
	"context"
	"fmt"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// memoSweepInterval is how often the memo drops entries of ConfigMaps no WebServer names.
const memoSweepInterval = 10 * time.Minute

// configMapFacts is what the reconciler derived from one resourceVersion of a user's
// ConfigMap: small, so the memo costs far less than caching the ConfigMaps would.
type configMapFacts struct {
	resourceVersion string
	// contentHash is resources.HashData of the ConfigMap's data and binaryData.
	contentHash string
	// values holds the keys read as nginx server config, found or not.
	values map[string]keyLookup
}

type keyLookup struct {
	value string
	found bool
}

// has reports whether the facts answer every one of keys.
func (f configMapFacts) has(keys ...string) bool {
	for _, k := range keys {
		if _, ok := f.values[k]; !ok {
			return false
		}
	}
	return true
}

// configMapMemo remembers configMapFacts by namespace/name. The cache holds only the
// metadata of the user's ConfigMaps; while a ConfigMap's resourceVersion is the one
// remembered, nothing about it changed and it is not read again. Safe for concurrent
// reconciles.
type configMapMemo struct {
	mu        sync.Mutex
	entries   map[types.NamespacedName]configMapFacts
	lastSweep time.Time
}

func newConfigMapMemo() *configMapMemo {
	return &configMapMemo{entries: map[types.NamespacedName]configMapFacts{}}
}

// get returns the facts remembered for key at resourceVersion.
func (m *configMapMemo) get(key types.NamespacedName, resourceVersion string) (configMapFacts, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	facts, ok := m.entries[key]
	if !ok || facts.resourceVersion != resourceVersion {
		return configMapFacts{}, false
	}
	return facts, true
}

// remember derives the facts of cm, the values of keys among them, and keeps them. Keys
// remembered earlier for the same resourceVersion are kept too: WebServers that read
// different keys of one ConfigMap share its entry.
func (m *configMapMemo) remember(cm *corev1.ConfigMap, keys ...string) configMapFacts {
	facts := configMapFacts{
		resourceVersion: cm.ResourceVersion,
		contentHash:     resources.HashData(cm.Data, cm.BinaryData),
		values:          map[string]keyLookup{},
	}
	for _, k := range keys {
		value, found := cm.Data[k]
		facts.values[k] = keyLookup{value: value, found: found}
	}
	key := client.ObjectKeyFromObject(cm)
	m.mu.Lock()
	defer m.mu.Unlock()
	if previous, ok := m.entries[key]; ok && previous.resourceVersion == facts.resourceVersion {
		for k, v := range previous.values {
			if _, ok := facts.values[k]; !ok {
				facts.values[k] = v
			}
		}
	}
	m.entries[key] = facts
	return facts
}

// forget drops what is remembered about key.
func (m *configMapMemo) forget(key types.NamespacedName) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.entries, key)
}

// sweep drops, at most once per memoSweepInterval, the entries of ConfigMaps for which
// referenced says no WebServer names them any more.
func (m *configMapMemo) sweep(now time.Time, referenced func(types.NamespacedName) bool) {
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

func (m *configMapMemo) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}

// configMapMemo is the reconciler's memo, made on first use.
func (r *WebServerReconciler) configMapMemo() *configMapMemo {
	r.memoOnce.Do(func() { r.configMaps = newConfigMapMemo() })
	return r.configMaps
}

// referencedConfigMap returns the facts of the user's ConfigMap name in namespace, with
// the values of keys. Its metadata comes from the cache; it is read from the API server
// only when its resourceVersion is not the remembered one, and then returned as live.
// problem is set, instead of an error, when the ConfigMap does not exist: a retry cannot
// fix that, its creation will trigger a reconcile.
func (r *WebServerReconciler) referencedConfigMap(ctx context.Context, namespace, name, field string, keys ...string) (
	facts configMapFacts, live *corev1.ConfigMap, problem string, err error) {
	memo := r.configMapMemo()
	key := types.NamespacedName{Namespace: namespace, Name: name}
	missing := fmt.Sprintf("ConfigMap %q named in %s does not exist", name, field)

	cached := &metav1.PartialObjectMetadata{}
	cached.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	if err := r.Get(ctx, key, cached); apierrors.IsNotFound(err) {
		memo.forget(key)
		return configMapFacts{}, nil, missing, nil
	} else if err != nil {
		return configMapFacts{}, nil, "", fmt.Errorf("reading ConfigMap %s metadata: %w", name, err)
	}
	if facts, ok := memo.get(key, cached.ResourceVersion); ok && facts.has(keys...) {
		return facts, nil, "", nil
	}

	live, err = r.readConfigMap(ctx, key)
	if apierrors.IsNotFound(err) {
		memo.forget(key)
		return configMapFacts{}, nil, missing, nil
	}
	if err != nil {
		return configMapFacts{}, nil, "", err
	}
	return memo.remember(live, keys...), live, "", nil
}

// readConfigMap reads one of the user's ConfigMaps from the API server.
func (r *WebServerReconciler) readConfigMap(ctx context.Context, key types.NamespacedName) (*corev1.ConfigMap, error) {
	logf.FromContext(ctx).V(1).Info("Reading referenced ConfigMap", "name", key.Name)
	cm := &corev1.ConfigMap{}
	if err := r.APIReader.Get(ctx, key, cm); err != nil {
		return nil, fmt.Errorf("reading ConfigMap %s: %w", key.Name, err)
	}
	return cm, nil
}

// sweepConfigMapMemo forgets ConfigMaps no WebServer of their namespace names any more
// (the field index answers from the cache).
func (r *WebServerReconciler) sweepConfigMapMemo(ctx context.Context) {
	r.configMapMemo().sweep(time.Now(), func(key types.NamespacedName) bool {
		list := &webserverv1alpha1.WebServerList{}
		if err := r.List(ctx, list, client.InNamespace(key.Namespace), client.MatchingFields{configMapRefIndex: key.Name}); err != nil {
			return true
		}
		return len(list.Items) > 0
	})
}
