package controller

import (
	"context"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
	"github.com/webserver-operator/webserver-operator/internal/testutil"
)

var _ = Describe("TLS and basic auth", func() {
	ctx := context.Background()
	var namespace string
	BeforeEach(func() { namespace = newNamespace(ctx) })

	tlsSecret := func(name string, notAfter time.Time, names ...string) *corev1.Secret {
		certPEM, keyPEM, err := testutil.SelfSignedCertificate(notAfter, names...)
		Expect(err).NotTo(HaveOccurred())
		return &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			Type:       corev1.SecretTypeTLS,
			Data:       map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM},
		}
	}
	putSecret := func(secret *corev1.Secret) {
		existing := &corev1.Secret{}
		err := k8sClient.Get(ctx, client.ObjectKeyFromObject(secret), existing)
		if apierrors.IsNotFound(err) {
			Expect(k8sClient.Create(ctx, secret.DeepCopy())).To(Succeed())
			return
		}
		Expect(err).NotTo(HaveOccurred())
		existing.Data = secret.Data
		Expect(k8sClient.Update(ctx, existing)).To(Succeed())
	}
	withTLS := func(ws *webserverv1alpha1.WebServer) {
		ws.Spec.TLS = &webserverv1alpha1.TLSSpec{SecretName: "cert"}
	}
	mountedSnapshot := func(dep *appsv1.Deployment) string {
		for _, v := range dep.Spec.Template.Spec.Volumes {
			if v.Name == resources.SecretVolume && v.Secret != nil {
				return v.Secret.SecretName
			}
		}
		return ""
	}
	snapshot := func(name string) *corev1.Secret {
		secret := &corev1.Secret{}
		ExpectWithOffset(1, k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, secret)).To(Succeed())
		return secret
	}
	renderedConfig := func(dep *appsv1.Deployment) string {
		cm := &corev1.ConfigMap{}
		ExpectWithOffset(1, k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: mountedConfigMap(dep)}, cm)).To(Succeed())
		return cm.Data[resources.NginxConfKey]
	}

	It("serves a copy of the certificate, rolls to a rotated one and keeps the last good one when the Secret breaks", func() {
		notAfter := time.Now().Add(90 * 24 * time.Hour).Truncate(time.Second)
		putSecret(tlsSecret("cert", notAfter, "www.example.test"))
		createWebServer(ctx, namespace, "site", withTLS)

		var first string
		dep := eventuallyDeployment(ctx, namespace, "site", func(g Gomega, dep *appsv1.Deployment) {
			first = mountedSnapshot(dep)
			g.Expect(first).To(HavePrefix("site-secret-"))
		})
		copied := snapshot(first)
		Expect(copied.Immutable).To(HaveValue(BeTrue()))
		user := &corev1.Secret{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "cert"}, user)).To(Succeed())
		Expect(copied.Data).To(Equal(user.Data))
		Expect(metav1.IsControlledBy(copied, getWebServer(ctx, namespace, "site"))).To(BeTrue())
		Expect(renderedConfig(dep)).To(ContainSubstring("listen 8443 ssl;"))
		svc := &corev1.Service{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "site"}, svc)).To(Succeed())
		Expect(svc.Spec.Ports).To(ContainElement(HaveField("Name", resources.HTTPSPortName)))

		rollOut(ctx, namespace, "site")
		ws := eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionCertificateValid, metav1.ConditionTrue, webserverv1alpha1.ReasonCertificateValid)
		Expect(ws.Status.Certificate).NotTo(BeNil())
		Expect(ws.Status.Certificate.NotAfter.Time).To(BeTemporally("==", notAfter))
		Expect(ws.Status.Certificate.DNSNames).To(Equal([]string{"www.example.test"}))
		Expect(ws.Status.URL).To(Equal("https://site." + namespace + ".svc"))

		By("a rotated Secret rolls the pods to a new copy; the old one goes once the rollout completed")
		renewed := notAfter.Add(30 * 24 * time.Hour)
		putSecret(tlsSecret("cert", renewed, "www.example.test"))
		var second string
		eventuallyDeployment(ctx, namespace, "site", func(g Gomega, dep *appsv1.Deployment) {
			second = mountedSnapshot(dep)
			g.Expect(second).NotTo(Or(BeEmpty(), Equal(first)))
		})
		rollOut(ctx, namespace, "site")
		Eventually(func(g Gomega) {
			g.Expect(getWebServer(ctx, namespace, "site").Status.Certificate.NotAfter.Time).To(BeTemporally("==", renewed))
			err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: first}, &corev1.Secret{})
			g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "the unused copy is collected")
		}).WithTimeout(timeout).Should(Succeed())

		By("a Secret whose key belongs to another certificate changes nothing the pods serve")
		broken := tlsSecret("cert", renewed)
		broken.Data[corev1.TLSPrivateKeyKey] = tlsSecret("other", renewed).Data[corev1.TLSPrivateKeyKey]
		putSecret(broken)
		ws = eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionCertificateValid, metav1.ConditionFalse, webserverv1alpha1.ReasonSecretInvalid)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid).Message).
			To(ContainSubstring("the pods keep serving the certificate valid until " + renewed.UTC().Format(time.RFC3339)))
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionConfigValid).Reason).To(Equal(webserverv1alpha1.ReasonSecretInvalid))
		Consistently(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "site"}, dep)).To(Succeed())
			g.Expect(mountedSnapshot(dep)).To(Equal(second))
		}).WithTimeout(2 * time.Second).Should(Succeed())
		Expect(eventReasons(ctx, namespace, "site")).To(ContainElement(webserverv1alpha1.ReasonSecretInvalid))

		By("a deleted Secret neither: the pods mount the operator's copy")
		Expect(k8sClient.Delete(ctx, broken)).To(Succeed())
		eventuallyCondition(ctx, namespace, "site", webserverv1alpha1.ConditionCertificateValid, metav1.ConditionFalse, webserverv1alpha1.ReasonSecretNotFound)
		Expect(snapshot(second).Data).NotTo(BeEmpty())

		By("without spec.tls, the condition and the certificate leave status")
		updateWebServer(ctx, namespace, "site", func(ws *webserverv1alpha1.WebServer) { ws.Spec.TLS = nil })
		Eventually(func(g Gomega) {
			ws := getWebServer(ctx, namespace, "site")
			g.Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid)).To(BeNil())
			g.Expect(ws.Status.Certificate).To(BeNil())
			g.Expect(ws.Status.URL).To(HavePrefix("http://"))
		}).WithTimeout(timeout).Should(Succeed())
	})

	It("does not serve a new WebServer before its certificate exists, and starts once it does", func() {
		createWebServer(ctx, namespace, "waits", withTLS)
		ws := eventuallyCondition(ctx, namespace, "waits", webserverv1alpha1.ConditionCertificateValid, metav1.ConditionFalse, webserverv1alpha1.ReasonSecretNotFound)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid).Message).
			To(ContainSubstring("nothing is served until it is fixed"))
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionConfigValid).Reason).To(Equal(webserverv1alpha1.ReasonSecretNotFound))
		Consistently(func() bool {
			return apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "waits"}, &appsv1.Deployment{}))
		}).WithTimeout(2*time.Second).Should(BeTrue(), "no Deployment, so nothing is served over plain HTTP")

		putSecret(tlsSecret("cert", time.Now().Add(90*24*time.Hour)))
		eventuallyDeployment(ctx, namespace, "waits", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedSnapshot(dep)).To(HavePrefix("waits-secret-"))
		})
	})

	It("refuses an expired certificate and warns before one expires", func() {
		putSecret(tlsSecret("cert", time.Now().Add(-time.Hour)))
		createWebServer(ctx, namespace, "expired", withTLS)
		ws := eventuallyCondition(ctx, namespace, "expired", webserverv1alpha1.ConditionCertificateValid, metav1.ConditionFalse, webserverv1alpha1.ReasonSecretInvalid)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid).Message).To(ContainSubstring("expired at"))

		putSecret(tlsSecret("cert", time.Now().Add(5*24*time.Hour)))
		eventuallyDeployment(ctx, namespace, "expired", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedSnapshot(dep)).NotTo(BeEmpty())
		})
		rollOut(ctx, namespace, "expired")
		ws = eventuallyCondition(ctx, namespace, "expired", webserverv1alpha1.ConditionCertificateValid, metav1.ConditionFalse, webserverv1alpha1.ReasonCertificateExpiresSoon)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid).Message).To(ContainSubstring("in 4 days"))
		Eventually(func() []string { return eventReasons(ctx, namespace, "expired") }).WithTimeout(timeout).
			Should(ContainElement(webserverv1alpha1.ReasonCertificateExpiresSoon))
	})

	It("puts the site behind basic auth from an htpasswd Secret and fails closed without it", func() {
		users := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "users"},
			Data:       map[string][]byte{resources.HtpasswdKey: []byte("alice:{PLAIN}wonderland\n")},
		}
		withAuth := func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Auth = &webserverv1alpha1.AuthSpec{Basic: &webserverv1alpha1.BasicAuthSpec{SecretName: "users"}}
		}
		createWebServer(ctx, namespace, "private", withAuth)
		eventuallyCondition(ctx, namespace, "private", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonSecretNotFound)
		Expect(apierrors.IsNotFound(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: "private"}, &appsv1.Deployment{}))).To(BeTrue())

		By("a Secret without users is no better")
		putSecret(&corev1.Secret{ObjectMeta: users.ObjectMeta, Data: map[string][]byte{resources.HtpasswdKey: []byte("# nobody yet\n")}})
		ws := eventuallyCondition(ctx, namespace, "private", webserverv1alpha1.ConditionConfigValid, metav1.ConditionFalse, webserverv1alpha1.ReasonSecretInvalid)
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionConfigValid).Message).To(ContainSubstring("holds no users"))
		Expect(meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionCertificateValid)).To(BeNil(), "no TLS, no certificate condition")

		putSecret(users)
		var copied string
		dep := eventuallyDeployment(ctx, namespace, "private", func(g Gomega, dep *appsv1.Deployment) {
			copied = mountedSnapshot(dep)
			g.Expect(copied).To(HavePrefix("private-secret-"))
		})
		Expect(string(snapshot(copied).Data[resources.HtpasswdKey])).To(Equal("alice:{PLAIN}wonderland\n"))
		conf := renderedConfig(dep)
		Expect(conf).To(ContainSubstring("auth_basic_user_file " + resources.SecretDir + "/htpasswd;"))
		Expect(strings.Index(conf, "auth_basic")).To(BeNumerically(">", strings.Index(conf, resources.HealthPath)),
			"the health endpoint is not behind auth")

		By("a changed Secret rolls the pods to the new users")
		users.Data[resources.HtpasswdKey] = []byte("alice:{PLAIN}wonderland\nbob:{PLAIN}builder\n")
		putSecret(users)
		eventuallyDeployment(ctx, namespace, "private", func(g Gomega, dep *appsv1.Deployment) {
			g.Expect(mountedSnapshot(dep)).NotTo(Or(BeEmpty(), Equal(copied)))
		})
	})
})
