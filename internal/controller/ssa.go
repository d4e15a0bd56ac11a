package controller

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
)

// AnnotationAppliedHash records, on every child, the hash of what the operator last
// applied. A different hash means the spec changed; the same hash with fields that no
// longer match means someone else changed the child (drift).
const AnnotationAppliedHash = "webserver.dev/applied-hash"

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
