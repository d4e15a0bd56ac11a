package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// secretMemo remembers secretFacts of the user's Secrets (referenceMemo): digests and
// verdicts only, never the values.
type secretMemo struct {
	referenceMemo[secretFacts]
}

// secretMemo is the reconciler's memo, made on first use.
func (r *WebServerReconciler) secretMemo() *secretMemo {
	r.secretMemoOnce.Do(func() { r.secrets = &secretMemo{referenceMemo: newReferenceMemo[secretFacts]()} })
	return r.secrets
}

// referencedSecrets is what the user's Secrets give the pods.
type referencedSecrets struct {
	// hash identifies the material (resources.SecretHash); "" without tls and auth.
	hash string
	// problemReason and problemMessage say why a Secret cannot be used.
	problemReason, problemMessage string
	// live holds the Secrets this pass read from the API server, by name.
	live map[string]*corev1.Secret
}

// readReferencedSecrets resolves spec.tls and spec.auth.basic, reading each Secret only
// when it changed, and records what it learned about the certificate in s.tls. A problem
// (missing Secret, unusable content) is returned as such, not as an error: a retry cannot
// fix it, a change to the Secret re-triggers.
func (r *WebServerReconciler) readReferencedSecrets(ctx context.Context, s *scope) (referencedSecrets, error) {
	ws := s.ws
	out := referencedSecrets{live: map[string]*corev1.Secret{}}
	digests := map[string]string{}
	fail := func(reason, format string, args ...any) {
		if out.problemReason == "" {
			out.problemReason, out.problemMessage = reason, fmt.Sprintf(format, args...)
		}
	}
	read := func(name, field string) (secretFacts, bool, error) {
		facts, live, found, err := r.referencedSecret(ctx, ws.Namespace, name)
		if live != nil {
			out.live[name] = live
		}
		if err == nil && !found {
			fail(webserverv1alpha1.ReasonSecretNotFound, "Secret %q named in %s does not exist", name, field)
		}
		return facts, found, err
	}

	if tls := ws.Spec.TLS; tls != nil {
		s.tls = &tlsObservation{secretName: tls.SecretName}
		facts, found, err := read(tls.SecretName, "spec.tls.secretName")
		if err != nil {
			return referencedSecrets{}, err
		}
		switch {
		case !found:
		case facts.tlsProblem != "":
			fail(webserverv1alpha1.ReasonSecretInvalid, "Secret %q named in spec.tls.secretName %s", tls.SecretName, facts.tlsProblem)
		case !time.Now().Before(facts.certificate.NotAfter):
			fail(webserverv1alpha1.ReasonSecretInvalid, "Secret %q named in spec.tls.secretName holds a certificate that expired at %s",
				tls.SecretName, facts.certificate.NotAfter.UTC().Format(time.RFC3339))
		default:
			s.tls.spec = facts.certificate
			digests[resources.TLSCertKey] = facts.digests[resources.TLSCertKey]
			digests[resources.TLSKeyKey] = facts.digests[resources.TLSKeyKey]
		}
		if out.problemReason != "" {
			s.tls.problemReason, s.tls.problemMessage = out.problemReason, out.problemMessage
		}
		if err := r.observeServedCertificate(ctx, s); err != nil {
			return referencedSecrets{}, err
		}
	}

	if basic := ws.BasicAuth(); basic != nil {
		facts, found, err := read(basic.SecretName, "spec.auth.basic.secretName")
		if err != nil {
			return referencedSecrets{}, err
		}
		switch {
		case !found:
		case facts.htpasswdProblem != "":
			fail(webserverv1alpha1.ReasonSecretInvalid, "Secret %q named in spec.auth.basic.secretName %s", basic.SecretName, facts.htpasswdProblem)
		default:
			digests[resources.HtpasswdKey] = facts.digests[resources.HtpasswdKey]
		}
	}
	if out.problemReason == "" {
		out.hash = resources.SecretHash(digests)
	}
	return out, nil
}

// referencedSecret returns the facts of the user's Secret name in namespace. Its metadata
// comes from the cache; it is read from the API server only when its resourceVersion is
// not the remembered one, and then returned as live.
func (r *WebServerReconciler) referencedSecret(ctx context.Context, namespace, name string) (
	facts secretFacts, live *corev1.Secret, found bool, err error) {
	memo := r.secretMemo()
	key := types.NamespacedName{Namespace: namespace, Name: name}
	cached, err := cachedMetadata(ctx, r, "Secret", key)
	if err != nil {
		return secretFacts{}, nil, false, err
	}
	if cached == nil {
		memo.forget(key)
		return secretFacts{}, nil, false, nil
	}
	if facts, ok := memo.get(key, cached.ResourceVersion); ok {
		return facts, nil, true, nil
	}
	live, err = r.readSecret(ctx, key)
	if apierrors.IsNotFound(err) {
		memo.forget(key)
		return secretFacts{}, nil, false, nil
	}
	if err != nil {
		return secretFacts{}, nil, false, err
	}
	return memo.store(key, live.ResourceVersion, inspectSecret(live), nil), live, true, nil
}

// readSecret reads one of the user's Secrets from the API server.
func (r *WebServerReconciler) readSecret(ctx context.Context, key types.NamespacedName) (*corev1.Secret, error) {
	logf.FromContext(ctx).V(1).Info("Reading referenced Secret", "name", key.Name)
	secret := &corev1.Secret{}
	if err := r.APIReader.Get(ctx, key, secret); err != nil {
		return nil, fmt.Errorf("reading Secret %s: %w", key.Name, err)
	}
	return secret, nil
}

// ensureSecretSnapshot makes sure the immutable copy of the spec's secret material exists.
// The user's Secrets are read only when it is missing; live holds those already read.
// When a Secret changed since its facts were taken, the pass ends and the change's watch
// event starts the next one, so a snapshot always holds what its name says.
func (r *WebServerReconciler) ensureSecretSnapshot(ctx context.Context, s *scope, live map[string]*corev1.Secret) error {
	if s.config.secretHash == "" {
		return nil
	}
	name := resources.SecretSnapshotName(s.ws, s.config.secretHash)
	exists, err := r.ownedSecretExists(ctx, s.ws.Namespace, name)
	if err != nil || exists {
		return err
	}
	get := func(secretName string) (*corev1.Secret, error) {
		if secret, ok := live[secretName]; ok {
			return secret, nil
		}
		return r.readSecret(ctx, types.NamespacedName{Namespace: s.ws.Namespace, Name: secretName})
	}
	var material resources.SecretMaterial
	var cert *resources.CertificateFacts
	if tls := s.ws.Spec.TLS; tls != nil {
		secret, err := get(tls.SecretName)
		if err != nil {
			return err
		}
		material.TLSCert, material.TLSKey = secret.Data[resources.TLSCertKey], secret.Data[resources.TLSKeyKey]
		cert = s.tls.spec
	}
	if basic := s.ws.BasicAuth(); basic != nil {
		secret, err := get(basic.SecretName)
		if err != nil {
			return err
		}
		material.Htpasswd = secret.Data[resources.HtpasswdKey]
	}
	if material.Hash() != s.config.secretHash {
		return fmt.Errorf("secret material changed while it was read; trying again")
	}
	logf.FromContext(ctx).Info("Creating secret snapshot", "name", name)
	return r.createOnce(ctx, s.ws, resources.SecretSnapshot(s.ws, material, cert), &corev1.Secret{})
}

// ownedSecretExists looks up one of the operator's secret snapshots in the cache.
func (r *WebServerReconciler) ownedSecretExists(ctx context.Context, namespace, name string) (bool, error) {
	existing, err := cachedMetadata(ctx, r, "Secret", types.NamespacedName{Namespace: namespace, Name: name})
	return existing != nil, err
}

// observeServedCertificate records the certificate of the snapshot the Deployment's pods
// mount, from the snapshot's cached metadata.
func (r *WebServerReconciler) observeServedCertificate(ctx context.Context, s *scope) error {
	deployed, ok := deploymentRevision(s.deployment)
	if !ok || deployed.SecretHash == "" {
		return nil
	}
	key := types.NamespacedName{Namespace: s.ws.Namespace, Name: resources.SecretSnapshotName(s.ws, deployed.SecretHash)}
	snapshot, err := cachedMetadata(ctx, r, "Secret", key)
	if err != nil || snapshot == nil {
		return err
	}
	if cert, ok := resources.ParseCertificateAnnotations(snapshot.Annotations); ok {
		s.tls.served, s.tls.servedRevision = &cert, deployed.name()
	}
	return nil
}

// reportCertificate decides the CertificateValid condition and sends a Warning event when
// the served certificate enters the renewal window or expires (a Secret problem blocks the
// pass, which reports it). It returns when the verdict changes with time alone.
func (r *WebServerReconciler) reportCertificate(s *scope) time.Duration {
	if s.tls == nil {
		return 0
	}
	now := time.Now()
	s.tls.condition = certificateCondition(s.tls, now)
	c := s.tls.condition
	previous := meta.FindStatusCondition(s.originalStatus.Conditions, webserverv1alpha1.ConditionCertificateValid)
	if s.tls.problemReason == "" && c.Status == metav1.ConditionFalse && (previous == nil || previous.Reason != c.Reason) {
		r.announce(s, nil, corev1.EventTypeWarning, c.Reason, "CheckCertificate", "%s", c.Message)
	}
	return nextCertificateCheck(s.tls, now)
}
