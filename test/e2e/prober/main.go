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

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: prober URL")
		os.Exit(2)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	var lastErr error
	// Retry briefly: a just-created Service may not be routable for a moment.
	for range 20 {
		resp, err := client.Get(os.Args[1])
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			fmt.Printf("%d\n%s", resp.StatusCode, body)
			if resp.StatusCode != http.StatusOK {
				os.Exit(1)
			}
			return
		}
		lastErr = err
		time.Sleep(500 * time.Millisecond)
	}
	fmt.Fprintln(os.Stderr, lastErr)
	os.Exit(1)
}
