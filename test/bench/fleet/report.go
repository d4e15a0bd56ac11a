package main

import (
	"fmt"
	"runtime"
	"strings"
	"time"
)

// report prints the results as a Markdown table, with the cost of each step up in size.
func report(o options, results []result) {
	fmt.Printf("\nsubject: %s (%s), %d CPUs, %s\n\n", o.manager, o.template, runtime.NumCPU(), time.Now().UTC().Format(time.DateOnly))
	fmt.Println("| N | converged in | manager CPU | API server + etcd CPU | manager writes per resource (+ events) | live GETs | writes on restart | " +
		"peak RSS (binary's pages) | reconcile p50 / p95 / p99 |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, r := range results {
		perResource := float64(r.writes.without("events")) / float64(r.n)
		events := float64(r.writes.total()-r.writes.without("events")) / float64(r.n)
		fmt.Printf("| %d | %.1f s | %.1f s | %.1f s | %.2f (+ %.2f) | %d | %d | %s (%s) | %s / %s / %s |\n",
			r.n, r.converge.Seconds(), r.cpu.Seconds(), r.apiCPU.Seconds(), perResource, events, r.reads.total(), r.restartWrites.total(),
			mib(r.peakRSS), mib(r.fileRSS),
			ms(r.reconcileQuantiles[0]), ms(r.reconcileQuantiles[1]), ms(r.reconcileQuantiles[2]))
	}
	for i := 1; i < len(results); i++ {
		a, b := results[i-1], results[i]
		perExtra := float64(b.peakRSS-a.peakRSS) / float64(b.n-a.n) / 1024
		fmt.Printf("\n%d → %d: RSS %.1f KiB per extra resource; %.2f× the resources converged in %.2f× the time\n",
			a.n, b.n, perExtra, float64(b.n)/float64(a.n), b.converge.Seconds()/a.converge.Seconds())
	}
	for _, r := range results {
		fmt.Printf("\nN=%d writes: %s\nN=%d live GETs: %s\nN=%d writes on restart: %s\n",
			r.n, r.writes, r.n, r.reads, r.n, orNone(r.restartWrites.String()))
	}
}

func ms(seconds float64) string { return fmt.Sprintf("%.1f ms", seconds*1000) }

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "none"
	}
	return s
}
