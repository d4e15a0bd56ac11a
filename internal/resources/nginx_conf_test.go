package resources

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const readyPath = "/ready"

func siteWith(mutate func(*webserverv1alpha1.WebServer)) *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: "web", Name: "site"}}
	if mutate != nil {
		mutate(ws)
	}
	return ws
}

func inlineOf(ws *webserverv1alpha1.WebServer) string {
	if ws.Spec.Config != nil {
		return ws.Spec.Config.Inline
	}
	return ""
}

// The hashes name the ConfigMaps running pods mount: a new operator version that renders
// an existing spec differently would restart every pod of the fleet.
func TestRenderedConfigOfExistingSpecsIsUnchanged(t *testing.T) {
	for name, tt := range map[string]struct {
		ws   *webserverv1alpha1.WebServer
		hash string
	}{
		"defaults": {siteWith(nil), "d56ce596ff"},
		"inline config and port": {siteWith(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Port = 9090
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {\n    return 200 'hi';\n}\n"}
		}), "4d4841e055"},
		"content and cpu limit": {siteWith(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"}
			ws.Spec.Resources = &corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("2")}}
		}), "b0dd0c8b08"},
	} {
		if got := RenderConfig(tt.ws, inlineOf(tt.ws)).Hash; got != tt.hash {
			t.Errorf("%s: config hash %s, want %s", name, got, tt.hash)
		}
	}
}

func TestRenderNginxConfTLSAndAuth(t *testing.T) {
	tls := func(redirect *bool, servicePort int32) func(*webserverv1alpha1.WebServer) {
		return func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert", RedirectHTTP: redirect, ServicePort: servicePort}
		}
	}
	for name, tt := range map[string]struct {
		mutate       func(*webserverv1alpha1.WebServer)
		want, absent []string
	}{
		"tls redirects http": {tls(nil, 0),
			[]string{"listen 8443 ssl;", "ssl_certificate /etc/webserver/secret/tls.crt;", "ssl_certificate_key /etc/webserver/secret/tls.key;",
				"listen 8080;\n        return 301 https://$host$request_uri;"},
			[]string{"auth_basic", "allow 127.0.0.1"}},
		"redirect names a service port other than 443": {tls(nil, 8443), []string{"return 301 https://$host:8443$request_uri;"}, nil},
		"tls without redirect serves both": {tls(ptr.To(false), 0),
			[]string{"listen 8443 ssl;\n        listen 8080;\n"}, []string{"return 301"}},
		"basic auth in front of the user's server block, not the health answer": {func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
		}, []string{"listen 8080;\n        auth_basic \"site\";\n        auth_basic_user_file /etc/webserver/secret/htpasswd;",
			"location / {\n            proxy_pass http://webserver_site;", "server unix:/tmp/site.sock;",
			"server {\n        listen unix:/tmp/site.sock;\n        root", "allow 127.0.0.1;\n            deny all;\n            stub_status;"},
			[]string{"ssl", "auth_basic off"}},
		"basic auth lets the readiness path through, over HTTPS with tls": {func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
			ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
			ws.Spec.ReadinessPath = readyPath
		}, []string{"listen 8443 ssl;\n        ssl_certificate", "location = /ready {\n            auth_basic off;", "listen unix:/tmp/site.sock;", "return 301"},
			nil},
	} {
		conf := RenderNginxConf(siteWith(tt.mutate), "", corev1.ResourceRequirements{})
		for _, w := range tt.want {
			if !strings.Contains(conf, w) {
				t.Errorf("%s: nginx.conf lacks %q:\n%s", name, w, conf)
			}
		}
		for _, a := range tt.absent {
			if strings.Contains(conf, a) {
				t.Errorf("%s: nginx.conf has %q:\n%s", name, a, conf)
			}
		}
		if health := strings.Index(conf, HealthPath); health < 0 || strings.Contains(conf, "auth_basic") && strings.Index(conf, "auth_basic") < health {
			t.Errorf("%s: access control must not cover the health endpoint", name)
		}
	}
}
