//go:build tools

// Package tools pins Prometheus, the local cluster's monitoring server, and promtool, which
// checks its configuration and unit-tests alerting and recording rules.
package tools

import (
	_ "github.com/prometheus/prometheus/cmd/prometheus"
	_ "github.com/prometheus/prometheus/cmd/promtool"
)
