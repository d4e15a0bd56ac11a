package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/maphash"
	"reflect"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// AnnotationAppliedHash records, on every child, the hash of what the operator last
// applied. A different hash means the spec changed; the same hash with fields that no
// longer match means someone else changed the child (drift).
const AnnotationAppliedHash = "webserver.dev/applied-hash"

// childApplyConfiguration is the apply configuration of a child of a known kind and name.
type childApplyConfiguration interface {
	runtime.ApplyConfiguration
	GetKind() *string
	GetName() *string
}

// unstructuredChild is the apply configuration of a child of a kind without Go types
// (the Prometheus operator's); it encodes as the object itself.
type unstructuredChild struct {
	*unstructured.Unstructured
}

func (unstructuredChild) IsApplyConfiguration() {}

func (c unstructuredChild) GetKind() *string { return ptr.To(c.Unstructured.GetKind()) }

func (c unstructuredChild) GetName() *string { return ptr.To(c.Unstructured.GetName()) }

// intentSeed keys intentOf: its values are compared within this process only.
var intentSeed = maphash.MakeSeed()

// intentOf identifies an apply configuration by its JSON form (struct fields in order,
// map keys sorted), one encoding without the map round trip of toMap.
func intentOf(desired runtime.ApplyConfiguration) (uint64, error) {
	raw, err := json.Marshal(desired)
	if err != nil {
		return 0, fmt.Errorf("marshalling %T: %w", desired, err)
	}
	return maphash.Bytes(intentSeed, raw), nil
}

// toMap renders an API value (typed object or apply configuration) in its JSON form.
func toMap(obj any) (map[string]any, error) {
	raw, err := json.Marshal(obj)
	if err != nil {
		return nil, fmt.Errorf("marshalling %T: %w", obj, err)
	}
	out := map[string]any{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("unmarshalling %T: %w", obj, err)
	}
	return out, nil
}

// hashOf is a stable hash of a JSON form (encoding/json sorts map keys).
func hashOf(m map[string]any) (string, error) {
	raw, err := json.Marshal(m)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])[:16], nil
}

// isSubset reports whether observed holds every field of desired with the same value.
// Fields desired does not set (server defaults, other managers' fields) are ignored;
// each element of a desired list must match some element of the observed list.
func isSubset(desired, observed any) bool {
	switch d := desired.(type) {
	case map[string]any:
		o, ok := observed.(map[string]any)
		if !ok {
			return false
		}
		for k, dv := range d {
			ov, found := o[k]
			if !found || !isSubset(dv, ov) {
				if !found && isEmpty(dv) {
					continue
				}
				return false
			}
		}
		return true
	case []any:
		o, ok := observed.([]any)
		if !ok {
			return len(d) == 0 && observed == nil
		}
		for _, dv := range d {
			if !containsSubset(o, dv) {
				return false
			}
		}
		return true
	default:
		return reflect.DeepEqual(desired, observed)
	}
}

func containsSubset(list []any, want any) bool {
	for _, item := range list {
		if isSubset(want, item) {
			return true
		}
	}
	return false
}

// isEmpty treats what the API server drops on write (null, {}, []) as absent. Explicit
// false and 0 are compared: the operator sets them on purpose (e.g. no token mount).
func isEmpty(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	default:
		return false
	}
}
