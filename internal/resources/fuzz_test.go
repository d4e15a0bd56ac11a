package resources

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	apivalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// The CRD's rules on the fuzzed fields (api/v1alpha1): what the API server accepts.
var (
	acceptedName  = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	acceptedImage = regexp.MustCompile(`^[^\s]+$`)
)

// FuzzChildrenOfAcceptedWebServers: every WebServer the API server accepts yields children
// whose metadata the API server accepts too (names, labels, annotations), and no builder
// panics, whatever the name, image, server block and switches.
func FuzzChildrenOfAcceptedWebServers(f *testing.F) {
	f.Add("site", "nginx:1.27", "location / { return 200; }", int32(2), true, false)
	f.Add("a", "registry.example:5000/team/nginx@sha256:0123456789abcdef0123456789abcdef", "", int32(1), false, true)
	f.Add(strings.Repeat("a", 63), strings.Repeat("x", 200)+":"+strings.Repeat("-_.", 40), "{", int32(0), true, true)
	f.Fuzz(func(t *testing.T, name, image, serverBlock string, replicas int32, monitoring, idle bool) {
		if len(name) > 63 || !acceptedName.MatchString(name) || len(image) > 512 || !acceptedImage.MatchString(image) ||
			!utf8.ValidString(serverBlock) || replicas < 0 {
			return
		}
		ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "web", UID: "uid-1"}}
		ws.Spec.Image = image
		ws.Spec.Replicas = ptr.To(replicas)
		ws.Spec.Idle = idle
		ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: serverBlock}
		if monitoring {
			ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
		}
		config := RenderConfig(ws, serverBlock)
		in := WorkloadInputs{Image: image, ConfigMapName: ConfigMapName(ws, config.Hash), Revision: "r1", MetricsImage: "metrics:v1", ReplicasManaged: true}
		children := map[string]any{
			"ConfigMap":           ConfigMap(ws, config),
			"Deployment":          Deployment(ws, in),
			"Service":             Service(ws),
			"ServiceAccount":      ServiceAccount(ws, CurrentTemplateFormat),
			"PodDisruptionBudget": PodDisruptionBudget(ws),
			"Pod":                 ConfigCheckPod(ws, "r1", in),
			"PodMonitor":          PodMonitor(ws),
			"PrometheusRule":      PrometheusRule(ws, AlertThresholdsOf(ws)),
		}
		for kind, child := range children {
			raw, err := json.Marshal(child)
			if err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if string(raw) == "null" {
				continue // this WebServer has no such child
			}
			var object struct {
				Metadata metav1.ObjectMeta `json:"metadata"`
				Spec     struct {
					Template struct {
						Metadata metav1.ObjectMeta `json:"metadata"`
					} `json:"template"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(raw, &object); err != nil {
				t.Fatalf("%s: %v", kind, err)
			}
			if errs := validMetadata(kind, object.Metadata); len(errs) > 0 {
				t.Fatalf("%s of WebServer %q (image %q) would be refused: %v", kind, name, image, errs.ToAggregate())
			}
			if errs := metav1validation.ValidateLabels(object.Spec.Template.Metadata.Labels, field.NewPath("spec", "template", "metadata", "labels")); len(errs) > 0 {
				t.Fatalf("%s's pod template of WebServer %q (image %q) would be refused: %v", kind, name, image, errs.ToAggregate())
			}
		}
	})
}

// validMetadata checks what the API server checks of every object's metadata, with the
// name rules of kind.
func validMetadata(kind string, m metav1.ObjectMeta) field.ErrorList {
	nameRule := apivalidation.NameIsDNSSubdomain
	if kind == "Service" {
		nameRule = apivalidation.NameIsDNS1035Label
	}
	errs := apivalidation.ValidateObjectMeta(&m, true, nameRule, field.NewPath("metadata"))
	if kind == "Pod" && len(m.Name) > validation.DNS1123SubdomainMaxLength {
		errs = append(errs, field.TooLong(field.NewPath("metadata", "name"), m.Name, validation.DNS1123SubdomainMaxLength))
	}
	return errs
}
