package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// configMapFacts is what the reconciler derived from one resourceVersion of a user's
// ConfigMap: small, so the memo costs far less than caching the ConfigMaps would.
type configMapFacts struct {
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

// configMapMemo remembers configMapFacts of the user's ConfigMaps (referenceMemo).
type configMapMemo struct {
	referenceMemo[configMapFacts]
}

func newConfigMapMemo() *configMapMemo {
	return &configMapMemo{referenceMemo: newReferenceMemo[configMapFacts]()}
}

// remember derives the facts of cm, the values of keys among them, and keeps them. Keys
// remembered earlier for the same resourceVersion are kept too: WebServers that read
// different keys of one ConfigMap share its entry.
func (m *configMapMemo) remember(cm *corev1.ConfigMap, keys ...string) configMapFacts {
	facts := configMapFacts{
		contentHash: resources.HashData(cm.Data, cm.BinaryData),
		values:      map[string]keyLookup{},
	}
	for _, k := range keys {
		value, found := cm.Data[k]
		facts.values[k] = keyLookup{value: value, found: found}
	}
	return m.store(client.ObjectKeyFromObject(cm), cm.ResourceVersion, facts, func(previous, next configMapFacts) configMapFacts {
		for k, v := range previous.values {
			if _, ok := next.values[k]; !ok {
				next.values[k] = v
			}
		}
		return next
	})
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

	cached, err := cachedMetadata(ctx, r, "ConfigMap", key)
	if err != nil {
		return configMapFacts{}, nil, "", err
	}
	if cached == nil {
		memo.forget(key)
		return configMapFacts{}, nil, missing, nil
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

// sweepReferenceMemos forgets ConfigMaps and Secrets no WebServer of their namespace names
// any more (the field indexes answer from the cache).
func (r *WebServerReconciler) sweepReferenceMemos(ctx context.Context) {
	now := time.Now()
	r.configMapMemo().sweep(now, r.referencedBy(ctx, configMapRefIndex))
	r.secretMemo().sweep(now, r.referencedBy(ctx, secretRefIndex))
}

// referencedBy reports whether a WebServer names an object, by the given field index.
func (r *WebServerReconciler) referencedBy(ctx context.Context, index string) func(types.NamespacedName) bool {
	return func(key types.NamespacedName) bool {
		list := &webserverv1alpha1.WebServerList{}
		if err := r.List(ctx, list, client.InNamespace(key.Namespace), client.MatchingFields{index: key.Name}); err != nil {
			return true
		}
		return len(list.Items) > 0
	}
}
