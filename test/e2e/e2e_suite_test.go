// Package e2e runs the operator in a real cluster (make test-e2e starts the local one):
// real nginx pods, real Services, HTTP from the host and from pods.
package e2e

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Set by test/e2e/run.sh.
var (
	proberImage  = envOr("E2E_PROBER_IMAGE", "127.0.0.1:5000/prober:v1")
	nginxImageA  = envOr("E2E_NGINX_IMAGE_A", "127.0.0.1:5000/nginx:1.22-bookworm")
	nginxImageB  = envOr("E2E_NGINX_IMAGE_B", "127.0.0.1:5000/nginx:1.22-slim")
	operatorNS   = envOr("E2E_OPERATOR_NAMESPACE", "webserver-operator-system")
	operatorName = "webserver-operator-controller-manager"
)

var k8s client.Client

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func TestE2E(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "webserver-operator e2e suite")
}

var _ = BeforeSuite(func() {
	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(webserverv1alpha1.AddToScheme(scheme))
	cfg, err := config.GetConfig()
	Expect(err).NotTo(HaveOccurred(), "KUBECONFIG must point at the cluster under test")
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
})
