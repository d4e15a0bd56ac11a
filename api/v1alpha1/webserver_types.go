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
type WebServerSpec struct {
	// Image is the nginx container image. When empty, the operator's default
	// (its RELATED_IMAGE_NGINX environment variable) is used.
	// +kubebuilder:validation:MaxLength=512
	// +kubebuilder:validation:XValidation:rule="self.matches('^[^\\\\s]+$')",message="image must be an image reference without spaces, e.g. nginx:1.27"
	// +optional
	Image string `json:"image,omitempty"`

	// Replicas is the number of nginx pods. Ignored while autoscaling is set or idle is true.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	// +kubebuilder:validation:XValidation:rule="self >= 0 && self <= 1000",message="replicas must be between 0 and 1000; to stop serving but keep everything else use idle: true"
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// Idle scales the web server to zero pods while keeping its Service, config and
	// status; setting it back to false restores the replicas.
	// +optional
	Idle bool `json:"idle,omitempty"`

	// Port is the unprivileged container port nginx listens on for HTTP.
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1024
	// +kubebuilder:validation:Maximum=65535
	// +kubebuilder:validation:XValidation:rule="self >= 1024 && self <= 65535",message="port must be between 1024 and 65535: nginx runs as non-root; expose port 80 with service.port instead"
	// +kubebuilder:validation:XValidation:rule="self != 8079",message="port 8079 is reserved for the health and status endpoint; choose another port"
	// +optional
	Port int32 `json:"port,omitempty"`

	// Service configures the Service in front of the pods.
	// +kubebuilder:default={}
	// +optional
	Service ServiceSpec `json:"service,omitempty"`

	// Config is the content of nginx's server {} block, inline or from a ConfigMap.
	// The operator owns the main nginx.conf around it. When unset, static files are served.
	// +optional
	Config *ConfigSpec `json:"config,omitempty"`

	// Content serves the keys of a ConfigMap as files of the document root.
	// +optional
	Content *ContentSpec `json:"content,omitempty"`

	// TLS serves HTTPS with a certificate from a Secret and redirects HTTP to it.
	// +optional
	TLS *TLSSpec `json:"tls,omitempty"`

	// Ingress puts an Ingress in front of the Service, for clusters that route by host name.
	// +optional
	Ingress *IngressSpec `json:"ingress,omitempty"`

	// Auth protects the whole site with access control.
	// +optional
	Auth *AuthSpec `json:"auth,omitempty"`

	// Resources of the nginx container. Unset requests default to the limits and unset
	// limits to the requests, so pods get the Guaranteed QoS class.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// PodTemplate holds scheduling and environment settings of the nginx pods.
	// +optional
	PodTemplate *PodTemplateSpec `json:"podTemplate,omitempty"`

	// Autoscaling replaces replicas with a HorizontalPodAutoscaler on CPU utilization.
	// +optional
	Autoscaling *AutoscalingSpec `json:"autoscaling,omitempty"`

	// Disruption bounds voluntary disruptions (node drains) with a PodDisruptionBudget.
	// By default at least one pod stays up when there are two or more.
	// +optional
	Disruption *DisruptionSpec `json:"disruption,omitempty"`

	// Upgrade controls how new images and configs are rolled out.
	// +kubebuilder:default={}
	// +optional
	Upgrade UpgradeSpec `json:"upgrade,omitempty"`

	// RestartedAt restarts all pods (rolling) whenever its value changes, like
	// kubectl rollout restart; a timestamp is the usual value.
	// +kubebuilder:validation:MaxLength=64
	// +optional
	RestartedAt string `json:"restartedAt,omitempty"`

	// Monitoring adds an nginx metrics exporter, a ServiceMonitor and a PrometheusRule.
	// +optional
	Monitoring *MonitoringSpec `json:"monitoring,omitempty"`
}

// ServiceSpec configures the Service in front of the nginx pods.
// +kubebuilder:validation:XValidation:rule="!has(self.nodePort) || self.type == 'NodePort' || self.type == 'LoadBalancer'",message="service.nodePort can only be set when service.type is NodePort or LoadBalancer"
type ServiceSpec struct {
	// Type of the Service.
	// +kubebuilder:default=ClusterIP
	// +kubebuilder:validation:Enum=ClusterIP;NodePort;LoadBalancer
	// +optional
	Type corev1.ServiceType `json:"type,omitempty"`

	// Port the Service exposes for HTTP.
	// +kubebuilder:default=80
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	Port int32 `json:"port,omitempty"`

	// NodePort requests a fixed node port (type NodePort or LoadBalancer only);
	// when unset the cluster picks one.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	// +optional
	NodePort int32 `json:"nodePort,omitempty"`

	// Annotations added to the Service, e.g. for cloud load balancers.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`
}

// ConfigSpec is the nginx server {} content: exactly one of inline or configMapRef.
// +kubebuilder:validation:XValidation:rule="has(self.inline) != has(self.configMapRef)",message="config needs exactly one of inline or configMapRef"
type ConfigSpec struct {
	// Inline nginx directives placed inside the server {} block, e.g. location blocks.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=262144
	// +optional
	Inline string `json:"inline,omitempty"`

	// ConfigMapRef names a ConfigMap key (in the WebServer's namespace) holding the
	// server {} directives. Changes to it roll the pods.
	// +optional
	ConfigMapRef *ConfigMapKeyReference `json:"configMapRef,omitempty"`
}

// ConfigMapKeyReference points at one key of a ConfigMap in the same namespace.
type ConfigMapKeyReference struct {
	// Name of the ConfigMap.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`

	// Key in the ConfigMap's data.
	// +kubebuilder:default=server.conf
	// +kubebuilder:validation:MinLength=1
	// +optional
	Key string `json:"key,omitempty"`
}

// ContentSpec serves static files from a ConfigMap.
type ContentSpec struct {
	// ConfigMapName is the ConfigMap (same namespace) whose keys become files of the
	// document root, e.g. index.html. Changes to it roll the pods.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	ConfigMapName string `json:"configMapName"`
}

// TLSSpec serves HTTPS.
type TLSSpec struct {
	// SecretName is a kubernetes.io/tls Secret (same namespace) with tls.crt and tls.key.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	SecretName string `json:"secretName"`
}

// IngressSpec configures an Ingress in front of the Service.
type IngressSpec struct {
	// Host name the Ingress routes to this web server.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Host string `json:"host"`

	// Path prefix routed to this web server.
	// +kubebuilder:default=/
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="ingress.path must start with /"
	// +optional
	Path string `json:"path,omitempty"`

	// ClassName is the IngressClass; when unset the cluster default is used.
	// +optional
	ClassName *string `json:"className,omitempty"`

	// Annotations added to the Ingress.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// TLS terminates HTTPS at the Ingress.
	// +optional
	TLS *IngressTLSSpec `json:"tls,omitempty"`
}

// IngressTLSSpec terminates TLS at the Ingress.
type IngressTLSSpec struct {
	// SecretName is a kubernetes.io/tls Secret (same namespace) for the Ingress host.
	// +kubebuilder:validation:MinLength=1
	SecretName string `json:"secretName"`
}

// AuthSpec is the access control of the site.
type AuthSpec struct {
	// Basic enables HTTP basic authentication.
	// +optional
	Basic *BasicAuthSpec `json:"basic,omitempty"`
}

// BasicAuthSpec enables HTTP basic authentication from an htpasswd file.
type BasicAuthSpec struct {
	// SecretName is a Secret (same namespace) whose key "htpasswd" holds the users.
	// +kubebuilder:validation:MinLength=1
	SecretName string `json:"secretName"`
}

// PodTemplateSpec holds the pod settings users commonly need.
type PodTemplateSpec struct {
	// NodeSelector constrains the pods to nodes with these labels.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// Tolerations of the pods.
	// +optional
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// Affinity of the pods.
	// +optional
	Affinity *corev1.Affinity `json:"affinity,omitempty"`

	// TopologySpreadConstraints of the pods.
	// +optional
	TopologySpreadConstraints []corev1.TopologySpreadConstraint `json:"topologySpreadConstraints,omitempty"`

	// Annotations added to the pods.
	// +optional
	Annotations map[string]string `json:"annotations,omitempty"`

	// Env adds environment variables to the nginx container.
	// +optional
	Env []corev1.EnvVar `json:"env,omitempty"`
}

// AutoscalingSpec scales the pods with a HorizontalPodAutoscaler (autoscaling/v2).
// +kubebuilder:validation:XValidation:rule="!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",message="autoscaling.minReplicas must not be greater than autoscaling.maxReplicas"
type AutoscalingSpec struct {
	// MinReplicas is the lower bound.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +optional
	MinReplicas *int32 `json:"minReplicas,omitempty"`

	// MaxReplicas is the upper bound.
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxReplicas int32 `json:"maxReplicas"`

	// TargetCPUUtilizationPercentage is the average CPU utilization (of requests) to keep.
	// +kubebuilder:default=80
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	// +optional
	TargetCPUUtilizationPercentage *int32 `json:"targetCPUUtilizationPercentage,omitempty"`

	// Behavior tunes scale-up and scale-down rates.
	// +optional
	Behavior *autoscalingv2.HorizontalPodAutoscalerBehavior `json:"behavior,omitempty"`
}

// DisruptionSpec configures the PodDisruptionBudget: at most one of the two fields.
// +kubebuilder:validation:XValidation:rule="!(has(self.minAvailable) && has(self.maxUnavailable))",message="disruption takes minAvailable or maxUnavailable, not both"
type DisruptionSpec struct {
	// MinAvailable pods during voluntary disruptions (number or percentage).
	// +optional
	MinAvailable *intstr.IntOrString `json:"minAvailable,omitempty"`

	// MaxUnavailable pods during voluntary disruptions (number or percentage).
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
// +kubebuilder:validation:XValidation:rule="!has(self.canary) || self.strategy == 'Canary'",message="upgrade.canary can only be set when upgrade.strategy is Canary"
type UpgradeSpec struct {
	// Strategy of the rollout.
	// +kubebuilder:default=RollingUpdate
	// +optional
	Strategy UpgradeStrategy `json:"strategy,omitempty"`

	// MaxSurge is how many extra pods may run during a rollout (number or percentage).
	// +kubebuilder:default=1
	// +kubebuilder:validation:XIntOrString
	// +optional
	MaxSurge *intstr.IntOrString `json:"maxSurge,omitempty"`

	// MaxUnavailable is how many pods may be missing during a rollout. The default 0
	// keeps full capacity, so no request is dropped.
	// +kubebuilder:default=0
	// +kubebuilder:validation:XIntOrString
	// +optional
	MaxUnavailable *intstr.IntOrString `json:"maxUnavailable,omitempty"`

	// ProgressDeadlineSeconds after which a stalled rollout counts as failed.
	// +kubebuilder:default=600
	// +kubebuilder:validation:Minimum=10
	// +optional
	ProgressDeadlineSeconds *int32 `json:"progressDeadlineSeconds,omitempty"`

	// AutoRollback reverts a failed rollout to the last good image and config.
	// +kubebuilder:default=true
	// +optional
	AutoRollback *bool `json:"autoRollback,omitempty"`

	// Canary settings (strategy Canary only).
	// +optional
	Canary *CanarySpec `json:"canary,omitempty"`
}

// CanarySpec configures canary rollouts.
type CanarySpec struct {
	// Replicas of the canary.
	// +kubebuilder:default=1
	// +kubebuilder:validation:Minimum=1
	// +optional
	Replicas *int32 `json:"replicas,omitempty"`

	// CheckPath must answer 2xx on the canary before it is promoted.
	// +kubebuilder:default=/
	// +kubebuilder:validation:XValidation:rule="self.startsWith('/')",message="upgrade.canary.checkPath must start with /"
	// +optional
	CheckPath string `json:"checkPath,omitempty"`
}

// MonitoringSpec configures metrics for the nginx pods.
type MonitoringSpec struct {
	// Enabled adds an nginx exporter sidecar, and a ServiceMonitor and PrometheusRule
	// when the Prometheus Operator is installed.
	// +optional
	Enabled bool `json:"enabled,omitempty"`
}

// WebServerStatus is the observed state of a WebServer, recomputed on every reconcile.
type WebServerStatus struct {
	// Conditions: Available, Progressing, Degraded, ConfigValid and Upgradeable.
	// +listType=map
	// +listMapKey=type
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// ObservedGeneration is the generation of the spec this status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// Replicas is the number of nginx pods.
	// +optional
	Replicas int32 `json:"replicas,omitempty"`

	// ReadyReplicas is the number of nginx pods ready to serve.
	// +optional
	ReadyReplicas int32 `json:"readyReplicas,omitempty"`

	// UpdatedReplicas is the number of nginx pods on the target image and config.
	// +optional
	UpdatedReplicas int32 `json:"updatedReplicas,omitempty"`

	// Selector is the label selector of the pods, for the scale subresource.
	// +optional
	Selector string `json:"selector,omitempty"`

	// CurrentImage is the image every pod runs once the last rollout completed.
	// +optional
	CurrentImage string `json:"currentImage,omitempty"`

	// TargetImage is the image being rolled out (equal to currentImage when settled).
	// +optional
	TargetImage string `json:"targetImage,omitempty"`

	// LastGoodImage is the last image whose rollout completed; rollbacks return to it.
	// +optional
	LastGoodImage string `json:"lastGoodImage,omitempty"`

	// ConfigHash identifies the rendered nginx config the pods are moving to.
	// +optional
	ConfigHash string `json:"configHash,omitempty"`

	// LastGoodConfigHash is the config of the last completed rollout; rollbacks return to it.
	// +optional
	LastGoodConfigHash string `json:"lastGoodConfigHash,omitempty"`

	// URL at which the web server answers inside the cluster.
	// +optional
	URL string `json:"url,omitempty"`

	// ReconciledBy is the version of the operator that last reconciled this WebServer.
	// +optional
	ReconciledBy string `json:"reconciledBy,omitempty"`
}

// WebServer runs a fleet of nginx web servers: pods, Service, config and content,
// with rollouts that keep serving.
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:subresource:scale:specpath=.spec.replicas,statuspath=.status.replicas,selectorpath=.status.selector
// +kubebuilder:resource:shortName=ws,categories=all
// +kubebuilder:validation:XValidation:rule="self.metadata.name.size() <= 63 && self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="metadata.name must start with a letter, hold only lowercase letters, digits and '-', and be at most 63 characters: it names the Service"
// +kubebuilder:printcolumn:name="Image",type=string,JSONPath=`.status.currentImage`
// +kubebuilder:printcolumn:name="Desired",type=integer,JSONPath=`.spec.replicas`
// +kubebuilder:printcolumn:name="Ready",type=integer,JSONPath=`.status.readyReplicas`
// +kubebuilder:printcolumn:name="Available",type=string,JSONPath=`.status.conditions[?(@.type=="Available")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
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
