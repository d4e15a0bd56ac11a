package controller

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	appsv1ac "k8s.io/client-go/applyconfigurations/apps/v1"

	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// observedTemplateFormat is the format of a Deployment's pod template: what its
// annotation says, format 1 without one (older operators wrote none), the current format
// for a Deployment that does not exist yet.
func observedTemplateFormat(dep *appsv1.Deployment) resources.TemplateFormat {
	if dep == nil {
		return resources.CurrentTemplateFormat
	}
	if _, ok := dep.Annotations[resources.AnnotationTemplateFormat]; !ok {
		return resources.TemplateFormat1
	}
	// Any annotated Deployment was built by an operator that knows the current format.
	return resources.CurrentTemplateFormat
}

// chooseTemplateFormat decides which format to build the pod template in. A Deployment
// an older operator built (format 1) keeps format 1 as long as the format-1 template for
// the current spec (format1, built by resources.Deployment) is what it runs: an operator
// upgrade alone restarts no pod. As soon as the pods have to roll anyway (image, config,
// content, restartedAt, resources, env, ...), they roll to the current format in the
// same rollout. There is no way back: a Deployment on the current format stays there.
func chooseTemplateFormat(observed *appsv1.Deployment, format1 *appsv1ac.DeploymentApplyConfiguration) (resources.TemplateFormat, error) {
	if observedTemplateFormat(observed) != resources.TemplateFormat1 {
		return resources.CurrentTemplateFormat, nil
	}
	if format1.Spec == nil || format1.Spec.Template == nil {
		return resources.CurrentTemplateFormat, nil
	}
	desired, err := toMap(format1.Spec.Template)
	if err != nil {
		return 0, fmt.Errorf("comparing pod templates: %w", err)
	}
	running, err := toMap(observed.Spec.Template)
	if err != nil {
		return 0, fmt.Errorf("comparing pod templates: %w", err)
	}
	// The comparison applyChild makes: fields the API server defaulted are ignored.
	if isSubset(desired, running) {
		return resources.TemplateFormat1, nil
	}
	return resources.CurrentTemplateFormat, nil
}
