package v1alpha1

import (
	"time"

	"k8s.io/utils/ptr"
)

// DesiredReplicas is the pod count the spec asks for: zero while idle.
func (ws *WebServer) DesiredReplicas() int32 {
	if ws.Spec.Idle {
		return 0
	}
	return ptr.Deref(ws.Spec.Replicas, 1)
}

// ImageOrDefault is the nginx image to run, falling back to the operator's default.
func (ws *WebServer) ImageOrDefault(defaultImage string) string {
	if ws.Spec.Image != "" {
		return ws.Spec.Image
	}
	return defaultImage
}

// ReferencedConfigMaps lists the user's ConfigMaps (same namespace) this WebServer reads.
func (ws *WebServer) ReferencedConfigMaps() []string {
	var names []string
	if ws.Spec.Config != nil && ws.Spec.Config.ConfigMapRef != nil {
		names = append(names, ws.Spec.Config.ConfigMapRef.Name)
	}
	if ws.Spec.Content != nil && (len(names) == 0 || names[0] != ws.Spec.Content.ConfigMapName) {
		names = append(names, ws.Spec.Content.ConfigMapName)
	}
	return names
}

// ConfigMapKey is the key of the referenced server config, with its default applied.
func (r *ConfigMapKeyReference) ConfigMapKey() string {
	if r.Key == "" {
		return "server.conf"
	}
	return r.Key
}

// HTTPPort is the container port nginx serves HTTP on.
func (ws *WebServer) HTTPPort() int32 {
	if ws.Spec.Port == 0 {
		return 8080
	}
	return ws.Spec.Port
}

// ServicePort is the port the Service exposes.
func (ws *WebServer) ServicePort() int32 {
	if ws.Spec.Service.Port == 0 {
		return 80
	}
	return ws.Spec.Service.Port
}

// AutoRollbackEnabled reports whether a failed rollout returns to the last good revision
// (the default).
func (ws *WebServer) AutoRollbackEnabled() bool {
	return ws.Spec.Upgrade.AutoRollback == nil || *ws.Spec.Upgrade.AutoRollback
}

// FailureThreshold is how long new pods may stay broken before their rollout fails.
func (ws *WebServer) FailureThreshold() time.Duration {
	if t := ws.Spec.Upgrade.FailureThresholdSeconds; t != nil {
		return time.Duration(*t) * time.Second
	}
	return 30 * time.Second
}

// ReferencedSecrets lists the user's Secrets (same namespace) this WebServer reads.
func (ws *WebServer) ReferencedSecrets() []string {
	var names []string
	if ws.Spec.TLS != nil {
		names = append(names, ws.Spec.TLS.SecretName)
	}
	if basic := ws.BasicAuth(); basic != nil && (len(names) == 0 || names[0] != basic.SecretName) {
		names = append(names, basic.SecretName)
	}
	return names
}

// BasicAuth is the basic authentication the spec asks for, nil without.
func (ws *WebServer) BasicAuth() *BasicAuthSpec {
	if ws.Spec.Auth == nil {
		return nil
	}
	return ws.Spec.Auth.Basic
}

// HTTPSPort is the container port nginx serves HTTPS on (spec.tls only).
func (ws *WebServer) HTTPSPort() int32 {
	if ws.Spec.TLS == nil || ws.Spec.TLS.Port == 0 {
		return 8443
	}
	return ws.Spec.TLS.Port
}

// HTTPSServicePort is the port the Service exposes for HTTPS (spec.tls only).
func (ws *WebServer) HTTPSServicePort() int32 {
	if ws.Spec.TLS == nil || ws.Spec.TLS.ServicePort == 0 {
		return 443
	}
	return ws.Spec.TLS.ServicePort
}

// RedirectsHTTP reports whether plain HTTP answers with a redirect to HTTPS.
func (ws *WebServer) RedirectsHTTP() bool {
	return ws.Spec.TLS != nil && (ws.Spec.TLS.RedirectHTTP == nil || *ws.Spec.TLS.RedirectHTTP)
}

// MetricsPort is the container port of the metrics container (monitoring.enabled), where
// it serves /metrics.
const MetricsPort = 9113

// MonitoringEnabled says whether the pods run the metrics container.
func (ws *WebServer) MonitoringEnabled() bool {
	return ws.Spec.Monitoring != nil && ws.Spec.Monitoring.Enabled
}

// CanaryEnabled reports whether new revisions are first tried on canary pods.
func (ws *WebServer) CanaryEnabled() bool {
	return ws.Spec.Upgrade.Strategy == UpgradeStrategyCanary
}

// CanarySettings are spec.upgrade.canary with the API's defaults filled in, so a
// WebServer stored before a field existed is judged like a new one.
func (ws *WebServer) CanarySettings() CanarySpec {
	out := CanarySpec{}
	if ws.Spec.Upgrade.Canary != nil {
		out = *ws.Spec.Upgrade.Canary
	}
	defaultTo := func(field **int32, value int32) {
		if *field == nil {
			*field = &value
		}
	}
	defaultTo(&out.Replicas, 1)
	defaultTo(&out.IntervalSeconds, 30)
	defaultTo(&out.Analyses, 3)
	defaultTo(&out.MinRequests, 10)
	defaultTo(&out.MaxErrorRatioPercent, 5)
	defaultTo(&out.ErrorRatioMarginPercent, 1)
	defaultTo(&out.MaxLatencyP95Milliseconds, 1000)
	defaultTo(&out.LatencyMarginPercent, 50)
	if out.CheckPath == "" {
		out.CheckPath = "/"
	}
	return out
}
