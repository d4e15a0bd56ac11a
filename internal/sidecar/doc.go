// Package sidecar turns what nginx logs and its stub_status page into Prometheus metrics
// (rate, errors and duration per WebServer pod, labelled with the pod's revision), served by
// the metrics container next to nginx.
//
// nginx writes one JSON line per request into a named pipe the metrics container made in a
// volume both share, through a log buffer of at most PIPE_BUF bytes: a request costs nginx a
// copy into memory, not a system call; each write of whole lines is atomic, so the lines of
// nginx's workers never interleave; and no file grows.
package sidecar
