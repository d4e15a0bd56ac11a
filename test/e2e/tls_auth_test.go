package e2e

import (
	"context"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // {SSHA} is one of the htpasswd schemes nginx reads
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/testutil"
)

// ssha is an htpasswd line for user in nginx's {SSHA} scheme: base64(sha1(password+salt)+salt).
func ssha(user, password string) string {
	salt := make([]byte, 8)
	_, _ = rand.Read(salt)
	sum := sha1.Sum(append([]byte(password), salt...)) //nolint:gosec // see the import
	return user + ":{SSHA}" + base64.StdEncoding.EncodeToString(append(sum[:], salt...)) + "\n"
}

var _ = Describe("HTTPS and basic auth on a real cluster", Ordered, Label("e2e"), func() {
	const name = "secure"
	var (
		ctx        = context.Background()
		namespace  string
		key        types.NamespacedName
		host       string
		httpsURL   string
		httpURL    string
		clusterIP  string
		trusted    = x509.NewCertPool()
		httpsCerts []*x509.Certificate
	)

	condition := func(g Gomega, condType string) *metav1.Condition {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		c := meta.FindStatusCondition(ws.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil())
		return c
	}
	// putCertificate writes a new certificate for the Service's name into the TLS Secret
	// and trusts it.
	putCertificate := func(notAfter time.Time) *x509.Certificate {
		certPEM, keyPEM, err := testutil.SelfSignedCertificate(notAfter, host)
		Expect(err).NotTo(HaveOccurred())
		Expect(trusted.AppendCertsFromPEM(certPEM)).To(BeTrue())
		pair, err := tls.X509KeyPair(certPEM, keyPEM)
		Expect(err).NotTo(HaveOccurred())
		httpsCerts = append(httpsCerts, pair.Leaf)
		secret := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "cert"},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
		}
		if err := k8s.Create(ctx, secret); err != nil {
			Expect(k8s.Update(ctx, secret)).To(Succeed())
		}
		return pair.Leaf
	}
	// client verifies the site's certificate against the ones the test made, for the
	// Service's DNS name, and never follows redirects.
	client := func(keepAlive bool) *http.Client {
		return &http.Client{
			Timeout: 5 * time.Second,
			Transport: &http.Transport{
				DisableKeepAlives: !keepAlive,
				TLSClientConfig:   &tls.Config{RootCAs: trusted, ServerName: host, MinVersion: tls.VersionTLS12},
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	request := func(url, user, password string) func() (*http.Request, error) {
		return func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err == nil && user != "" {
				req.SetBasicAuth(user, password)
			}
			return req, err
		}
	}
	// get answers the status, the Location header and the serial of the served certificate.
	get := func(url, user, password string) (int, string, *big.Int, error) {
		req, _ := request(url, user, password)()
		resp, err := client(false).Do(req)
		if err != nil {
			return 0, "", nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		var serial *big.Int
		if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
			serial = resp.TLS.PeerCertificates[0].SerialNumber
		}
		return resp.StatusCode, resp.Header.Get("Location"), serial, nil
	}
	servesCertificate := func(cert *x509.Certificate, user, password string) {
		EventuallyWithOffset(1, func(g Gomega) {
			code, _, serial, err := get(httpsURL, user, password)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK))
			g.Expect(serial).To(Equal(cert.SerialNumber))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	}
	settled := func() { expectRolledOut(ctx, key) }
	update := func(mutate func(*webserverv1alpha1.WebServer)) { updateWebServer(ctx, key, mutate) }

	BeforeAll(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "e2e-tls-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
		key = types.NamespacedName{Namespace: namespace, Name: name}
		host = fmt.Sprintf("%s.%s.svc", name, namespace)
	})

	AfterAll(func() {
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Println(kubectl("-n", namespace, "get", "all,webservers,secrets,events", "-o", "wide"))
		}
		if !CurrentSpecReport().Failed() || os.Getenv("E2E_KEEP_FAILED") == "" {
			_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
		}
	})

	It("serves HTTPS with the Secret's certificate and redirects plain HTTP to it", func() {
		first := putCertificate(time.Now().Add(90 * 24 * time.Hour))
		ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
		ws.Spec.Image = nginxImageA
		ws.Spec.Replicas = ptr.To[int32](2)
		ws.Spec.ReadinessPath = "/"
		ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
		ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {\n  default_type text/plain;\n  return 200 \"secure\\n\";\n}\n"}
		Expect(k8s.Create(ctx, ws)).To(Succeed())

		Eventually(func(g Gomega) {
			svc := &corev1.Service{}
			g.Expect(k8s.Get(ctx, key, svc)).To(Succeed())
			g.Expect(svc.Spec.Ports).To(HaveLen(2))
			clusterIP = svc.Spec.ClusterIP
			httpURL = fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
			httpsURL = fmt.Sprintf("https://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[1].Port)
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		servesCertificate(first, "", "")
		settled()

		code, location, _, err := get(httpURL+"page?x=1", "", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusMovedPermanently))
		Expect(location).To(Equal("https://"+clusterIP+"/page?x=1"), "nginx's $host drops the port; the Service's HTTPS port is 443")

		Eventually(func(g Gomega) {
			c := condition(g, webserverv1alpha1.ConditionCertificateValid)
			g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
			g.Expect(ws.Status.Certificate).NotTo(BeNil())
			g.Expect(ws.Status.Certificate.NotAfter.Time).To(BeTemporally("==", first.NotAfter))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	})

	It("picks up a rotated certificate without dropping a request", func() {
		l := startLoadWith(client(true), request(httpsURL, "", ""))
		renewed := putCertificate(time.Now().Add(180 * 24 * time.Hour))
		servesCertificate(renewed, "", "")
		settled()
		l.stopAndExpectNoFailures("HTTPS while the certificate rotated")
		Eventually(func(g Gomega) {
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
			g.Expect(ws.Status.Certificate.NotAfter.Time).To(BeTemporally("==", renewed.NotAfter))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	})

	It("keeps serving the last good certificate when the Secret is deleted", func() {
		Expect(k8s.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "cert"}})).To(Succeed())
		Eventually(func(g Gomega) {
			c := condition(g, webserverv1alpha1.ConditionCertificateValid)
			g.Expect(c.Reason).To(Equal(webserverv1alpha1.ReasonSecretNotFound), c.Message)
			g.Expect(c.Message).To(ContainSubstring("the pods keep serving"))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		servesCertificate(httpsCerts[len(httpsCerts)-1], "", "")
		putCertificate(httpsCerts[len(httpsCerts)-1].NotAfter)
		servesCertificate(httpsCerts[len(httpsCerts)-1], "", "")
		settled()
	})

	It("puts the site behind basic auth without dropping a request of a user with credentials", func() {
		users := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "users"},
			Data:       map[string][]byte{"htpasswd": []byte(ssha("alice", "wonderland"))},
		}
		Expect(k8s.Create(ctx, users)).To(Succeed())
		l := startLoadWith(client(true), request(httpsURL, "alice", "wonderland"))
		update(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
			// The kubelet's probe sends no credentials: the readiness path is let through.
			ws.Spec.ReadinessPath = "/ready"
			ws.Spec.Config.Inline += "location = /ready {\n  return 200;\n}\n"
		})
		Eventually(func(g Gomega) {
			code, _, _, err := get(httpsURL, "", "")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusUnauthorized))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		settled()
		// The site's main location answers with return, which nginx runs before access
		// checks in the same server block: auth must sit in front of it. Old pods drain for a
		// moment after the rollout completed (kube-proxy drops them within a sync), so every
		// case must hold on the same pass, several passes in a row.
		passes := 0
		Eventually(func(g Gomega) {
			for _, tt := range []struct {
				path, user, password string
				want                 int
			}{
				{"", "", "", http.StatusUnauthorized}, {"", "alice", "wrong", http.StatusUnauthorized},
				{"", "alice", "wonderland", http.StatusOK}, {"ready", "", "", http.StatusOK},
			} {
				code, _, _, err := get(httpsURL+tt.path, tt.user, tt.password)
				g.Expect(err).NotTo(HaveOccurred())
				if code != tt.want {
					passes = 0
				}
				g.Expect(code).To(Equal(tt.want), "path /%s user %q password %q", tt.path, tt.user, tt.password)
			}
			passes++
			g.Expect(passes).To(BeNumerically(">=", 10))
		}).WithTimeout(long).WithPolling(100 * time.Millisecond).Should(Succeed())

		By("a changed Secret applies without dropping a request")
		users.Data["htpasswd"] = append(users.Data["htpasswd"], []byte(ssha("bob", "builder"))...)
		Expect(k8s.Update(ctx, users)).To(Succeed())
		Eventually(func(g Gomega) {
			code, _, _, err := get(httpsURL, "bob", "builder")
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		settled()
		l.stopAndExpectNoFailures("HTTPS with credentials while basic auth was turned on and its users changed")

		By("a deleted Secret fails closed: the pods keep the last users")
		Expect(k8s.Delete(ctx, users)).To(Succeed())
		Eventually(func(g Gomega) {
			c := condition(g, webserverv1alpha1.ConditionConfigValid)
			g.Expect(c.Reason).To(Equal(webserverv1alpha1.ReasonSecretNotFound), c.Message)
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		code, _, _, err := get(httpsURL, "", "")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusUnauthorized))
	})
})
