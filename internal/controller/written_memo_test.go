package controller

import (
	"testing"

	"k8s.io/apimachinery/pkg/types"
)

func TestWrittenVersions(t *testing.T) {
	var w writtenVersions
	key := types.NamespacedName{Namespace: "ns", Name: "site"}
	if w.holds(key, "7") {
		t.Error("a WebServer never written holds nothing")
	}
	w.record(key, "7")
	if !w.holds(key, "7") {
		t.Error("the version of the last write is held")
	}
	if w.holds(key, "6") || w.holds(key, "8") || w.holds(types.NamespacedName{Namespace: "ns", Name: "other"}, "7") {
		t.Error("another version or WebServer is not")
	}
	w.record(key, "")
	if w.holds(key, "") {
		t.Error("a write that returned no version proves nothing")
	}
	w.record(key, "9")
	w.forget(key)
	if w.holds(key, "9") {
		t.Error("a deleted WebServer's version is forgotten")
	}
}
