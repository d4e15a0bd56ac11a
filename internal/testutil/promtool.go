package testutil

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"sigs.k8s.io/yaml"
)

// Promtool is promtool's path: $PROMTOOL, or bin/promtool seen from a package two levels
// below the repository (test/<name>).
func Promtool() string {
	if p := os.Getenv("PROMTOOL"); p != "" {
		return p
	}
	return "../../bin/promtool"
}

// PromtoolTestRules writes rules (a rule file) and tests (a promtool unit test file, whose
// rule_files it sets) into a new directory and runs `promtool test rules` on them.
func PromtoolTestRules(t testing.TB, rules any, tests map[string]any) {
	t.Helper()
	dir := t.TempDir()
	write := func(name string, v any) string {
		raw, err := yaml.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, raw, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	write("rules.yaml", rules)
	tests["rule_files"] = []string{"rules.yaml"}
	out, err := exec.Command(Promtool(), "test", "rules", write("tests.yaml", tests)).CombinedOutput()
	if err != nil {
		t.Fatalf("promtool test rules: %v\n%s", err, out)
	}
}
