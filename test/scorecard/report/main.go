// Command report prints the results of `operator-sdk scorecard -o json` one line per test
// and fails unless every test passed: the text output of scorecard buries the verdicts in
// the logs of the olm suite.
//
// usage: report RESULTS.json
package main

import (
	"encoding/json"
	"fmt"
	"os"

	scapiv1alpha3 "github.com/operator-framework/api/pkg/apis/scorecard/v1alpha3"
)

func main() {
	raw, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	var list scapiv1alpha3.TestList
	if err := json.Unmarshal(raw, &list); err != nil {
		fmt.Fprintf(os.Stderr, "scorecard printed no results (%v):\n%s\n", err, raw)
		os.Exit(1)
	}
	passed, total := 0, 0
	for _, test := range list.Items {
		for _, r := range test.Status.Results {
			total++
			fmt.Printf("%-28s %-5s suite=%s\n", r.Name, r.State, test.Spec.Labels["suite"])
			for _, e := range r.Errors {
				fmt.Printf("    error: %s\n", e)
			}
			if r.State == scapiv1alpha3.PassState {
				passed++
				if test.Spec.Labels["suite"] == "webserver" {
					fmt.Printf("    %s\n", r.Log)
				}
			}
		}
	}
	fmt.Printf("scorecard: %d of %d tests passed\n", passed, total)
	if total == 0 || passed != total {
		os.Exit(1)
	}
}
