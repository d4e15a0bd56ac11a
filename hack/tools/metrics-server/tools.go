//go:build tools

// Package tools pins metrics-server for the local cluster (HorizontalPodAutoscaler e2e).
package tools

import _ "sigs.k8s.io/metrics-server/cmd/metrics-server"
