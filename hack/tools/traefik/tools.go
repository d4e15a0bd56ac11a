//go:build tools

// Package tools pins Traefik, the ingress controller of the local cluster (Ingress e2e).
package tools

import _ "github.com/traefik/traefik/v3/cmd/traefik"
