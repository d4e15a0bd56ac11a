package controller

import (
	"testing"
)

func TestIsSubset(t *testing.T) {
	tests := []struct {
		name     string
		desired  any
		observed any
		want     bool
	}{
		{"equal scalars", "a", "a", true},
		{"different scalars", "a", "b", false},
		{"server defaults ignored", map[string]any{"a": 1.0}, map[string]any{"a": 1.0, "defaulted": true}, true},
		{"missing field", map[string]any{"a": 1.0}, map[string]any{}, false},
		{"empty desired map counts as absent", map[string]any{"annotations": map[string]any{}}, map[string]any{}, true},
		{"explicit false is compared", map[string]any{"automountServiceAccountToken": false}, map[string]any{}, false},
		{"changed nested value", map[string]any{"spec": map[string]any{"replicas": 2.0}}, map[string]any{"spec": map[string]any{"replicas": 7.0}}, false},
		{"list elements matched by content", []any{map[string]any{"name": "b"}}, []any{map[string]any{"name": "a"}, map[string]any{"name": "b", "x": 1.0}}, true},
		{"list element missing", []any{map[string]any{"name": "c"}}, []any{map[string]any{"name": "a"}}, false},
		{"list against absent", []any{"x"}, nil, false},
		{"type mismatch", map[string]any{"a": "1"}, map[string]any{"a": 1.0}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isSubset(tt.desired, tt.observed); got != tt.want {
				t.Errorf("isSubset(%v, %v) = %v, want %v", tt.desired, tt.observed, got, tt.want)
			}
		})
	}
}

func TestHashOfIsStable(t *testing.T) {
	a, _ := hashOf(map[string]any{"x": 1.0, "y": []any{"a", "b"}})
	b, _ := hashOf(map[string]any{"y": []any{"a", "b"}, "x": 1.0})
	c, _ := hashOf(map[string]any{"y": []any{"b", "a"}, "x": 1.0})
	if a != b {
		t.Errorf("hash depends on map order: %s != %s", a, b)
	}
	if a == c {
		t.Errorf("hash ignores list order")
	}
}
