package controller

import (
	"slices"
	"unique"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Decoding gives every cached object its own copy of each string, though a fleet's
// thousands of children carry the same few label and annotation keys, owner kinds and
// namespaces, and the children of one WebServer the same label values. The cache's
// transforms make them share one copy. unique holds a copy only while some handle does:
// strings that no cached object uses any more are collected as before.

func intern(s string) string {
	if s == "" {
		return s
	}
	return unique.Make(s).Value()
}

// internedMap is m with interned keys and values; nil stays nil.
func internedMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[intern(k)] = intern(v)
	}
	return out
}

// internMetadata interns what an object's metadata shares with other objects': its
// namespace, labels, annotation keys (values are mostly hashes, unique to the object) and
// owner references' API versions and kinds. The annotations named in dropped are left
// out; annotations left empty become nil.
func internMetadata(obj metav1.Object, dropped ...string) {
	obj.SetNamespace(intern(obj.GetNamespace()))
	if labels := obj.GetLabels(); labels != nil {
		obj.SetLabels(internedMap(labels))
	}
	if annotations := obj.GetAnnotations(); annotations != nil {
		var kept map[string]string
		for k, v := range annotations {
			if slices.Contains(dropped, k) {
				continue
			}
			if kept == nil {
				kept = make(map[string]string, len(annotations))
			}
			kept[intern(k)] = v
		}
		obj.SetAnnotations(kept)
	}
	if refs := obj.GetOwnerReferences(); len(refs) > 0 {
		for i := range refs {
			refs[i].APIVersion, refs[i].Kind = intern(refs[i].APIVersion), intern(refs[i].Kind)
		}
		obj.SetOwnerReferences(refs)
	}
}

// internSelectors interns the label selectors of the children that have them, which
// repeat the WebServer's labels.
func internSelectors(obj any) {
	switch o := obj.(type) {
	case *appsv1.Deployment:
		if o.Spec.Selector != nil {
			o.Spec.Selector.MatchLabels = internedMap(o.Spec.Selector.MatchLabels)
		}
		internMetadata(&o.Spec.Template.ObjectMeta)
	case *corev1.Service:
		o.Spec.Selector = internedMap(o.Spec.Selector)
	}
}
