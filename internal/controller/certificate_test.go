package controller

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
	"github.com/webserver-operator/webserver-operator/internal/testutil"
)

func mustCertificate(t *testing.T, notAfter time.Time, names ...string) (certPEM, keyPEM []byte) {
	t.Helper()
	certPEM, keyPEM, err := testutil.SelfSignedCertificate(notAfter, names...)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, keyPEM
}

func TestInspectCertificate(t *testing.T) {
	notAfter := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
	certPEM, keyPEM := mustCertificate(t, notAfter, "www.example.test")
	_, otherKey := mustCertificate(t, notAfter, "other.test")

	facts, problem := inspectCertificate(certPEM, keyPEM)
	if problem != "" || !facts.NotAfter.Equal(notAfter) || len(facts.DNSNames) != 1 || facts.DNSNames[0] != "www.example.test" {
		t.Errorf("a good pair: facts %+v, problem %q", facts, problem)
	}
	for name, tt := range map[string]struct {
		cert, key []byte
		want      string
	}{
		"no certificate":      {nil, keyPEM, "has no key tls.crt"},
		"no key":              {certPEM, nil, "has no key tls.key"},
		"key of another cert": {certPEM, otherKey, "holds no usable certificate and key"},
		"not PEM":             {[]byte("hello"), keyPEM, "holds no usable certificate and key"},
	} {
		if _, problem := inspectCertificate(tt.cert, tt.key); !strings.Contains(problem, tt.want) {
			t.Errorf("%s: problem %q, want %q", name, problem, tt.want)
		}
	}
}

func TestInspectHtpasswd(t *testing.T) {
	for name, tt := range map[string]struct {
		data, want string
	}{
		"bcrypt users":          {"alice:$2y$05$abcdefghijklmnopqrstuv\nbob:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n", ""},
		"comments and CRLF":     {"# team\r\nalice:{PLAIN}secret\r\n\r\n", ""},
		"empty":                 {"", "has no key htpasswd"},
		"only comments":         {"# nobody\n", "holds no users"},
		"a line without hash":   {"alice:$apr1$x$y\nbob\n", "line 2"},
		"a line without a name": {":hash\n", "line 1"},
	} {
		got := inspectHtpasswd([]byte(tt.data))
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: problem %q, want %q", name, got, tt.want)
		}
	}
}

func TestInspectSecretKeepsDigestsNotValues(t *testing.T) {
	facts := inspectSecret(&corev1.Secret{Data: map[string][]byte{resources.HtpasswdKey: []byte("alice:{PLAIN}secret\n")}})
	if facts.htpasswdProblem != "" || facts.tlsProblem == "" {
		t.Errorf("an htpasswd Secret: htpasswd problem %q, tls problem %q", facts.htpasswdProblem, facts.tlsProblem)
	}
	if d := facts.digests[resources.HtpasswdKey]; d == "" || strings.Contains(d, "secret") {
		t.Errorf("digest %q", d)
	}
}

func TestCertificateCondition(t *testing.T) {
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	cert := func(days int) *resources.CertificateFacts {
		return &resources.CertificateFacts{NotAfter: now.Add(time.Duration(days) * 24 * time.Hour), DNSNames: []string{"www.example.test"}}
	}
	for name, tt := range map[string]struct {
		obs    tlsObservation
		status metav1.ConditionStatus
		reason string
		says   string
		next   time.Duration
	}{
		"valid":              {tlsObservation{served: cert(60)}, metav1.ConditionTrue, webserverv1alpha1.ReasonCertificateValid, "www.example.test", 46*24*time.Hour + time.Second},
		"about to be served": {tlsObservation{spec: cert(60)}, metav1.ConditionTrue, webserverv1alpha1.ReasonCertificateValid, "valid until", 46*24*time.Hour + time.Second},
		"expires in 13 days": {tlsObservation{served: cert(13)}, metav1.ConditionFalse, webserverv1alpha1.ReasonCertificateExpiresSoon, "in 13 days", 13*24*time.Hour + time.Second},
		"expired":            {tlsObservation{served: cert(-1)}, metav1.ConditionFalse, webserverv1alpha1.ReasonCertificateExpired, "expired at", 0},
		"served beats spec":  {tlsObservation{served: cert(5), spec: cert(60)}, metav1.ConditionFalse, webserverv1alpha1.ReasonCertificateExpiresSoon, "in 5 days", 5*24*time.Hour + time.Second},
		"missing secret, pods keep serving": {tlsObservation{served: cert(60), problemReason: webserverv1alpha1.ReasonSecretNotFound, problemMessage: "Secret \"cert\" does not exist"},
			metav1.ConditionFalse, webserverv1alpha1.ReasonSecretNotFound, "the pods keep serving the certificate valid until 2026-07-31T00:00:00Z", 46*24*time.Hour + time.Second},
		"invalid secret, nothing served": {tlsObservation{problemReason: webserverv1alpha1.ReasonSecretInvalid, problemMessage: "bad"},
			metav1.ConditionFalse, webserverv1alpha1.ReasonSecretInvalid, "nothing is served until it is fixed", 0},
	} {
		tt.obs.secretName = "cert"
		c := certificateCondition(&tt.obs, now)
		if c.Status != tt.status || c.Reason != tt.reason || !strings.Contains(c.Message, tt.says) {
			t.Errorf("%s: %s %s %q, want %s %s containing %q", name, c.Status, c.Reason, c.Message, tt.status, tt.reason, tt.says)
		}
		if next := nextCertificateCheck(&tt.obs, now); next != tt.next {
			t.Errorf("%s: next check in %s, want %s", name, next, tt.next)
		}
	}
}
