package docs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// exampleNamespace holds the namespaced examples that name no namespace, as
// `kubectl apply -f` would put them in the current one.
const exampleNamespace = "docs-examples"

// example is one YAML document of a ```yaml block; blocks with another info string
// (```yaml fragment, Helm values) are not Kubernetes objects and are not applied.
type example struct {
	file string
	line int
	doc  string
}

func (e example) String() string { return fmt.Sprintf("%s:%d", e.file, e.line) }

var yamlFence = regexp.MustCompile("^```yaml\\s*$")

// markdownFiles: the README, docs/ and the Helm chart's README.
func markdownFiles() []string {
	root := filepath.Join("..", "..")
	files := []string{filepath.Join(root, "README.md"), filepath.Join(root, "dist", "chart", "README.md")}
	Expect(filepath.WalkDir(filepath.Join(root, "docs"), func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".md") {
			files = append(files, path)
		}
		return err
	})).To(Succeed())
	return files
}

func examplesIn(path string) []example {
	raw, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	Expect(err).NotTo(HaveOccurred())
	var examples []example
	var block *bytes.Buffer
	start := 0
	scanner := bufio.NewScanner(bytes.NewReader(raw))
	for n := 1; scanner.Scan(); n++ {
		line := scanner.Text()
		switch {
		case block == nil && yamlFence.MatchString(line):
			block, start = &bytes.Buffer{}, n+1
		case block != nil && strings.HasPrefix(line, "```"):
			for _, doc := range strings.Split(block.String(), "\n---\n") {
				if strings.TrimSpace(doc) != "" {
					examples = append(examples, example{file: filepath.Base(path), line: start, doc: doc})
				}
			}
			block = nil
		case block != nil:
			block.WriteString(line + "\n")
		}
	}
	Expect(scanner.Err()).NotTo(HaveOccurred())
	return examples
}

func ensureNamespace(ctx context.Context, name string) {
	err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
	if !apierrors.IsAlreadyExists(err) {
		Expect(err).NotTo(HaveOccurred())
	}
}

var _ = Describe("Every YAML example in the documentation", func() {
	It("is accepted by the API server as it is written", func(ctx SpecContext) {
		ensureNamespace(ctx, exampleNamespace)
		var examples []example
		for _, file := range markdownFiles() {
			examples = append(examples, examplesIn(file)...)
		}
		Expect(len(examples)).To(BeNumerically(">=", 5), "the documentation's examples were not found")

		for _, ex := range examples {
			obj := &unstructured.Unstructured{}
			Expect(yaml.Unmarshal([]byte(ex.doc), &obj.Object)).To(Succeed(), "%s: not YAML", ex)
			Expect(obj.GetAPIVersion()).NotTo(BeEmpty(), "%s: a ```yaml block must hold whole objects; mark fragments ```yaml fragment", ex)
			Expect(obj.GetName()).NotTo(BeEmpty(), "%s: the object has no name", ex)
			namespaced, err := admin.IsObjectNamespaced(obj)
			Expect(err).NotTo(HaveOccurred(), "%s: the API server serves no %s", ex, obj.GroupVersionKind())
			if namespaced {
				if obj.GetNamespace() == "" {
					obj.SetNamespace(exampleNamespace)
				}
				ensureNamespace(ctx, obj.GetNamespace())
			}
			Expect(admin.Create(ctx, obj, client.DryRunAll)).To(Succeed(), "%s: %s %s", ex, obj.GetKind(), obj.GetName())
			GinkgoWriter.Printf("%s: %s %s accepted\n", ex, obj.GetKind(), obj.GetName())
		}
	})
})
