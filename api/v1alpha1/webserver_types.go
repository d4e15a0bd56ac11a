package v1alpha1

import (
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// StatusPort is the container port of the operator-owned server block that answers
// the health probes (/healthz) and nginx's stub_status; spec.port must not use it.
const StatusPort = 8079

// WebServerSpec is the desired state of a fleet of nginx web servers.
// +kubebuilder:validation:XValidation:rule="!has(self.monitoring) || !has(self.monitoring.enabled) || !self.monitoring.enabled || ((!has(self.port) || self.port != 9113) && (!has(self.tls) || !has(self.tls.port) || self.tls.port != 9113))",message="spec.port and spec.tls.port cannot be 9113 with spec.monitoring.enabled: the metrics container uses it; choose another port",fieldPath=".monitoring"
// +kubebuilder:validation:XValidation:rule="!has(self.ingress) || !has(self.tls) || (has(self.tls.redirectHTTP) && !self.tls.redirectHTTP)",message="spec.ingress sends plain HTTP to the Service, which spec.tls would answer with a redirect back to the Ingress: set spec.tls.redirectHTTP to false, or end TLS at the Ingress (spec.ingress.tls) and remove spec.tls",fieldPath=".ingress"
// +kubebuilder:validation:XValidation:rule="!has(self.upgrade) || !has(self.upgrade.strategy) || self.upgrade.strategy != 'Canary' || (has(self.monitoring) && has(self.monitoring.enabled) && self.monitoring.enabled)",message="spec.upgrade.strategy Canary needs spec.monitoring.enabled: true; the canary is judged on the pods' request metrics",fieldPath=".upgrade.strategy"
// +kubebuilder:validation:XValidation:rule="!has(self.auth) || !has(self.upgrade) || !has(self.upgrade.strategy) || self.upgrade.strategy != 'Canary' || (has(self.readinessPath) && has(self.upgrade.canary) && has(self.upgrade.canary.checkPath) && self.upgrade.canary.checkPath == self.readinessPath)",message="spec.upgrade.canary.checkPath must be spec.readinessPath with spec.auth: the canary's synthetic requests carry no credentials, and the readiness path is the one path answered without them; set both to a page such as /healthz.html",fieldPath=".upgrade"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.tls.port) || !has(self.port) || self.tls.port != self.port",message="spec.tls.port must differ from spec.port: HTTP and HTTPS need container ports of their own",fieldPath=".tls.port"
// +kubebuilder:validation:XValidation:rule="!has(self.tls) || !has(self.tls.servicePort) || !has(self.service.port) || self.tls.servicePort != self.service.port",message="spec.tls.servicePort must differ from spec.service.port: HTTP and HTTPS need Service ports of their own",fieldPath=".tls.servicePort"
type WebServerSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Image",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// Image is the nginx container image. When empty, the operator's default
	// (its RELATED_IMAGE_NGINX environment variable) is used.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^\\\\s]+$')",message="spec.image must be an image reference without spaces, e.g. nginx:1.27"
	// +optional
	Image string `json:"image,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	// Replicas is the number of nginx pods. Ignored while idle is true; written by the
	// HorizontalPodAutoscaler while spec.autoscaling is set.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:validation:XValidation:rule="self >= 0 && self <= 1000",message="spec.replicas must be between 0 and 1000; to stop serving but keep everything else use idle: true"
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Idle",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	// Idle scales the web server to zero pods while keeping its Service, config and
	// status; setting it back to false restores the replicas.
	// +optional
	Idle bool `json:"idle,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Container Port",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// Port is the unprivileged container port nginx listens on for HTTP.
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:XValidation:rule="self >= 1024 && self <= 65535",message="spec.port must be between 1024 and 65535: nginx runs as non-root; expose port 80 with spec.service.port instead"
	// +kubebuilder:validation:XValidation:rule="self != 8079",message="spec.port 8079 is reserved for the health and status endpoint; choose another port"
	// +optional
	Port int32 `json:"port,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Service",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:service"}
	// Service configures the Service in front of the pods.
	// +kubebuilder:default={}
	// +optional
	Service ServiceSpec `json:"service,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Config",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:config"}
	// Config is the content of nginx's server {} block, inline or from a ConfigMap.
	// The operator owns the main nginx.conf around it. When unset, static files are served.
	// +optional
	Config *ConfigSpec `json:"config,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Content",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:content"}
	// Content serves the keys of a ConfigMap as files of the document root.
	// +optional
	Content *ContentSpec `json:"content,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="TLS",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tls"}
	// TLS serves HTTPS on its own port with the certificate of a kubernetes.io/tls Secret,
	// and by default redirects plain HTTP to it. The operator copies the certificate into
	// an immutable Secret of its own, so a rotated Secret rolls the pods at full capacity
	// and a missing or invalid one leaves the pods serving the last good certificate; a
	// new WebServer does not serve at all until its certificate is valid.
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:ingress"}
	// Ingress puts an Ingress (networking.k8s.io/v1) in front of the Service, for clusters
	// that route by host name. It sends plain HTTP to the Service; HTTPS ends at the Ingress
	// (spec.ingress.tls). Removing it removes the Ingress.
	// +optional
	Ingress *IngressSpec `json:"ingress,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Access Control",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:auth"}
	// Auth protects the whole site with access control. A missing or invalid Secret never
	// opens the site: the pods keep the last good users, and a new WebServer does not serve
	// until the Secret is usable. The health and status port is not behind it.
	// +optional
	Auth *AuthSpec `json:"auth,omitempty"`

	// Requests and limits are compared for cpu, memory and ephemeral-storage by name:
	// a rule over all keys of these maps (no maxProperties) exceeds the CEL cost budget.

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Resources",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:resourceRequirements"}
	// Resources of the nginx container. Unset requests default to the limits and unset
	// limits to the requests, so pods get the Guaranteed QoS class. A request must not
	// exceed its limit. Claims are rejected: the pods have no resource claims to use.
	// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || !('cpu' in self.requests) || !('cpu' in self.limits) || !isQuantity(string(self.requests['cpu'])) || !isQuantity(string(self.limits['cpu'])) || quantity(string(self.requests['cpu'])).compareTo(quantity(string(self.limits['cpu']))) <= 0",message="spec.resources: requests.cpu must not exceed limits.cpu; lower the request or raise the limit"
	// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || !('memory' in self.requests) || !('memory' in self.limits) || !isQuantity(string(self.requests['memory'])) || !isQuantity(string(self.limits['memory'])) || quantity(string(self.requests['memory'])).compareTo(quantity(string(self.limits['memory']))) <= 0",message="spec.resources: requests.memory must not exceed limits.memory; lower the request or raise the limit"
	// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || !('ephemeral-storage' in self.requests) || !('ephemeral-storage' in self.limits) || !isQuantity(string(self.requests['ephemeral-storage'])) || !isQuantity(string(self.limits['ephemeral-storage'])) || quantity(string(self.requests['ephemeral-storage'])).compareTo(quantity(string(self.limits['ephemeral-storage']))) <= 0",message="spec.resources: requests.ephemeral-storage must not exceed limits.ephemeral-storage; lower the request or raise the limit"
	// +kubebuilder:validation:XValidation:rule="!has(self.claims)",message="spec.resources.claims is not supported by this operator version; remove it"
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Pod Template",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate"}
	// PodTemplate holds scheduling and environment settings of the nginx pods.
	// +optional
	PodTemplate *PodTemplateSpec `json:"podTemplate,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Autoscaling",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:autoscaling"}
	// Autoscaling adds a HorizontalPodAutoscaler (autoscaling/v2) on CPU and optionally
	// memory utilization. It scales the WebServer itself: the HPA writes spec.replicas,
	// within minReplicas and maxReplicas, and the Deployment follows. Removing it removes
	// the HPA and leaves spec.replicas where the HPA put it.
	// +optional
	Autoscaling *AutoscalingSpec `json:"autoscaling,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Disruption Budget",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:disruption"}
	// Disruption bounds voluntary disruptions (node drains, evictions) with a
	// PodDisruptionBudget. Whenever two or more pods are desired the WebServer has one, by
	// default keeping at least one pod up (minAvailable: 1); with one pod or idle it has
	// none, since a budget would then only block node drains.
	// +optional
	Disruption *DisruptionSpec `json:"disruption,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Upgrade",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade"}
	// Upgrade controls how new images and configs are rolled out.
	// +kubebuilder:default={}
	// +optional
	Upgrade UpgradeSpec `json:"upgrade,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Readiness Path",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// ReadinessPath makes a pod ready only while GET on this path of the site itself (the
	// HTTP port, your server block) answers 2xx or 3xx, so a config that serves errors never
	// receives traffic and its rollout fails and rolls back. When unset, readiness asks the
	// operator's own health endpoint. With spec.tls it is asked over HTTPS; with
	// spec.auth it is the one path answered without credentials, as the probe sends none.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') && !self.contains(' ')",message="spec.readinessPath must be a path starting with / and without spaces, e.g. /index.html"
	// +optional
	ReadinessPath string `json:"readinessPath,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Restarted At",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// RestartedAt restarts all pods (rolling) whenever its value changes, like
	// kubectl rollout restart; a timestamp is the usual value.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	RestartedAt string `json:"restartedAt,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Monitoring",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:monitoring"}
	// Monitoring adds a metrics container to every pod and, when the Prometheus Operator
	// is installed, a PodMonitor and a PrometheusRule with the WebServer's alerts.
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`
}

// ServiceSpec configures the Service in front of the nginx pods.
// +kubebuilder:validation:XValidation:rule="!has(self.nodePort) || self.type == 'NodePort' || self.type == 'LoadBalancer'",message="spec.service.nodePort can only be set when spec.service.type is NodePort or LoadBalancer; remove nodePort or change the type",fieldPath=".nodePort"
type ServiceSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Service Type",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:service","urn:alm:descriptor:com.tectonic.ui:select:ClusterIP","urn:alm:descriptor:com.tectonic.ui:select:NodePort","urn:alm:descriptor:com.tectonic.ui:select:LoadBalancer"}
	// Type of the Service.
	// +kubebuilder:default=ClusterIP
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Service Port",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:service","urn:alm:descriptor:com.tectonic.ui:number"}
	// Port the Service exposes for HTTP.
	// +kubebuilder:default=80
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Node Port",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:service","urn:alm:descriptor:com.tectonic.ui:number"}
	// NodePort requests a fixed node port (type NodePort or LoadBalancer only);
	// when unset the cluster picks one.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	NodePort int32 `json:"nodePort,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Service Annotations",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:service","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// Annotations added to the Service, e.g. for cloud load balancers.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.indexOf('/') <= 253))",message="spec.service.annotations: every key must be a valid annotation key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, e.g. service.beta.kubernetes.io/aws-load-balancer-type"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ConfigSpec is the nginx server {} content: exactly one of inline or configMapRef.
// +kubebuilder:validation:XValidation:rule="has(self.inline) != has(self.configMapRef)",message="spec.config needs exactly one of inline or configMapRef"
type ConfigSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Inline Server Config",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:config","urn:alm:descriptor:com.tectonic.ui:textarea"}
	// Inline nginx directives placed inside the server {} block, e.g. location blocks.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=262144
	// +optional
	Inline string `json:"inline,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Server Config ConfigMap",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:config"}
	// ConfigMapRef names a ConfigMap key (in the WebServer's namespace) holding the
	// server {} directives. Changes to it roll the pods.
	// +optional
	ConfigMapRef *ConfigMapKeyReference `json:"configMapRef,omitempty"`
}

// ConfigMapKeyReference points at one key of a ConfigMap in the same namespace.
type ConfigMapKeyReference struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="ConfigMap",xDescriptors={"urn:alm:descriptor:io.kubernetes:ConfigMap"}
	// Name of the ConfigMap.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.config.configMapRef.name must be a ConfigMap name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Key",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// Key in the ConfigMap's data.
	// +kubebuilder:default=server.conf
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-._a-zA-Z0-9]+$') && self != '.' && !self.startsWith('..')",message="spec.config.configMapRef.key must be a ConfigMap key: letters, digits, '-', '_' and '.', neither '.' nor starting with '..'"
	// +optional
	Key string `json:"key,omitempty"`
}

// ContentSpec serves static files from a ConfigMap.
type ContentSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Content ConfigMap",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:content","urn:alm:descriptor:io.kubernetes:ConfigMap"}
	// ConfigMapName is the ConfigMap (same namespace) whose keys become files of the
	// document root, e.g. index.html. Changes to it roll the pods.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.content.configMapName must be a ConfigMap name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	ConfigMapName string `json:"configMapName"`
}

// TLSSpec serves HTTPS.
type TLSSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="TLS Secret",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tls","urn:alm:descriptor:io.kubernetes:Secret"}
	// SecretName is a kubernetes.io/tls Secret (same namespace) whose tls.crt holds the
	// PEM certificate chain, leaf first, and tls.key its private key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.tls.secretName must be a Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	SecretName string `json:"secretName"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="HTTPS Container Port",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tls","urn:alm:descriptor:com.tectonic.ui:number"}
	// Port is the unprivileged container port nginx serves HTTPS on.
	// +kubebuilder:default=8443
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:XValidation:rule="self != 8079",message="spec.tls.port 8079 is reserved for the health and status endpoint; choose another port"
	// +optional
	Port int32 `json:"port,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="HTTPS Service Port",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tls","urn:alm:descriptor:com.tectonic.ui:number"}
	// ServicePort is the port the Service exposes for HTTPS.
	// +kubebuilder:default=443
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	ServicePort int32 `json:"servicePort,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Redirect HTTP",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:tls","urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	// RedirectHTTP answers every plain HTTP request with a permanent redirect to HTTPS.
	// With false, the site is served on both.
	// +kubebuilder:default=true
	// +optional
	RedirectHTTP *bool `json:"redirectHTTP,omitempty"`
}

// IngressSpec configures an Ingress in front of the Service.
type IngressSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress Host",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:ingress","urn:alm:descriptor:com.tectonic.ui:text"}
	// Host name the Ingress routes to this web server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^([*][.])?[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.ingress.host must be a DNS name such as www.example.com or *.example.com: lowercase, without scheme, port or path"
	Host string `json:"host"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress Path",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:ingress","urn:alm:descriptor:com.tectonic.ui:text"}
	// Path prefix routed to this web server (pathType Prefix), e.g. /v2 to put a major
	// version in the path. The site sees the full path: the Ingress does not strip it.
	// +kubebuilder:default=/
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="spec.ingress.path must start with /"
	// +optional
	Path string `json:"path,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress Class",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:ingress","urn:alm:descriptor:com.tectonic.ui:text"}
	// ClassName is the IngressClass; when unset the cluster default is used.
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.ingress.className must be an IngressClass name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	// +optional
	ClassName *string `json:"className,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress Annotations",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:ingress","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// Annotations added to the Ingress, for the ingress controller.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.indexOf('/') <= 253))",message="spec.ingress.annotations: every key must be a valid annotation key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, e.g. nginx.ingress.kubernetes.io/rewrite-target"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress TLS",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:ingress"}
	// TLS terminates HTTPS at the Ingress.
	// +optional
	TLS *IngressTLSSpec `json:"tls,omitempty"`
}

// IngressTLSSpec terminates TLS at the Ingress.
type IngressTLSSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Ingress TLS Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	// SecretName is a kubernetes.io/tls Secret (same namespace) for the Ingress host.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.ingress.tls.secretName must be a Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	SecretName string `json:"secretName"`
}

// AuthSpec is the access control of the site.
// +kubebuilder:validation:XValidation:rule="has(self.basic)",message="spec.auth needs basic: set spec.auth.basic.secretName to an htpasswd Secret"
type AuthSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Basic Authentication",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:auth"}
	// Basic enables HTTP basic authentication.
	// +optional
	Basic *BasicAuthSpec `json:"basic,omitempty"`
}

// BasicAuthSpec enables HTTP basic authentication from an htpasswd file.
type BasicAuthSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="htpasswd Secret",xDescriptors={"urn:alm:descriptor:io.kubernetes:Secret"}
	// SecretName is a Secret (same namespace) whose key "htpasswd" holds the users, one
	// name:hash line each, as written by htpasswd -B (bcrypt), -s ({SHA}) or -m (apr1).
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*$')",message="spec.auth.basic.secretName must be a Secret name: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	SecretName string `json:"secretName"`
}

// PodTemplateSpec holds the pod settings users commonly need.
type PodTemplateSpec struct {
	// NodeSelector values are checked for length only: a pattern over the values of a
	// map[string]string exceeds the CEL cost budget, as its values have no maxLength.

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Node Selector",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate","urn:alm:descriptor:com.tectonic.ui:selector:core:v1:Node"}
	// NodeSelector constrains the pods to nodes with these labels.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.indexOf('/') <= 253))",message="spec.podTemplate.nodeSelector: every key must be a valid label key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, e.g. kubernetes.io/os"
	// +kubebuilder:validation:XValidation:rule="self.all(k, self[k].size() <= 63)",message="spec.podTemplate.nodeSelector: every value must be a valid label value: at most 63 characters"
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Tolerations",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate","urn:alm:descriptor:io.kubernetes:Tolerations"}
	// Tolerations of the pods.
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator in ['', 'Equal', 'Exists'])",message="spec.podTemplate.tolerations: operator must be Equal or Exists"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.operator) || t.operator != 'Exists' || !has(t.value) || t.value == '')",message="spec.podTemplate.tolerations: a toleration with operator Exists must not set value"
	// +kubebuilder:validation:XValidation:rule="self.all(t, (has(t.key) && t.key != '') || (has(t.operator) && t.operator == 'Exists'))",message="spec.podTemplate.tolerations: a toleration without key must use operator Exists (it then tolerates every taint)"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.effect) || t.effect in ['', 'NoSchedule', 'PreferNoSchedule', 'NoExecute'])",message="spec.podTemplate.tolerations: effect must be NoSchedule, PreferNoSchedule or NoExecute, or empty to match all effects"
	// +kubebuilder:validation:XValidation:rule="self.all(t, !has(t.tolerationSeconds) || (has(t.effect) && t.effect == 'NoExecute'))",message="spec.podTemplate.tolerations: tolerationSeconds can only be set with effect NoExecute"
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Affinity",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate","urn:alm:descriptor:com.tectonic.ui:nodeAffinity","urn:alm:descriptor:com.tectonic.ui:podAffinity","urn:alm:descriptor:com.tectonic.ui:podAntiAffinity"}
	// Affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Topology Spread Constraints",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// TopologySpreadConstraints of the pods. When empty, the pods of each rollout spread
	// across nodes where they can (maxSkew 1, ScheduleAnyway).
	// +kubebuilder:validation:MaxItems=32
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.maxSkew >= 1)",message="spec.podTemplate.topologySpreadConstraints: maxSkew must be at least 1"
	// +kubebuilder:validation:XValidation:rule="self.all(c, c.whenUnsatisfiable in ['DoNotSchedule', 'ScheduleAnyway'])",message="spec.podTemplate.topologySpreadConstraints: whenUnsatisfiable must be DoNotSchedule or ScheduleAnyway"
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Pod Annotations",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// Annotations added to the pods.
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^([a-z0-9]([-a-z0-9]*[a-z0-9])?([.][a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$') && (!k.contains('/') || k.indexOf('/') <= 253))",message="spec.podTemplate.annotations: every key must be a valid annotation key: an optional DNS subdomain prefix and '/', then at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit, e.g. prometheus.io/scrape"
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Environment",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:podTemplate","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// Env adds environment variables to the nginx container; names must be distinct.
	// +listType=map
	// +listMapKey=name
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// AutoscalingSpec scales the pods with a HorizontalPodAutoscaler (autoscaling/v2).
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",message="spec.autoscaling.minReplicas must not be greater than spec.autoscaling.maxReplicas"
type AutoscalingSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Minimum Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:autoscaling","urn:alm:descriptor:com.tectonic.ui:podCount"}
	// MinReplicas is the lower bound.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Maximum Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:autoscaling","urn:alm:descriptor:com.tectonic.ui:podCount"}
	// MaxReplicas is the upper bound.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxReplicas int32 `json:"maxReplicas"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Target CPU Utilization (%)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:autoscaling","urn:alm:descriptor:com.tectonic.ui:number"}
	// TargetCPUUtilizationPercentage is the average CPU utilization (of requests) to keep.
	// +kubebuilder:default=80
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	TargetCPUUtilizationPercentage *int32 `json:"targetCPUUtilizationPercentage,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Target Memory Utilization (%)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:autoscaling","urn:alm:descriptor:com.tectonic.ui:number"}
	// TargetMemoryUtilizationPercentage adds the average memory utilization (of requests)
	// to keep; the HPA follows whichever of CPU and memory asks for more pods.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	TargetMemoryUtilizationPercentage *int32 `json:"targetMemoryUtilizationPercentage,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Scaling Behavior",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:autoscaling","urn:alm:descriptor:com.tectonic.ui:advanced"}
	// Behavior tunes scale-up and scale-down rates and stabilization windows; passed to the
	// HPA as it is.
	// +optional
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// DisruptionSpec configures the PodDisruptionBudget: at most one of the two fields.
// +kubebuilder:validation:XValidation:rule="!(has(self.minAvailable) && has(self.maxUnavailable))",message="spec.disruption takes minAvailable or maxUnavailable, not both"
type DisruptionSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Minimum Available",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:disruption","urn:alm:descriptor:com.tectonic.ui:text"}
	// MinAvailable pods during voluntary disruptions (number or percentage).
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^0*(100|[1-9]?[0-9])%$')",message="spec.disruption.minAvailable must be a non-negative integer or a percentage from 0% to 100%, e.g. '50%'"
	// +optional
	MinAvailable *intstr.IntOrString `json:"minAvailable,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Maximum Unavailable",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:disruption","urn:alm:descriptor:com.tectonic.ui:text"}
	// MaxUnavailable pods during voluntary disruptions (number or percentage).
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^0*(100|[1-9]?[0-9])%$')",message="spec.disruption.maxUnavailable must be a non-negative integer or a percentage from 0% to 100%, e.g. '25%'"
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`
}

// UpgradeStrategy is how a new image or config reaches the pods.
// +kubebuilder:validation:Enum=RollingUpdate;Canary
type UpgradeStrategy string

const (
	// UpgradeStrategyRollingUpdate replaces pods a few at a time, never below the desired count.
	UpgradeStrategyRollingUpdate UpgradeStrategy = "RollingUpdate"
	// UpgradeStrategyCanary first runs canary pods on the new version and promotes them when healthy.
	UpgradeStrategyCanary UpgradeStrategy = "Canary"
)

// UpgradeSpec controls rollouts of new images and configs.
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || (has(self.strategy) && self.strategy == 'Canary')",message="spec.upgrade.canary applies to strategy Canary only: set spec.upgrade.strategy to Canary or remove canary",fieldPath=".canary"
// +kubebuilder:validation:XValidation:rule="!has(self.maxSurge) || !has(self.maxUnavailable) || !((type(self.maxSurge) == int ? self.maxSurge == 0 : self.maxSurge.matches('^0+%$')) && (type(self.maxUnavailable) == int ? self.maxUnavailable == 0 : self.maxUnavailable.matches('^0+%$')))",message="spec.upgrade: maxSurge and maxUnavailable cannot both be 0: a rollout could never replace a pod; set maxSurge: 1"
type UpgradeSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Upgrade Strategy",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade","urn:alm:descriptor:com.tectonic.ui:select:RollingUpdate","urn:alm:descriptor:com.tectonic.ui:select:Canary"}
	// Strategy of the rollout. RollingUpdate replaces the pods a few at a time. Canary
	// first runs the new revision on canary pods next to the stable ones, judges them
	// against the stable pods (see canary) and then rolls every pod to it, or removes the
	// canary pods without touching the stable ones. Canary needs monitoring.enabled: the
	// judgement reads the pods' request metrics.
	// +kubebuilder:default=RollingUpdate
	// +optional
	Strategy UpgradeStrategy `json:"strategy,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Max Surge",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade","urn:alm:descriptor:com.tectonic.ui:text"}
	// MaxSurge is how many extra pods may run during a rollout (number or percentage).
	// It and maxUnavailable cannot both be 0.
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^[0-9]+%$')",message="spec.upgrade.maxSurge must be a non-negative integer or a percentage such as '25%'"
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Max Unavailable",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade","urn:alm:descriptor:com.tectonic.ui:text"}
	// MaxUnavailable is how many pods may be missing during a rollout. The default 0
	// keeps full capacity, so no request is dropped.
	// +kubebuilder:default=0
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 : self.matches('^0*(100|[1-9]?[0-9])%$')",message="spec.upgrade.maxUnavailable must be a non-negative integer or a percentage from 0% to 100%, e.g. '25%'"
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Progress Deadline (seconds)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade","urn:alm:descriptor:com.tectonic.ui:number"}
	// ProgressDeadlineSeconds after which a stalled rollout counts as failed.
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=10
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Failure Threshold (seconds)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade","urn:alm:descriptor:com.tectonic.ui:number"}
	// FailureThresholdSeconds is how long the new pods of a rollout may stay clearly
	// broken (crash loop, image that cannot be pulled, container that cannot be created)
	// without any progress before the rollout counts as failed, well before its progress
	// deadline.
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=3600
	// +optional
	FailureThresholdSeconds *int32 `json:"failureThresholdSeconds,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Automatic Rollback",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade","urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	// AutoRollback returns the pods to the last good revision (image, config and content
	// together) when a rollout fails: its progress deadline passes, or its new pods crash,
	// cannot pull their image or cannot start for upgrade.failureThresholdSeconds. The
	// spec is left as it is and the failed revision is not tried again until the image,
	// config, content or restartedAt changes. With false, the failure is reported and the
	// old pods keep serving next to the failed ones.
	// +kubebuilder:default=true
	// +optional
	AutoRollback *bool `json:"autoRollback,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Canary",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:upgrade"}
	// Canary settings (strategy Canary only); the defaults apply when it is left out.
	// +optional
	Canary *CanarySpec `json:"canary,omitempty"`
}

// CanarySpec configures canary rollouts: once nginx -t accepted a new revision, it runs
// on canary pods behind the same Service as the stable pods (which keep full capacity), so
// the canary gets its share of the traffic by replica ratio. Every interval an analysis
// compares the canary's error ratio and 95th percentile latency with the stable pods' over
// the same window, after sending synthetic requests to checkPath on every canary pod and
// on some stable pods, so a canary is judged even when users send nothing. After
// analyses passed in a row the Deployment rolls every pod to the new revision; one failed
// analysis, or canary pods that do not become ready, removes the canary pods instead.
type CanarySpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Canary Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	// Replicas of the canary; its share of the traffic is replicas / (replicas + spec.replicas).
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Canary Check Path",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// CheckPath receives the synthetic requests (on the HTTP port); an answer of 400 or
	// above, or no answer, fails them.
	// +kubebuilder:default=/
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/') && !self.contains(' ')",message="spec.upgrade.canary.checkPath must be a path starting with / and without spaces, e.g. /healthz.html"
	// +optional
	CheckPath string `json:"checkPath,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Analysis Interval (seconds)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// IntervalSeconds is the window of one analysis.
	// +kubebuilder:default=30
	// +kubebuilder:validation:Minimum=5
	// +kubebuilder:validation:Maximum=3600
	// +optional
	IntervalSeconds *int32 `json:"intervalSeconds,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Analyses",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// Analyses that must pass in a row before promotion. An inconclusive analysis (too few
	// requests, see minRequests) neither counts nor fails.
	// +kubebuilder:default=3
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	Analyses *int32 `json:"analyses,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Minimum Requests",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// MinRequests is how many requests the canary pods must answer in a window, the
	// synthetic ones included, for the analysis to decide; fewer make it inconclusive.
	// When the stable pods answered fewer, the canary is held to the absolute limits
	// only. Each analysis sends 10 synthetic requests to every canary pod.
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinRequests *int32 `json:"minRequests,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Maximum Error Ratio (%)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// MaxErrorRatioPercent is the share of canary requests answered with 5xx (and of
	// failed synthetic requests) above which the canary fails, whatever the stable pods do.
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	MaxErrorRatioPercent *int32 `json:"maxErrorRatioPercent,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Error Ratio Margin (%)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// ErrorRatioMarginPercent is how many percentage points the canary's error ratio may
	// exceed the stable pods'.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=100
	// +optional
	ErrorRatioMarginPercent *int32 `json:"errorRatioMarginPercent,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Maximum p95 Latency (ms)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// MaxLatencyP95Milliseconds is the canary's 95th percentile request duration above
	// which it fails, whatever the stable pods do.
	// +kubebuilder:default=1000
	// +kubebuilder:validation:Minimum=1
	// +optional
	MaxLatencyP95Milliseconds *int32 `json:"maxLatencyP95Milliseconds,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Latency Margin (%)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:number"}
	// LatencyMarginPercent is how much slower (95th percentile) the canary may be than the
	// stable pods; differences under 25 ms, the resolution of the duration histogram
	// there, never fail it.
	// +kubebuilder:default=50
	// +kubebuilder:validation:Minimum=0
	// +optional
	LatencyMarginPercent *int32 `json:"latencyMarginPercent,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Manual Approval",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	// ManualApproval holds a canary that passed its analyses until a user approves it by
	// annotating the WebServer with webserver.dev/approve-canary set to the canary's
	// revision (status.canary.revision). The analyses go on while it waits; a failed one
	// still aborts the canary.
	// +optional
	ManualApproval bool `json:"manualApproval,omitempty"`
}

// MonitoringSpec configures metrics and alerts for the nginx pods.
type MonitoringSpec struct {
	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Monitoring Enabled",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:monitoring","urn:alm:descriptor:com.tectonic.ui:booleanSwitch"}
	// Enabled adds a metrics container to every pod: requests by status code and method, a
	// request-duration histogram, bytes sent and connections, labelled with the pod's
	// revision, served on port 9113 (/metrics). When the Prometheus Operator's CRDs exist,
	// a PodMonitor has Prometheus scrape it and a PrometheusRule holds the alerts: site
	// down (critical), error ratio and latency above the thresholds below, a failed
	// rollout (warning). Turning it on or off rolls the pods.
	// +optional
	Enabled bool `json:"enabled,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Error Ratio Alert (%)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:monitoring","urn:alm:descriptor:com.tectonic.ui:number"}
	// ErrorRatioPercent is the share of requests answered with 5xx, over 5 minutes, above
	// which the WebServerErrorRatioHigh alert fires (after 5 minutes), e.g. 5.
	// +kubebuilder:default=5
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	// +optional
	ErrorRatioPercent int32 `json:"errorRatioPercent,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=spec,displayName="Latency Alert (ms)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:monitoring","urn:alm:descriptor:com.tectonic.ui:number"}
	// LatencyP95Milliseconds is the 95th percentile of request duration, over 5 minutes,
	// above which the WebServerLatencyHigh alert fires (after 10 minutes), e.g. 500.
	// +kubebuilder:default=500
	// +kubebuilder:validation:Minimum=10
	// +kubebuilder:validation:Maximum=60000
	// +optional
	LatencyP95Milliseconds int32 `json:"latencyP95Milliseconds,omitempty"`
}

// WebServerStatus is the observed state of a WebServer, recomputed on every reconcile.
type WebServerStatus struct {
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Conditions",xDescriptors={"urn:alm:descriptor:io.kubernetes.conditions"}
	// Conditions: Available, Progressing, Degraded, ConfigValid and Upgradeable.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Observed Generation",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	// Replicas is the number of nginx pods.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Ready Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	// ReadyReplicas is the number of nginx pods ready to serve.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Updated Replicas",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:podCount"}
	// UpdatedReplicas is the number of nginx pods on the target image and config.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Pod Selector",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:hidden"}
	// Selector is the label selector of the pods, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Current Image",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// CurrentImage is the image every pod runs once the last rollout completed.
	// +optional
	CurrentImage string `json:"currentImage,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Target Image",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// TargetImage is the image being rolled out (equal to currentImage when settled).
	// +optional
	TargetImage string `json:"targetImage,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Last Good Image",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// LastGoodImage is the last image whose rollout completed; rollbacks return to it.
	// +optional
	LastGoodImage string `json:"lastGoodImage,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Config Hash",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// ConfigHash identifies the rendered nginx config the pods are moving to.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Last Good Config Hash",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// LastGoodConfigHash is the config of the last completed rollout; rollbacks return to it.
	// +optional
	LastGoodConfigHash string `json:"lastGoodConfigHash,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Rollout Phase",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// RolloutPhase is where the latest change stands: Validating, RollingOut, Complete,
	// ConfigInvalid, Failed, RollingBack, RolledBack, Canary or CanaryAborted.
	// +optional
	RolloutPhase RolloutPhase `json:"rolloutPhase,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Current Revision",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// CurrentRevision is the revision every pod ran when the last rollout settled.
	// +optional
	CurrentRevision string `json:"currentRevision,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Update Revision",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// UpdateRevision is the revision the Deployment runs its new pods on: the spec's, or the
	// last good one after a rollback.
	// +optional
	UpdateRevision string `json:"updateRevision,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Last Good Revision",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// LastGoodRevision is the last revision whose rollout completed; rollbacks return to it.
	// +optional
	LastGoodRevision string `json:"lastGoodRevision,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Revisions",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:hidden"}
	// Revisions is a short history, newest first: what each revision runs and how its
	// validation and rollout went.
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	// +optional
	Revisions []RevisionStatus `json:"revisions,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary"}
	// Canary is the latest canary (strategy Canary): its revision, phase and last analysis.
	// +optional
	Canary *CanaryStatus `json:"canary,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Certificate",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:certificate"}
	// Certificate is the TLS certificate the Deployment's pods serve (spec.tls).
	// +optional
	Certificate *CertificateStatus `json:"certificate,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="URL",xDescriptors={"urn:alm:descriptor:org.w3:link"}
	// URL at which the web server answers inside the cluster.
	// +optional
	URL string `json:"url,omitempty"`

	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Reconciled By",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// ReconciledBy is the version of the operator that last reconciled this WebServer.
	// +optional
	ReconciledBy string `json:"reconciledBy,omitempty"`
}

// CertificateStatus describes a served TLS certificate.
type CertificateStatus struct {
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Certificate Expiry",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// NotAfter is when the certificate expires.
	NotAfter metav1.Time `json:"notAfter"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Certificate DNS Names",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// DNSNames are the certificate's subject alternative names.
	// +optional
	DNSNames []string `json:"dnsNames,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Certificate Revision",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:text"}
	// Revision is the revision whose pods serve it.
	// +optional
	Revision string `json:"revision,omitempty"`
}

// CanaryPhase is where a canary stands.
type CanaryPhase string

// Canary phases.
const (
	// CanaryStarting: the canary pods are being created and becoming ready.
	CanaryStarting CanaryPhase = "Starting"
	// CanaryAnalyzing: analyses compare the canary with the stable pods.
	CanaryAnalyzing CanaryPhase = "Analyzing"
	// CanaryAwaitingApproval: every analysis passed; promotion waits for the user's
	// approval (canary.manualApproval), while the analyses go on.
	CanaryAwaitingApproval CanaryPhase = "AwaitingApproval"
	// CanaryPromoting: every pod rolls to the canary's revision; the canary pods stay until
	// the rollout completed.
	CanaryPromoting CanaryPhase = "Promoting"
	// CanaryPromoted: every pod runs the canary's revision; the canary pods are gone.
	CanaryPromoted CanaryPhase = "Promoted"
	// CanaryAborted: the canary failed and its pods were removed; the stable pods were
	// never touched. The revision is not tried again.
	CanaryAborted CanaryPhase = "Aborted"
	// CanaryStopped: the canary ended without a verdict and its pods were removed: the spec
	// moved on, the strategy changed, or the WebServer went idle. Nothing failed; the
	// revision gets a new canary when the spec asks for it again.
	CanaryStopped CanaryPhase = "Stopped"
)

// CanaryStatus is where the latest canary stands.
type CanaryStatus struct {
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Revision",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Revision is the revision the canary pods run (see status.revisions).
	Revision string `json:"revision"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Phase",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Phase: Starting, Analyzing, AwaitingApproval, Promoting, Promoted, Aborted or Stopped.
	Phase CanaryPhase `json:"phase"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Analyses Passed",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// PassedAnalyses counts the analyses passed in a row.
	// +optional
	PassedAnalyses int32 `json:"passedAnalyses,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Inconclusive Analyses",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// InconclusiveAnalyses counts the analyses in a row that had too few requests to
	// decide; three times canary.analyses of them fail the canary.
	// +optional
	InconclusiveAnalyses int32 `json:"inconclusiveAnalyses,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Analyses Required",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// RequiredAnalyses is how many must pass before promotion (canary.analyses).
	// +optional
	RequiredAnalyses int32 `json:"requiredAnalyses,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Start Time",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// StartTime is when the canary pods were first asked for.
	// +optional
	StartTime *metav1.Time `json:"startTime,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Message",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Message says why the canary stands where it does, with the numbers that decided.
	// +optional
	Message string `json:"message,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Last Canary Analysis",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// LastAnalysis is the latest analysis.
	// +optional
	LastAnalysis *CanaryAnalysis `json:"lastAnalysis,omitempty"`
}

// CanaryAnalysis is one comparison of the canary with the stable pods over one window.
type CanaryAnalysis struct {
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Analysis Time",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Time is when the window ended.
	Time metav1.Time `json:"time"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Analysis Outcome",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Outcome: Passed, Failed or Inconclusive.
	Outcome string `json:"outcome"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Canary Requests",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Canary is what the canary pods answered in the window.
	Canary RequestStats `json:"canary"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Stable Requests",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Stable is what the stable pods answered in the same window.
	Stable RequestStats `json:"stable"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Synthetic Requests",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// SyntheticRequests counts the synthetic requests the analysis sent to the canary pods'
	// checkPath.
	// +optional
	SyntheticRequests int32 `json:"syntheticRequests,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Synthetic Failures",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// SyntheticFailures counts those that got no answer or an answer of 400 or above.
	// +optional
	SyntheticFailures int32 `json:"syntheticFailures,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Analysis Message",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Message states the numbers that decided the outcome.
	// +optional
	Message string `json:"message,omitempty"`
}

// RequestStats are the requests a set of pods answered in an analysis window.
type RequestStats struct {
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Requests",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Requests answered.
	// +optional
	Requests int64 `json:"requests,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Errors (5xx)",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// Errors are the requests answered with 5xx.
	// +optional
	Errors int64 `json:"errors,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="Error Ratio",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// ErrorRatio is errors / requests, as a percentage with two decimals, e.g. "2.50%".
	// +optional
	ErrorRatio string `json:"errorRatio,omitempty"`
	// +operator-sdk:csv:customresourcedefinitions:type=status,displayName="p95 Latency",xDescriptors={"urn:alm:descriptor:com.tectonic.ui:fieldGroup:canary","urn:alm:descriptor:com.tectonic.ui:text"}
	// LatencyP95 is the 95th percentile request duration, e.g. "950µs" or "12.3ms".
	// +optional
	LatencyP95 string `json:"latencyP95,omitempty"`
}

// RolloutPhase is where the latest change of a WebServer stands.
type RolloutPhase string

// Rollout phases.
const (
	// RolloutPhaseValidating: nginx -t checks the new revision; no serving pod has it.
	RolloutPhaseValidating RolloutPhase = "Validating"
	// RolloutPhaseRollingOut: pods move to the new revision.
	RolloutPhaseRollingOut RolloutPhase = "RollingOut"
	// RolloutPhaseComplete: every pod runs the revision the spec asks for.
	RolloutPhaseComplete RolloutPhase = "Complete"
	// RolloutPhaseConfigInvalid: nginx refused the new revision's config; no pod has it.
	RolloutPhaseConfigInvalid RolloutPhase = "ConfigInvalid"
	// RolloutPhaseFailed: the new revision failed and nothing was reverted (autoRollback
	// false, or no earlier revision to return to).
	RolloutPhaseFailed RolloutPhase = "Failed"
	// RolloutPhaseRollingBack: the pods return to the last good revision.
	RolloutPhaseRollingBack RolloutPhase = "RollingBack"
	// RolloutPhaseRolledBack: the new revision failed; every pod runs the last good one.
	RolloutPhaseRolledBack RolloutPhase = "RolledBack"
	// RolloutPhaseCanary: the new revision runs on canary pods (see status.canary).
	RolloutPhaseCanary RolloutPhase = "Canary"
	// RolloutPhaseCanaryAborted: the new revision failed as a canary; the stable pods
	// were never touched.
	RolloutPhaseCanaryAborted RolloutPhase = "CanaryAborted"
)

// RevisionPhase is where one revision stands.
type RevisionPhase string

// Revision phases.
const (
	// RevisionValidating: nginx -t runs on it.
	RevisionValidating RevisionPhase = "Validating"
	// RevisionInvalid: nginx -t refused its config.
	RevisionInvalid RevisionPhase = "Invalid"
	// RevisionValid: nginx -t accepted it; no rollout of it has completed yet.
	RevisionValid RevisionPhase = "Valid"
	// RevisionGood: a rollout of it completed.
	RevisionGood RevisionPhase = "Good"
	// RevisionFailed: it failed before or during its rollout; it is not tried again.
	RevisionFailed RevisionPhase = "Failed"
)

// RevisionStatus is one revision: everything a pod template runs.
type RevisionStatus struct {
	// Name identifies the revision (a hash of what follows).
	Name string `json:"name"`
	// Image is the nginx image.
	Image string `json:"image"`
	// ConfigHash identifies the rendered nginx config.
	ConfigHash string `json:"configHash"`
	// ContentHash identifies the content snapshot, when the spec has content.
	// +optional
	ContentHash string `json:"contentHash,omitempty"`
	// SecretHash identifies the snapshot of the TLS certificate and htpasswd users, when
	// the spec has tls or auth.
	// +optional
	SecretHash string `json:"secretHash,omitempty"`
	// RestartedAt is the spec.restartedAt the revision carries.
	// +optional
	RestartedAt string `json:"restartedAt,omitempty"`
	// Phase is how its validation and rollout went.
	Phase RevisionPhase `json:"phase"`
	// Reason is a CamelCase word for a failure.
	// +optional
	Reason string `json:"reason,omitempty"`
	// Message says why it failed, with nginx's own error line when nginx refused it.
	// +optional
	Message string `json:"message,omitempty"`
	// LastTransitionTime is when the phase last changed.
	LastTransitionTime metav1.Time `json:"lastTransitionTime"`
}

// WebServer runs a fleet of nginx web servers: pods, Service, config and content,
// with rollouts that keep serving.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +operator-sdk:csv:customresourcedefinitions:displayName="Web Server",resources={{Deployment,v1},{Service,v1},{ServiceAccount,v1},{ConfigMap,v1},{Secret,v1},{Pod,v1},{PodDisruptionBudget,v1},{HorizontalPodAutoscaler,v2},{Ingress,v1},{Event,v1}}
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ws,categories=all
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must start with a letter, hold only lowercase letters, digits and '-', and be at most 63 characters: it names the Service"
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.currentImage`
// +kubebuilder:printcolumn:name="Phase",type=string,JSONPath=`.status.rolloutPhase`
// +kubebuilder:printcolumn:name="Revision",type=string,JSONPath=`.status.currentRevision`,priority=1
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Available",type=string,JSONPath=`.status.conditions[?(@.type=="Available")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`,priority=1
// +kubebuilder:printcolumn:name="Host",type=string,JSONPath=`.spec.ingress.host`,priority=1
type WebServer struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// +kubebuilder:default={}
	Spec   WebServerSpec   `json:"spec,omitempty"`
	Status WebServerStatus `json:"status,omitempty"`
}

// WebServerList is a list of WebServers.
// +kubebuilder:object:root=true
type WebServerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []WebServer `json:"items"`
}

func init() {
	SchemeBuilder.Register(&WebServer{}, &WebServerList{})
}
