// Package e2e runs the operator in a real cluster (make test-e2e starts the local one):
// real nginx pods, real Services, HTTP from the host and from pods.
package e2e

import (
	"os"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv1 "github.com/operator-framework/api/pkg/operators/v1"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/config"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Set by test/e2e/run.sh.
var (
	proberImage = envOr("E2E_PROBER_IMAGE", "127.0.0.1:5000/prober:v1")
	nginxImageA = envOr("E2E_NGINX_IMAGE_A", "127.0.0.1:5000/nginx:1.22-bookworm")
	nginxImageB = envOr("E2E_NGINX_IMAGE_B", "127.0.0.1:5000/nginx:1.22-slim")
	// nginxImageExits passes nginx -t, but its server exits at start.
	nginxImageExits = envOr("E2E_NGINX_IMAGE_EXITS", "127.0.0.1:5000/nginx:1.22-exits-at-start")
	operatorNS      = envOr("E2E_OPERATOR_NAMESPACE", "webserver-operator-system")
	operatorName    = "webserver-operator-controller-manager"

	// The OLM suite's releases (run.sh passes the Makefile's), their images in the local
	// registry, operator-sdk and the CA that signed the registry's certificate.
	currentVer     = envOr("E2E_VERSION", "0.2.0")
	previousVer    = envOr("E2E_PREVIOUS_VERSION", "0.1.0")
	currentBundle  = "127.0.0.1:5000/webserver-operator-bundle:v" + currentVer
	previousBundle = "127.0.0.1:5000/webserver-operator-bundle:v" + previousVer
	catalogImage   = "127.0.0.1:5000/webserver-operator-catalog:v" + currentVer
	indexImage     = envOr("E2E_INDEX_IMAGE", "127.0.0.1:5000/opm:v1.65.0")
	operatorSDKBin = envOr("E2E_OPERATOR_SDK", "../../bin/operator-sdk")
	registryCA     = envOr("E2E_REGISTRY_CA", "../../.cluster/pki/ca.crt")
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
	utilruntime.Must(apiextensionsv1.AddToScheme(scheme))
	utilruntime.Must(operatorsv1alpha1.AddToScheme(scheme))
	utilruntime.Must(operatorsv1.AddToScheme(scheme))
	utilruntime.Must(operatorsv2.AddToScheme(scheme))
	cfg, err := config.GetConfig()
	Expect(err).NotTo(HaveOccurred(), "KUBECONFIG must point at the cluster under test")
	k8s, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())
})
