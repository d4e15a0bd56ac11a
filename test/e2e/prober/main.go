// Command prober is the e2e suite's in-cluster HTTP client: it fetches a URL from inside
// a pod and prints the status and body, failing unless the answer is 200.
//
// usage: prober URL
package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"time"
)

const attempts = 40

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: prober URL")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	// Retry briefly on transport errors and 5xx: a just-created Service may not be routable,
	// or its name resolvable, for a moment. A final failure prints every attempt, so it
	// explains itself in the pod's log.
	failed := make([]string, 0, attempts)
	for i := range attempts {
		resp, err := client.Get(os.Args[1])
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode < 500 || i == attempts-1 {
				fmt.Printf("%d\n%s", resp.StatusCode, body)
				if resp.StatusCode != http.StatusOK {
					report(failed)
					os.Exit(1)
				}
				return
			}
			err = fmt.Errorf("%d %s", resp.StatusCode, body)
		}
		failed = append(failed, fmt.Sprintf("attempt %d at %s: %v", i+1, time.Now().Format(time.RFC3339), err))
		time.Sleep(500 * time.Millisecond)
	}
	report(failed)
	os.Exit(1)
}

func report(failed []string) {
	for _, f := range failed {
		fmt.Fprintln(os.Stderr, f)
	}
}
