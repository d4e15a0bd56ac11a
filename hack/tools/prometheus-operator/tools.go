//go:build tools

// Package tools pins the Prometheus Operator, which runs the local cluster's Prometheus from
// Prometheus, ServiceMonitor and PrometheusRule objects, and the config reloader it puts next
// to Prometheus.
package tools

import (
	_ "github.com/prometheus-operator/prometheus-operator/cmd/operator"
	_ "github.com/prometheus-operator/prometheus-operator/cmd/prometheus-config-reloader"
)
