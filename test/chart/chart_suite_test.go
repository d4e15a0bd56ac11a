// Package chart tests the Helm chart in dist/chart: it must install what config/default and
// config/policy install, honour its values, and be accepted by a real kube-apiserver (envtest).
// It runs bin/helm and bin/kustomize, which `make test` builds.
package chart

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
)

const (
	helmBin      = "../../bin/helm"
	kustomizeBin = "../../bin/kustomize"
	chartDir     = "../../dist/chart"
	release      = "webserver-operator"
	// defaultNamespace is config/default's namespace: renderings compared with kustomize's use it.
	defaultNamespace = "webserver-operator-system"
)

var (
	testEnv   *envtest.Environment
	k8sClient client.Client
	// kubeVersion is envtest's: a helm built by go install would otherwise assume 1.20,
	// older than the chart's kubeVersion.
	kubeVersion string
)

func TestChart(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Helm Chart Suite")
}

var _ = BeforeSuite(func() {
	// No CRDs: the chart's own CRD is applied by the tests.
	testEnv = &envtest.Environment{}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())
	k8sClient, err = client.New(cfg, client.Options{})
	Expect(err).NotTo(HaveOccurred())
	version, err := discovery.NewDiscoveryClientForConfigOrDie(cfg).ServerVersion()
	Expect(err).NotTo(HaveOccurred())
	kubeVersion = version.GitVersion
})

var _ = AfterSuite(func() {
	Expect(testEnv.Stop()).To(Succeed())
})

// helmTemplate runs helm template for the chart in namespace with extra flags (--set ...).
func helmTemplate(namespace string, flags ...string) ([]byte, error) {
	args := append([]string{"template", release, chartDir, "--namespace", namespace, "--kube-version", kubeVersion}, flags...)
	return command(helmBin, args...)
}

// render is helmTemplate that must succeed, decoded.
func render(namespace string, flags ...string) []*unstructured.Unstructured {
	out, err := helmTemplate(namespace, flags...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return decode(out)
}

// setFlags turns key=value pairs into helm --set flags.
func setFlags(values ...string) []string {
	flags := make([]string, 0, 2*len(values))
	for _, v := range values {
		flags = append(flags, "--set", v)
	}
	return flags
}

// kustomizeBuild renders a kustomization of config/.
func kustomizeBuild(dir string) []*unstructured.Unstructured {
	out, err := command(kustomizeBin, "build", "../../config/"+dir)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return decode(out)
}

func command(name string, args ...string) ([]byte, error) {
	var stderr bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, errors.New(name + " " + strings.Join(args, " ") + ": " + err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// decode splits a YAML stream into objects, skipping empty documents.
func decode(raw []byte) []*unstructured.Unstructured {
	var objs []*unstructured.Unstructured
	reader := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(raw)))
	for {
		doc, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		ExpectWithOffset(1, err).NotTo(HaveOccurred())
		var obj map[string]any
		ExpectWithOffset(1, yaml.Unmarshal(doc, &obj)).To(Succeed(), string(doc))
		if len(obj) > 0 {
			objs = append(objs, &unstructured.Unstructured{Object: obj})
		}
	}
}

// key names an object by kind and name, which the chart keeps equal to kustomize's.
func key(obj *unstructured.Unstructured) string {
	return obj.GetKind() + "/" + obj.GetName()
}

// find returns the object of that kind and name, or nil.
func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, obj := range objs {
		if obj.GetKind() == kind && obj.GetName() == name {
			return obj
		}
	}
	return nil
}

// field returns a nested field (nil when missing).
func field(obj *unstructured.Unstructured, path ...string) any {
	ExpectWithOffset(1, obj).NotTo(BeNil())
	value, _, err := unstructured.NestedFieldNoCopy(obj.Object, path...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred())
	return value
}
