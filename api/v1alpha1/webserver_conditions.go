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
	// ConditionCertificateValid is True while the TLS Secret holds a usable certificate and
	// the served one is more than CertificateRenewalWindow from expiring; only with spec.tls.
	ConditionCertificateValid = "CertificateValid"
)

// Condition reasons, CamelCase as the API conventions ask.
const (
	// ReasonMinimumReplicasAvailable: at least one pod is ready.
	ReasonMinimumReplicasAvailable = "MinimumReplicasAvailable"
	// ReasonNoReplicasAvailable: no pod is ready.
	ReasonNoReplicasAvailable = "NoReplicasAvailable"
	// ReasonIdle: spec.idle scaled the web server to zero.
	ReasonIdle = "Idle"
	// ReasonServiceMissing: pods serve, but the Service in front of them does not exist.
	ReasonServiceMissing = "ServiceMissing"
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
	// ReasonCrashLoop: nginx containers keep exiting; the pods are named in the message.
	ReasonCrashLoop = "CrashLoop"
	// ReasonImagePullFailed: the image of new pods cannot be pulled.
	ReasonImagePullFailed = "ImagePullFailed"
	// ReasonPodsNotReady: pods run but do not become ready; the message says why.
	ReasonPodsNotReady = "PodsNotReady"
	// ReasonChildRejected: the API server refused a child (invalid, forbidden, ...); the
	// message names the child and carries the API server's words.
	ReasonChildRejected = "ChildRejected"
	// ReasonChildContested: another writer keeps changing or deleting a child; the message
	// names the child and the other field managers, and repairs are held to one per interval.
	ReasonChildContested = "ChildContested"
	// ReasonReconcileFailed: a pass stopped on an error it retries with backoff.
	ReasonReconcileFailed = "ReconcileFailed"
	// ReasonDeploymentPaused: the Deployment was paused by hand; the operator resumes it.
	ReasonDeploymentPaused = "DeploymentPaused"

	// ReasonConfigRendered: the nginx config was rendered from the spec.
	ReasonConfigRendered = "ConfigRendered"
	// ReasonConfigMapNotFound: a referenced ConfigMap or key does not exist; the last
	// good config keeps serving.
	ReasonConfigMapNotFound = "ConfigMapNotFound"
	// ReasonConfigInvalid: the server block cannot be placed inside server {} (for example
	// an unbalanced brace); no pod gets it.
	ReasonConfigInvalid = "ConfigInvalid"
	// ReasonNginxRejectedConfig: nginx refused the rendered config when pods started it;
	// the message carries nginx's own error line.
	ReasonNginxRejectedConfig = "NginxRejectedConfig"

	// ReasonValidating: nginx -t checks a new revision in a short-lived pod before any
	// serving pod gets it.
	ReasonValidating = "Validating"
	// ReasonValidated: nginx -t accepted the config.
	ReasonValidated = "Validated"
	// ReasonValidationFailed: nginx -t could not be run on the new revision (its image
	// cannot be pulled, its container cannot start, the check timed out); no serving pod
	// got it.
	ReasonValidationFailed = "ValidationFailed"
	// ReasonRolledBack: the new revision failed and the pods were returned to the last good
	// revision; the message names both and why it failed.
	ReasonRolledBack = "RolledBack"
	// ReasonRollingBack: the pods return to the last good revision.
	ReasonRollingBack = "RollingBack"
	// ReasonRolloutFailed: the new revision failed and nothing was reverted (autoRollback
	// is false, or there is no earlier revision to return to).
	ReasonRolloutFailed = "RolloutFailed"

	// ReasonSecretNotFound: a Secret named in spec.tls or spec.auth, or its key, does not
	// exist; the pods keep what they serve, a new WebServer does not serve yet.
	ReasonSecretNotFound = "SecretNotFound"
	// ReasonSecretInvalid: a Secret named in spec.tls or spec.auth cannot be used (no
	// certificate, a key that does not match it, an expired certificate, no htpasswd
	// users); the pods keep what they serve.
	ReasonSecretInvalid = "SecretInvalid"
	// ReasonCertificateValid: the served certificate is valid for longer than the renewal window.
	ReasonCertificateValid = "CertificateValid"
	// ReasonCertificateExpiresSoon: the served certificate expires within the renewal window.
	ReasonCertificateExpiresSoon = "CertificateExpiresSoon"
	// ReasonCertificateExpired: the served certificate has expired.
	ReasonCertificateExpired = "CertificateExpired"

	// ReasonCanary: the new revision runs on canary pods while analyses judge it.
	ReasonCanary = "Canary"
	// ReasonCanaryFailed: the canary failed an analysis or its pods did not become ready;
	// its pods were removed, the stable pods never touched. The message has the numbers.
	ReasonCanaryFailed = "CanaryFailed"

	// ReasonRolloutInProgress: a rollout runs, so upgrading the operator should wait.
	ReasonRolloutInProgress = "RolloutInProgress"
)

// LegacyFinalizer was added by operator versions up to 0.2.0. WebServers need no
// finalizer (children go by garbage collection), so the operator removes it: a WebServer
// must never block its namespace or the CRD when the operator is gone.
const LegacyFinalizer = "webserver.dev/finalizer"

// AnnotationApproveCanary, set on a WebServer to the revision of its canary
// (status.canary.revision), approves the promotion of a canary held by
// spec.upgrade.canary.manualApproval. An approval names its revision, so it never
// promotes a later canary.
const AnnotationApproveCanary = "webserver.dev/approve-canary"
