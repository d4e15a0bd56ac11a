package e2e

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/testutil"
)

// The local cluster's ingress controller (test/cluster/manifests/traefik.yaml).
const (
	ingressControllerNamespace = "traefik"
	ingressClassName           = "traefik"
	ingressControllerHost      = "traefik.traefik.svc.cluster.local"
	// traefikEntryPointsAnnotation names the entry points a router listens on.
	traefikEntryPointsAnnotation = "traefik.ingress.kubernetes.io/router.entrypoints"
)

var _ = Describe("Ingress through a real ingress controller", Ordered, Label("e2e"), func() {
	var (
		ctx        = context.Background()
		namespace  string
		httpAddr   string // the controller's plain HTTP entry point, host:port
		httpsAddr  string // its HTTPS entry point
		shopHost   string
		blogHost   string
		trusted    = x509.NewCertPool()
		shopKey    types.NamespacedName
		blogKey    types.NamespacedName
		siteConfig = func(body string) *webserverv1alpha1.ConfigSpec {
			return &webserverv1alpha1.ConfigSpec{Inline: fmt.Sprintf("location / {\n  default_type text/plain;\n  return 200 \"%s\\n\";\n}\n", body)}
		}
	)

	// request asks the ingress controller for path on host, as a browser that resolved
	// host to the controller would.
	request := func(scheme, host, path string) func() (*http.Request, error) {
		addr := httpAddr
		if scheme == "https" {
			addr = httpsAddr
		}
		return func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodGet, scheme+"://"+addr+path, nil)
			if err == nil {
				req.Host = host
			}
			return req, err
		}
	}
	client := func(host string, keepAlive bool) *http.Client {
		return &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
			DisableKeepAlives: !keepAlive,
			TLSClientConfig:   &tls.Config{RootCAs: trusted, ServerName: host, MinVersion: tls.VersionTLS12},
		}}
	}
	// get answers the status and body of one request, and the leaf certificate if HTTPS.
	get := func(scheme, host, path string) (int, string, *x509.Certificate, error) {
		req, _ := request(scheme, host, path)()
		resp, err := client(host, false).Do(req)
		if err != nil {
			return 0, "", nil, err
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		var leaf *x509.Certificate
		if resp.TLS != nil && len(resp.TLS.PeerCertificates) > 0 {
			leaf = resp.TLS.PeerCertificates[0]
		}
		return resp.StatusCode, string(body), leaf, err
	}
	// routes waits until the controller answers code (and, for 200, body) for host and path.
	routes := func(scheme, host, path string, code int, body string) {
		EventuallyWithOffset(1, func(g Gomega) {
			got, text, _, err := get(scheme, host, path)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(got).To(Equal(code), "%s://%s%s answered %q", scheme, host, path, text)
			if body != "" {
				g.Expect(text).To(Equal(body))
			}
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	}
	create := func(key types.NamespacedName, host, path, body string) {
		ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
		ws.Spec.Image = nginxImageA
		ws.Spec.Replicas = ptr.To[int32](2)
		ws.Spec.Config = siteConfig(body)
		ws.Spec.Ingress = &webserverv1alpha1.IngressSpec{Host: host, Path: path, ClassName: ptr.To(ingressClassName)}
		ExpectWithOffset(1, k8s.Create(ctx, ws)).To(Succeed())
	}

	BeforeAll(func() {
		svc := &corev1.Service{}
		Expect(k8s.Get(ctx, types.NamespacedName{Namespace: ingressControllerNamespace, Name: "traefik"}, svc)).
			To(Succeed(), "the local cluster runs Traefik (make cluster-up)")
		for _, p := range svc.Spec.Ports {
			switch p.Name {
			case "web":
				httpAddr = fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, p.Port)
			case "websecure":
				httpsAddr = fmt.Sprintf("%s:%d", svc.Spec.ClusterIP, p.Port)
			}
		}
		Expect([]string{httpAddr, httpsAddr}).NotTo(ContainElement(""))

		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "e2e-ingress-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
		shopKey = types.NamespacedName{Namespace: namespace, Name: "shop"}
		blogKey = types.NamespacedName{Namespace: namespace, Name: "blog"}
		// Host names of this run only: the controller serves every namespace.
		shopHost = "shop." + namespace + ".example.test"
		blogHost = "blog." + namespace + ".example.test"
	})

	AfterAll(func() {
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Println(kubectl("-n", namespace, "get", "all,webservers,ingresses,events", "-o", "wide"))
			GinkgoWriter.Println(kubectl("-n", ingressControllerNamespace, "logs", "deployment/traefik", "--tail=50"))
		}
		if !CurrentSpecReport().Failed() || os.Getenv("E2E_KEEP_FAILED") == "" {
			_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
		}
	})

	It("routes each host name, and the path prefix, to its WebServer", func() {
		create(shopKey, shopHost, "", "shop")
		create(blogKey, blogHost, "/v1", "blog")

		routes("http", shopHost, "/", http.StatusOK, "shop\n")
		routes("http", blogHost, "/v1/posts", http.StatusOK, "blog\n")
		By("paths outside the prefix and unknown hosts reach no WebServer")
		routes("http", blogHost, "/", http.StatusNotFound, "")
		routes("http", "nobody."+namespace+".example.test", "/", http.StatusNotFound, "")

		By("the Ingress carries the controller's address, as with a cloud load balancer")
		Eventually(func(g Gomega) {
			in := &networkingv1.Ingress{}
			g.Expect(k8s.Get(ctx, shopKey, in)).To(Succeed())
			g.Expect(in.Status.LoadBalancer.Ingress).To(ConsistOf(networkingv1.IngressLoadBalancerIngress{Hostname: ingressControllerHost}))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	})

	It("keeps answering through the controller while the pods roll", func() {
		l := startLoadWith(client(shopHost, true), request("http", shopHost, "/"))
		updateWebServer(ctx, shopKey, func(ws *webserverv1alpha1.WebServer) { ws.Spec.Config = siteConfig("shop v2") })
		routes("http", shopHost, "/", http.StatusOK, "shop v2\n")
		expectRolledOut(ctx, shopKey)
		l.stopAndExpectNoFailures("through the ingress controller while the pods rolled")
	})

	It("terminates HTTPS at the Ingress with the Secret's certificate", func() {
		certPEM, keyPEM, err := testutil.SelfSignedCertificate(time.Now().Add(90*24*time.Hour), shopHost)
		Expect(err).NotTo(HaveOccurred())
		Expect(trusted.AppendCertsFromPEM(certPEM)).To(BeTrue())
		Expect(k8s.Create(ctx, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "shop-cert"},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
		})).To(Succeed())
		updateWebServer(ctx, shopKey, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress.TLS = &webserverv1alpha1.IngressTLSSpec{SecretName: "shop-cert"}
		})
		// The client trusts only the test's certificate, for the shop's host name: a
		// success proves the controller serves the Secret.
		routes("https", shopHost, "/", http.StatusOK, "shop v2\n")
	})

	It("passes the annotations on to the controller", func() {
		updateWebServer(ctx, shopKey, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Ingress.Annotations = map[string]string{traefikEntryPointsAnnotation: "websecure"}
		})
		routes("http", shopHost, "/", http.StatusNotFound, "")
		routes("https", shopHost, "/", http.StatusOK, "shop v2\n")
	})

	It("removes the Ingress when spec.ingress is unset, and the host stops routing", func() {
		updateWebServer(ctx, blogKey, func(ws *webserverv1alpha1.WebServer) { ws.Spec.Ingress = nil })
		Eventually(func() error {
			return k8s.Get(ctx, blogKey, &networkingv1.Ingress{})
		}).WithTimeout(long).WithPolling(poll).Should(Satisfy(apierrors.IsNotFound))
		routes("http", blogHost, "/v1/posts", http.StatusNotFound, "")
		eventuallyServes(serviceURL(ctx, namespace, "blog"), "blog")
	})
})
