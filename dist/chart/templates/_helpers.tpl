{{/*
webserver-operator.name prefixes a name as config/default does; call it with the
suffix: include "webserver-operator.name" "controller-manager". Names do not depend on
the release name, so they match `make deploy` and what the operator expects.
*/}}
{{- define "webserver-operator.name" -}}
webserver-operator-{{ . }}
{{- end }}

{{/* Standard labels of every object. */}}
{{- define "webserver-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: webserver-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
The operator pods' labels, as in config/manager: the Deployment's selector is immutable
and the metrics Service (and ServiceMonitor) select them.
*/}}
{{- define "webserver-operator.selectorLabels" -}}
app.kubernetes.io/name: webserver-operator
control-plane: controller-manager
{{- end }}

{{/* The operator image: repository:tag, or repository@digest for a sha256 digest. */}}
{{- define "webserver-operator.image" -}}
{{- $tag := .Values.image.tag | default (printf "v%s" .Chart.AppVersion) | toString -}}
{{- if hasPrefix "sha256:" $tag -}}
{{ .Values.image.repository }}@{{ $tag }}
{{- else -}}
{{ .Values.image.repository }}:{{ $tag }}
{{- end -}}
{{- end }}

{{/* The metrics port's name and scheme. */}}
{{- define "webserver-operator.metricsScheme" -}}
{{ ternary "https" "http" .Values.metrics.secure }}
{{- end }}
