package metrics

import (
	"os"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestReferenceDescribesEveryMetric(t *testing.T) {
	families, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	described := 0
	for _, c := range Collectors {
		descs := make(chan *prometheus.Desc, 8)
		c.Describe(descs)
		described += len(descs)
	}
	if len(families) != described {
		t.Fatalf("want %d families, got %d", described, len(families))
	}
	for _, f := range families {
		if f.Help == "" || f.Type == "" || len(f.Labels) == 0 || f.Labels[0] != "namespace" {
			t.Errorf("incomplete reference of %s: %+v", f.Name, f)
		}
	}
}

// TestDocsListTheRegistry: docs/metrics.md is what `make docs` generates from the registry.
func TestDocsListTheRegistry(t *testing.T) {
	families, err := Reference()
	if err != nil {
		t.Fatal(err)
	}
	operand, err := OperandReference()
	if err != nil {
		t.Fatal(err)
	}
	if len(operand) < 8 {
		t.Errorf("the metrics container's reference has %d families", len(operand))
	}
	docs, err := os.ReadFile("../../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(docs) != Markdown(families, operand) {
		t.Error("docs/metrics.md differs from the registry: run make docs")
	}
}
