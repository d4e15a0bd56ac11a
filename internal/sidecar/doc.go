// Package sidecar turns what nginx logs and its stub_status page into Prometheus metrics
// (rate, errors and duration per WebServer pod, labelled with the pod's revision), served by
// the metrics container next to nginx.
//
// nginx sends one JSON line per request as a syslog datagram to a UDP port on localhost
// (the pod's own network namespace): no file grows, nothing blocks nginx when the sidecar is
// slow or gone, and a datagram is one whole record.
package sidecar
