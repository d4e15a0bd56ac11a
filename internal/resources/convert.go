package resources

import (
	"encoding/json"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"
)

// asApplyConfiguration copies a typed API value the user gave in the spec into its
// apply configuration. Both share the JSON form, so a round trip is exact.
func asApplyConfiguration[T any](in any) *T {
	raw, err := json.Marshal(in)
	if err != nil {
		panic(fmt.Sprintf("marshalling %T: %v", in, err))
	}
	out := new(T)
	if err := json.Unmarshal(raw, out); err != nil {
		panic(fmt.Sprintf("unmarshalling %T: %v", out, err))
	}
	return out
}

func toleration(t corev1.Toleration) *corev1ac.TolerationApplyConfiguration {
	return asApplyConfiguration[corev1ac.TolerationApplyConfiguration](t)
}

func affinity(a *corev1.Affinity) *corev1ac.AffinityApplyConfiguration {
	return asApplyConfiguration[corev1ac.AffinityApplyConfiguration](a)
}

func topologySpread(t corev1.TopologySpreadConstraint) *corev1ac.TopologySpreadConstraintApplyConfiguration {
	return asApplyConfiguration[corev1ac.TopologySpreadConstraintApplyConfiguration](t)
}

func envVar(e corev1.EnvVar) *corev1ac.EnvVarApplyConfiguration {
	return asApplyConfiguration[corev1ac.EnvVarApplyConfiguration](e)
}

func resourceMustParse(q string) resource.Quantity {
	return resource.MustParse(q)
}
