package v1alpha1

import (
	"reflect"
	"testing"

	"k8s.io/utils/ptr"
)

func TestDesiredReplicas(t *testing.T) {
	tests := []struct {
		name     string
		spec     WebServerSpec
		expected int32
	}{
		{"default", WebServerSpec{}, 1},
		{"set", WebServerSpec{Replicas: ptr.To[int32](4)}, 4},
		{"idle wins", WebServerSpec{Replicas: ptr.To[int32](4), Idle: true}, 0},
	}
	for _, tt := range tests {
		if got := (&WebServer{Spec: tt.spec}).DesiredReplicas(); got != tt.expected {
			t.Errorf("%s: DesiredReplicas() = %d, want %d", tt.name, got, tt.expected)
		}
	}
}

func TestReferencedConfigMaps(t *testing.T) {
	tests := []struct {
		name     string
		spec     WebServerSpec
		expected []string
	}{
		{"none", WebServerSpec{}, nil},
		{"inline config", WebServerSpec{Config: &ConfigSpec{Inline: "x"}}, nil},
		{"config and content", WebServerSpec{
			Config:  &ConfigSpec{ConfigMapRef: &ConfigMapKeyReference{Name: "conf"}},
			Content: &ContentSpec{ConfigMapName: "pages"},
		}, []string{"conf", "pages"}},
		{"same map for both", WebServerSpec{
			Config:  &ConfigSpec{ConfigMapRef: &ConfigMapKeyReference{Name: "site"}},
			Content: &ContentSpec{ConfigMapName: "site"},
		}, []string{"site"}},
	}
	for _, tt := range tests {
		if got := (&WebServer{Spec: tt.spec}).ReferencedConfigMaps(); !reflect.DeepEqual(got, tt.expected) {
			t.Errorf("%s: ReferencedConfigMaps() = %v, want %v", tt.name, got, tt.expected)
		}
	}
}

func TestImageOrDefault(t *testing.T) {
	if got := (&WebServer{}).ImageOrDefault("nginx:default"); got != "nginx:default" {
		t.Errorf("unset image: %s", got)
	}
	if got := (&WebServer{Spec: WebServerSpec{Image: "nginx:mine"}}).ImageOrDefault("nginx:default"); got != "nginx:mine" {
		t.Errorf("set image: %s", got)
	}
}
