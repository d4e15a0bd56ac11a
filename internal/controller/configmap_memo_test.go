package controller

import (
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

func userConfigMap(name, resourceVersion string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: name, ResourceVersion: resourceVersion},
		Data:       data,
	}
}

func TestConfigMapMemo(t *testing.T) {
	key := types.NamespacedName{Namespace: "web", Name: "server"}
	v1 := userConfigMap("server", "1", map[string]string{"server.conf": "a", "other.conf": "b"})

	tests := []struct {
		name      string
		remember  []*corev1.ConfigMap
		keys      [][]string // per remember
		askRV     string
		askKeys   []string
		wantHit   bool
		wantValue map[string]keyLookup
	}{
		{"nothing remembered", nil, nil, "1", nil, false, nil},
		{"same resourceVersion", []*corev1.ConfigMap{v1}, [][]string{{"server.conf"}}, "1", []string{"server.conf"},
			true, map[string]keyLookup{"server.conf": {value: "a", found: true}}},
		{"changed since", []*corev1.ConfigMap{v1}, [][]string{{"server.conf"}}, "2", []string{"server.conf"}, false, nil},
		{"key not asked before", []*corev1.ConfigMap{v1}, [][]string{{"server.conf"}}, "1", []string{"other.conf"}, false, nil},
		{"absent key remembered as absent", []*corev1.ConfigMap{v1}, [][]string{{"nope"}}, "1", []string{"nope"},
			true, map[string]keyLookup{"nope": {}}},
		{"keys of one resourceVersion merge", []*corev1.ConfigMap{v1, v1}, [][]string{{"server.conf"}, {"other.conf"}}, "1",
			[]string{"server.conf", "other.conf"}, true,
			map[string]keyLookup{"server.conf": {value: "a", found: true}, "other.conf": {value: "b", found: true}}},
		{"a new resourceVersion replaces", []*corev1.ConfigMap{v1, userConfigMap("server", "2", map[string]string{"server.conf": "c"})},
			[][]string{{"other.conf"}, {"server.conf"}}, "2", []string{"other.conf"}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			memo := newConfigMapMemo()
			for i, cm := range tt.remember {
				memo.remember(cm, tt.keys[i]...)
			}
			facts, ok := memo.get(key, tt.askRV)
			hit := ok && facts.has(tt.askKeys...)
			if hit != tt.wantHit {
				t.Fatalf("hit = %v, want %v (facts %+v)", hit, tt.wantHit, facts)
			}
			for k, want := range tt.wantValue {
				if got := facts.values[k]; got != want {
					t.Errorf("%s = %+v, want %+v", k, got, want)
				}
			}
			if hit && facts.contentHash != resources.HashData(tt.remember[len(tt.remember)-1].Data, nil) {
				t.Errorf("content hash %q is not the data's", facts.contentHash)
			}
		})
	}
}

func TestConfigMapMemoForgetsWhatNoWebServerNames(t *testing.T) {
	memo := newConfigMapMemo()
	memo.remember(userConfigMap("used", "1", nil))
	memo.remember(userConfigMap("unused", "1", nil))
	referenced := func(key types.NamespacedName) bool { return key.Name == "used" }

	start := time.Now()
	memo.sweep(start, referenced)
	if _, ok := memo.get(types.NamespacedName{Namespace: "web", Name: "unused"}, "1"); ok {
		t.Error("an unreferenced ConfigMap is still remembered")
	}
	if _, ok := memo.get(types.NamespacedName{Namespace: "web", Name: "used"}, "1"); !ok {
		t.Error("a referenced ConfigMap was forgotten")
	}

	memo.remember(userConfigMap("unused", "1", nil))
	memo.sweep(start.Add(time.Minute), referenced)
	if memo.len() != 2 {
		t.Error("swept again before memoSweepInterval")
	}
	memo.sweep(start.Add(memoSweepInterval), referenced)
	if memo.len() != 1 {
		t.Error("not swept after memoSweepInterval")
	}

	memo.forget(types.NamespacedName{Namespace: "web", Name: "used"})
	if memo.len() != 0 {
		t.Error("forget kept the entry")
	}
}

// Run with -race: reconciles of several workers share the memo.
func TestConfigMapMemoConcurrentUse(t *testing.T) {
	memo := newConfigMapMemo()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				cm := userConfigMap(fmt.Sprintf("cm-%d", j%5), fmt.Sprint(j%3), map[string]string{"k": fmt.Sprint(i)})
				memo.remember(cm, "k")
				memo.get(keyOf(cm), cm.ResourceVersion)
				if j%50 == 0 {
					memo.forget(keyOf(cm))
					memo.sweep(time.Now().Add(time.Duration(j)*memoSweepInterval), func(types.NamespacedName) bool { return true })
				}
			}
		}()
	}
	wg.Wait()
}

func keyOf(cm *corev1.ConfigMap) types.NamespacedName {
	return types.NamespacedName{Namespace: cm.Namespace, Name: cm.Name}
}
