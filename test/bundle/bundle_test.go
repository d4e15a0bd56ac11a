// Package bundle checks the generated OLM bundle with the validators behind
// `operator-sdk bundle validate --select-optional suite=operatorframework`, so `make test`
// catches a broken CSV without the operator-sdk binary.
package bundle

import (
	"strings"
	"testing"

	"github.com/operator-framework/api/pkg/manifests"
	"github.com/operator-framework/api/pkg/validation"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
)

const bundleDir = "../../bundle"

func TestBundlePassesOperatorFrameworkValidators(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(bundleDir)
	if err != nil {
		t.Fatalf("reading %s: %v", bundleDir, err)
	}
	validators := validation.DefaultBundleValidators.WithValidators(
		validation.OperatorHubV2Validator,
		validation.StandardCapabilitiesValidator,
		validation.StandardCategoriesValidator,
		validation.AlphaDeprecatedAPIsValidator,
		validation.GoodPracticesValidator,
	)
	for _, result := range validators.Validate(bundle) {
		for _, e := range result.Errors {
			t.Errorf("error: %s", e.Error())
		}
		for _, w := range result.Warnings {
			t.Errorf("warning: %s", w.Error())
		}
	}
}

// TestEveryFieldHasADescriptor: the OperatorHub UI shows only what has a descriptor.
func TestEveryFieldHasADescriptor(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(bundleDir)
	if err != nil {
		t.Fatalf("reading %s: %v", bundleDir, err)
	}
	if len(bundle.CSV.Spec.CustomResourceDefinitions.Owned) != 1 || len(bundle.V1CRDs) != 1 {
		t.Fatalf("want one owned CRD, got %d in the CSV and %d in the bundle",
			len(bundle.CSV.Spec.CustomResourceDefinitions.Owned), len(bundle.V1CRDs))
	}
	owned := bundle.CSV.Spec.CustomResourceDefinitions.Owned[0]
	schema := bundle.V1CRDs[0].Spec.Versions[0].Schema.OpenAPIV3Schema

	described := map[string]bool{}
	for _, d := range owned.SpecDescriptors {
		described["spec."+d.Path] = true
	}
	for _, d := range owned.StatusDescriptors {
		described["status."+d.Path] = true
	}
	for _, section := range []string{"spec", "status"} {
		for _, path := range fieldPaths(schema.Properties[section], section) {
			if !described[path] {
				t.Errorf("%s has no CSV descriptor", path)
			}
		}
	}
	for path := range described {
		if !hasPath(schema, path) {
			t.Errorf("descriptor %s names no field of the CRD", path)
		}
	}
}

// fieldPaths lists the fields of the WebServer's own types; it stops at Kubernetes types
// (resources, affinity, ...), which carry a single descriptor of their own.
func fieldPaths(s apiextensionsv1.JSONSchemaProps, prefix string) []string {
	paths := make([]string, 0, len(s.Properties))
	for name, prop := range s.Properties {
		path := prefix + "." + name
		paths = append(paths, path)
		if ownType(path) {
			paths = append(paths, fieldPaths(prop, path)...)
		}
	}
	return paths
}

func ownType(path string) bool {
	for _, opaque := range []string{"resources", "podTemplate.affinity", "podTemplate.tolerations", "podTemplate.topologySpreadConstraints",
		"podTemplate.env", "autoscaling.behavior", "status.conditions", "annotations", "nodeSelector"} {
		if strings.HasSuffix(path, opaque) {
			return false
		}
	}
	return true
}

func hasPath(s *apiextensionsv1.JSONSchemaProps, path string) bool {
	current := *s
	for _, part := range strings.Split(path, ".") {
		next, ok := current.Properties[part]
		if !ok {
			return false
		}
		current = next
	}
	return true
}

// TestEveryFieldIsExplained: `kubectl explain webserver --recursive` prints each field's
// description from the CRD schema, so none may be empty, down to Kubernetes' own types.
func TestEveryFieldIsExplained(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(bundleDir)
	if err != nil {
		t.Fatalf("reading %s: %v", bundleDir, err)
	}
	schema := bundle.V1CRDs[0].Spec.Versions[0].Schema.OpenAPIV3Schema
	for _, section := range []string{"spec", "status"} {
		for _, path := range undescribed(schema.Properties[section], section) {
			t.Errorf("%s has no description for kubectl explain", path)
		}
	}
}

func undescribed(s apiextensionsv1.JSONSchemaProps, path string) []string {
	var missing []string
	if s.Description == "" {
		missing = append(missing, path)
	}
	for name, prop := range s.Properties {
		missing = append(missing, undescribed(prop, path+"."+name)...)
	}
	if s.Items != nil && s.Items.Schema != nil {
		for name, prop := range s.Items.Schema.Properties {
			missing = append(missing, undescribed(prop, path+"[]."+name)...)
		}
	}
	return missing
}

// TestWideOutputShowsWhereTheSiteAnswers: `kubectl get ws -o wide` adds the URL and the
// Ingress host to the default columns.
func TestWideOutputShowsWhereTheSiteAnswers(t *testing.T) {
	bundle, err := manifests.GetBundleFromDir(bundleDir)
	if err != nil {
		t.Fatalf("reading %s: %v", bundleDir, err)
	}
	wide := map[string]string{}
	for _, c := range bundle.V1CRDs[0].Spec.Versions[0].AdditionalPrinterColumns {
		if c.Priority > 0 {
			wide[c.Name] = c.JSONPath
		}
	}
	for name, path := range map[string]string{"URL": ".status.url", "Host": ".spec.ingress.host", "Revision": ".status.currentRevision"} {
		if wide[name] != path {
			t.Errorf("-o wide column %s: want %s, got %q", name, path, wide[name])
		}
	}
}
