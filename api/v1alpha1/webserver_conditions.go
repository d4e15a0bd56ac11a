package v1alpha1

// Condition types of a WebServer.
const (
	// ConditionAvailable is True when at least one pod is ready to serve.
	ConditionAvailable = "Available"
	// ConditionProgressing is True while pods move to a new image, config or replica count.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when the web server runs below what its spec asks for.
	ConditionDegraded = "Degraded"
	// ConditionConfigValid is True when the nginx config rendered from the spec is usable.
	ConditionConfigValid = "ConfigValid"
	// ConditionUpgradeable is False while a rollout runs, so the operator itself is not
	// upgraded in the middle of one.
	ConditionUpgradeable = "Upgradeable"
)

// Condition reasons, CamelCase as the API conventions ask.
const (
	// ReasonMinimumReplicasAvailable: at least one pod is ready.
	ReasonMinimumReplicasAvailable = "MinimumReplicasAvailable"
	// ReasonNoReplicasAvailable: no pod is ready.
	ReasonNoReplicasAvailable = "NoReplicasAvailable"
	// ReasonIdle: spec.idle scaled the web server to zero.
	ReasonIdle = "Idle"
	// ReasonCreating: the children are being created for the first time.
	ReasonCreating = "Creating"

	// ReasonUpgrading: pods move to a new image or config.
	ReasonUpgrading = "Upgrading"
	// ReasonScaling: the number of pods changes.
	ReasonScaling = "Scaling"
	// ReasonRolloutComplete: every pod runs the target image and config.
	ReasonRolloutComplete = "RolloutComplete"
	// ReasonProgressDeadlineExceeded: the rollout stalled past upgrade.progressDeadlineSeconds.
	ReasonProgressDeadlineExceeded = "ProgressDeadlineExceeded"

	// ReasonAsExpected: nothing is wrong.
	ReasonAsExpected = "AsExpected"
	// ReasonReplicaFailure: pods could not be created (quota, admission, ...).
	ReasonReplicaFailure = "ReplicaFailure"
	// ReasonNameConflict: an object the WebServer needs exists under its name and belongs to
	// someone else; the operator does not take it over.
	ReasonNameConflict = "NameConflict"
	// ReasonReplicasUnavailable: fewer pods are ready than desired outside a rollout.
	ReasonReplicasUnavailable = "ReplicasUnavailable"

	// ReasonConfigRendered: the nginx config was rendered from the spec.
	ReasonConfigRendered = "ConfigRendered"
	// ReasonConfigMapNotFound: a referenced ConfigMap or key does not exist; the last
	// good config keeps serving.
	ReasonConfigMapNotFound = "ConfigMapNotFound"

	// ReasonRolloutInProgress: a rollout runs, so upgrading the operator should wait.
	ReasonRolloutInProgress = "RolloutInProgress"
)

// Finalizer lets the operator tear a WebServer down in order before it is removed.
const Finalizer = "webserver.dev/finalizer"
