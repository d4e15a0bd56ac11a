// Command metrics-docs writes docs/metrics.md from the operator's metric registry.
package main

import (
	"fmt"
	"os"

	"github.com/webserver-operator/webserver-operator/internal/metrics"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: metrics-docs <output.md>")
		os.Exit(2)
	}
	families, err := metrics.Reference()
	var operand []metrics.Family
	if err == nil {
		operand, err = metrics.OperandReference()
	}
	if err == nil {
		err = os.WriteFile(os.Args[1], []byte(metrics.Markdown(families, operand)), 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
