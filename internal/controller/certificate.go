package controller

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// CertificateRenewalWindow is how long before its expiry a served certificate is reported.
const CertificateRenewalWindow = 14 * 24 * time.Hour

// secretFacts is what the reconciler derived from one resourceVersion of a user's Secret.
type secretFacts struct {
	// digests holds resources.SecretDigest of the keys the operator uses, when present.
	digests map[string]string
	// certificate describes tls.crt when tls.crt and tls.key form a usable pair;
	// tlsProblem says why they do not.
	certificate *resources.CertificateFacts
	tlsProblem  string
	// htpasswdProblem says why the htpasswd key holds no usable users.
	htpasswdProblem string
}

// inspectSecret derives the facts of secret for both uses, TLS and basic auth.
func inspectSecret(secret *corev1.Secret) secretFacts {
	facts := secretFacts{digests: map[string]string{}}
	for _, k := range []string{resources.TLSCertKey, resources.TLSKeyKey, resources.HtpasswdKey} {
		if v, ok := secret.Data[k]; ok {
			facts.digests[k] = resources.SecretDigest(v)
		}
	}
	facts.certificate, facts.tlsProblem = inspectCertificate(secret.Data[resources.TLSCertKey], secret.Data[resources.TLSKeyKey])
	facts.htpasswdProblem = inspectHtpasswd(secret.Data[resources.HtpasswdKey])
	return facts
}

// inspectCertificate checks what nginx will load: a PEM chain whose first certificate
// matches the unencrypted private key.
func inspectCertificate(certPEM, keyPEM []byte) (*resources.CertificateFacts, string) {
	switch {
	case len(certPEM) == 0:
		return nil, "has no key tls.crt"
	case len(keyPEM) == 0:
		return nil, "has no key tls.key"
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, "holds no usable certificate and key: " + err.Error()
	}
	leaf := pair.Leaf
	if leaf == nil {
		if leaf, err = x509.ParseCertificate(pair.Certificate[0]); err != nil {
			return nil, "holds a certificate that cannot be parsed: " + err.Error()
		}
	}
	return &resources.CertificateFacts{NotAfter: leaf.NotAfter, DNSNames: leaf.DNSNames}, ""
}

// inspectHtpasswd checks that the htpasswd key holds users, one user:hash line each
// (blank lines and # comments aside).
func inspectHtpasswd(data []byte) string {
	if len(data) == 0 {
		return "has no key htpasswd (or it is empty)"
	}
	users := 0
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if name, hash, ok := strings.Cut(line, ":"); !ok || name == "" || hash == "" {
			return fmt.Sprintf("has a line %d in its htpasswd key that is not user:hash", i+1)
		}
		users++
	}
	if users == 0 {
		return "holds no users in its htpasswd key"
	}
	return ""
}

// tlsObservation is what one pass learned about the certificate of a WebServer with spec.tls.
type tlsObservation struct {
	secretName string
	// problemReason and problemMessage say why the spec's Secret cannot be used.
	problemReason, problemMessage string
	// spec is the certificate of the spec's Secret, when usable.
	spec *resources.CertificateFacts
	// served is the certificate the Deployment's pods mount, servedRevision their revision.
	served         *resources.CertificateFacts
	servedRevision string
	// condition is the CertificateValid condition reportCertificate decided.
	condition metav1.Condition
}

// shown is the certificate status describes: the one served, else the one about to be.
func (o *tlsObservation) shown() *resources.CertificateFacts {
	if o.served != nil {
		return o.served
	}
	return o.spec
}

// certificateCondition is the CertificateValid condition: a problem with the spec's
// Secret first, then the expiry of the certificate served (or about to be).
func certificateCondition(o *tlsObservation, now time.Time) metav1.Condition {
	cond := func(status metav1.ConditionStatus, reason, format string, args ...any) metav1.Condition {
		return metav1.Condition{Type: webserverv1alpha1.ConditionCertificateValid, Status: status, Reason: reason, Message: fmt.Sprintf(format, args...)}
	}
	cert := o.shown()
	if o.problemReason != "" {
		keeps := "nothing is served until it is fixed"
		if o.served != nil {
			keeps = "the pods keep serving the certificate valid until " + formatTime(o.served.NotAfter)
		}
		return cond(metav1.ConditionFalse, o.problemReason, "%s; %s", o.problemMessage, keeps)
	}
	if cert == nil {
		return cond(metav1.ConditionUnknown, webserverv1alpha1.ReasonCreating, "no certificate is served yet")
	}
	left := cert.NotAfter.Sub(now)
	switch {
	case left <= 0:
		return cond(metav1.ConditionFalse, webserverv1alpha1.ReasonCertificateExpired,
			"the served certificate expired at %s; put a renewed one into Secret %q", formatTime(cert.NotAfter), o.secretName)
	case left < CertificateRenewalWindow:
		return cond(metav1.ConditionFalse, webserverv1alpha1.ReasonCertificateExpiresSoon,
			"the served certificate expires at %s, in %d days; put a renewed one into Secret %q",
			formatTime(cert.NotAfter), int(left.Hours()/24), o.secretName)
	}
	return cond(metav1.ConditionTrue, webserverv1alpha1.ReasonCertificateValid,
		"serving a certificate for %s valid until %s", namesOf(cert), formatTime(cert.NotAfter))
}

// nextCertificateCheck is when the verdict on the shown certificate changes with time
// alone: as it enters the renewal window, and as it expires; 0 when it never will.
func nextCertificateCheck(o *tlsObservation, now time.Time) time.Duration {
	cert := o.shown()
	if cert == nil {
		return 0
	}
	for _, at := range []time.Time{cert.NotAfter.Add(-CertificateRenewalWindow), cert.NotAfter} {
		if at.After(now) {
			// A second late, so the verdict has certainly changed when the pass runs.
			return at.Sub(now) + time.Second
		}
	}
	return 0
}

// setCertificateStatus records the certificate and its condition; without spec.tls both go.
func setCertificateStatus(ws *webserverv1alpha1.WebServer, o *tlsObservation) {
	if ws.Spec.TLS == nil {
		ws.Status.Certificate = nil
		meta.RemoveStatusCondition(&ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid)
		return
	}
	if o == nil {
		// The pass stopped before it looked: what status says stays.
		return
	}
	if cert := o.shown(); cert != nil {
		ws.Status.Certificate = &webserverv1alpha1.CertificateStatus{
			NotAfter: metav1.NewTime(cert.NotAfter),
			DNSNames: cert.DNSNames,
			Revision: o.servedRevision,
		}
	}
	if o.condition.Type != "" {
		setCondition(ws, o.condition.Type, o.condition.Status, o.condition.Reason, o.condition.Message)
	}
}

func formatTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func namesOf(cert *resources.CertificateFacts) string {
	if len(cert.DNSNames) == 0 {
		return "no DNS names"
	}
	return strings.Join(cert.DNSNames, ", ")
}
