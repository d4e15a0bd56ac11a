package controller

import (
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// observedTemplateFormat is the format of a Deployment's pod template: what its
// annotation says, format 1 without one (older operators wrote none), the current format
// for a Deployment that does not exist yet or names a format this operator does not know.
func observedTemplateFormat(dep *appsv1.Deployment) resources.TemplateFormat {
	if dep == nil {
		return resources.CurrentTemplateFormat
	}
	value, ok := dep.Annotations[resources.AnnotationTemplateFormat]
	if !ok {
		return resources.TemplateFormat1
	}
	format, err := strconv.Atoi(value)
	if err != nil || format < int(resources.TemplateFormat2) || format > int(resources.CurrentTemplateFormat) {
		return resources.CurrentTemplateFormat
	}
	return resources.TemplateFormat(format)
}

// templateBuilder builds the Deployment for the current spec in a given format.
type templateBuilder func(resources.TemplateFormat) *appsv1ac.DeploymentApplyConfiguration

// chooseTemplateFormat decides which format to build the pod template in. A Deployment
// an older operator built keeps its format as long as the template build makes in that
// format for the current spec is what it runs: an operator upgrade alone restarts no pod.
// As soon as the pods have to roll anyway (image, config, content, restartedAt,
// resources, env, ...), they roll to the current format in the same rollout. There is no
// way back to an older format.
func chooseTemplateFormat(observed *appsv1.Deployment, build templateBuilder) (resources.TemplateFormat, error) {
	format := observedTemplateFormat(observed)
	if format == resources.CurrentTemplateFormat {
		return format, nil
	}
	older := build(format)
	if older.Spec == nil || older.Spec.Template == nil {
		return resources.CurrentTemplateFormat, nil
	}
	desired, err := toMap(older.Spec.Template)
	if err != nil {
		return 0, fmt.Errorf("comparing pod templates: %w", err)
	}
	running, err := toMap(observed.Spec.Template)
	if err != nil {
		return 0, fmt.Errorf("comparing pod templates: %w", err)
	}
	// The comparison applyChild makes: fields the API server defaulted are ignored.
	if isSubset(desired, running) {
		return format, nil
	}
	return resources.CurrentTemplateFormat, nil
}
