// Command webserver-metrics is the metrics container of a WebServer pod: it reads nginx's
// request log from a named pipe in a volume both containers mount and its stub_status page,
// and serves both as Prometheus metrics.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/webserver-operator/webserver-operator/internal/sidecar"
)

func main() {
	var logPipe, metricsAddr, stubStatusURL, revision string
	flag.StringVar(&logPipe, "log-pipe", "/run/webserver-metrics/requests.pipe", "The named pipe nginx writes its request log to (made unless it exists).")
	flag.StringVar(&metricsAddr, "metrics-address", ":9113", "Address the metrics are served on, at /metrics.")
	flag.StringVar(&stubStatusURL, "stub-status-url", "http://127.0.0.1:8079/stub_status", "nginx's stub_status page.")
	flag.StringVar(&revision, "revision", os.Getenv("WEBSERVER_REVISION"), "The pod's revision, a label on every metric.")
	flag.Parse()
	if err := run(logPipe, metricsAddr, stubStatusURL, revision); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(logPipe, metricsAddr, stubStatusURL, revision string) error {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	requests := sidecar.NewRequests(reg, revision)
	reg.MustRegister(sidecar.NewConnections(stubStatusURL, revision))

	// The pipe exists before /healthz answers, and nginx starts only after that (the
	// startup probe of a native sidecar), so nginx never makes a plain file in its place.
	pipe, err := sidecar.OpenLogPipe(logPipe)
	if err != nil {
		return err
	}
	received := make(chan error, 1)
	go func() { received <- sidecar.Receive(ctx, pipe, requests.ObserveLine, requests.Unreadable) }()

	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	server := &http.Server{Addr: metricsAddr, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	served := make(chan error, 1)
	go func() { served <- server.ListenAndServe() }()

	select {
	case err = <-received:
		err = fmt.Errorf("reading nginx's log: %w", err)
	case err = <-served:
	case <-ctx.Done():
		err = nil
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if serr := server.Shutdown(shutdown); serr != nil && err == nil {
		err = serr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}
