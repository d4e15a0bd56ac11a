package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	corev1ac "k8s.io/client-go/applyconfigurations/core/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Keys of the operator's secret snapshot and where nginx finds them.
const (
	SecretVolume = "secret"
	SecretDir    = ConfigDir + "/secret"
	// TLSCertKey and TLSKeyKey are the keys of a kubernetes.io/tls Secret, kept as they are.
	TLSCertKey = corev1.TLSCertKey
	TLSKeyKey  = corev1.TLSPrivateKeyKey
	// HtpasswdKey is the key of the user's basic auth Secret that holds the users.
	HtpasswdKey = "htpasswd"

	// AnnotationCertificateNotAfter and AnnotationCertificateDNSNames, on a secret
	// snapshot, describe its certificate, so status can tell what the pods serve from the
	// cached metadata alone.
	AnnotationCertificateNotAfter = "webserver.dev/certificate-not-after"
	AnnotationCertificateDNSNames = "webserver.dev/certificate-dns-names"
)

// SecretMaterial is what a revision takes from the user's Secrets: the certificate chain
// and key of spec.tls, the users of spec.auth.basic.
type SecretMaterial struct {
	TLSCert  []byte
	TLSKey   []byte
	Htpasswd []byte
}

func (m SecretMaterial) data() map[string][]byte {
	data := map[string][]byte{}
	if len(m.TLSCert) > 0 {
		data[TLSCertKey], data[TLSKeyKey] = m.TLSCert, m.TLSKey
	}
	if len(m.Htpasswd) > 0 {
		data[HtpasswdKey] = m.Htpasswd
	}
	return data
}

// Hash identifies the material; "" when there is none.
func (m SecretMaterial) Hash() string {
	digests := map[string]string{}
	for k, v := range m.data() {
		digests[k] = SecretDigest(v)
	}
	return SecretHash(digests)
}

// SecretDigest is the digest of one secret value: the facts the operator keeps about a
// user's Secret hold digests, never the values.
func SecretDigest(value []byte) string {
	sum := sha256.Sum256(value)
	return hex.EncodeToString(sum[:])
}

// SecretHash identifies secret material by the SecretDigest of each key; "" for none.
func SecretHash(digests map[string]string) string {
	if len(digests) == 0 {
		return ""
	}
	return HashData(digests, nil)
}

// CertificateFacts describe the certificate of a snapshot.
type CertificateFacts struct {
	NotAfter time.Time
	DNSNames []string
}

// SecretSnapshotName names the snapshot of the secret material of ws with the given hash.
func SecretSnapshotName(ws *webserverv1alpha1.WebServer, hash string) string {
	return ws.Name + "-secret-" + hash
}

// SecretSnapshot is the immutable copy of the user's TLS and htpasswd Secrets that the
// pods mount, named by its hash: a rotated Secret makes a new snapshot and rolls the pods
// to it, a rollback returns to an older one, and a Secret deleted or broken by its owner
// changes nothing the pods serve.
func SecretSnapshot(ws *webserverv1alpha1.WebServer, material SecretMaterial, cert *CertificateFacts) *corev1ac.SecretApplyConfiguration {
	secret := corev1ac.Secret(SecretSnapshotName(ws, material.Hash()), ws.Namespace).
		WithLabels(Labels(ws)).
		WithOwnerReferences(OwnerReference(ws)).
		WithType(corev1.SecretTypeOpaque).
		WithImmutable(true).
		WithData(material.data())
	if cert != nil {
		secret.WithAnnotations(map[string]string{
			AnnotationCertificateNotAfter: cert.NotAfter.UTC().Format(time.RFC3339),
			AnnotationCertificateDNSNames: strings.Join(cert.DNSNames, ","),
		})
	}
	return secret
}

// ParseCertificateAnnotations reads back what SecretSnapshot wrote about the certificate.
func ParseCertificateAnnotations(annotations map[string]string) (CertificateFacts, bool) {
	notAfter, err := time.Parse(time.RFC3339, annotations[AnnotationCertificateNotAfter])
	if err != nil {
		return CertificateFacts{}, false
	}
	facts := CertificateFacts{NotAfter: notAfter}
	if names := annotations[AnnotationCertificateDNSNames]; names != "" {
		facts.DNSNames = strings.Split(names, ",")
	}
	return facts, true
}
