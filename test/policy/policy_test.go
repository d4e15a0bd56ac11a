package policy

import (
	"context"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const timeout = 20 * time.Second

func withContent(namespace, name, configMap string) *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if configMap != "" {
		ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: configMap}
	}
	return ws
}

var _ = Describe("The references policy", func() {
	var (
		ctx       = context.Background()
		namespace string
		alice     client.Client
	)

	// grant gives alice a Role in the namespace.
	grant := func(name string, rules ...rbacv1.PolicyRule) {
		Expect(admin.Create(ctx, &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}, Rules: rules})).To(Succeed())
		Expect(admin.Create(ctx, &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: name},
			Subjects:   []rbacv1.Subject{{Kind: "User", Name: "alice", APIGroup: "rbac.authorization.k8s.io"}},
		})).To(Succeed())
	}

	BeforeEach(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "policy-"}}
		Expect(admin.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
		for _, name := range []string{"secret-pages", "public-pages"} {
			Expect(admin.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
				Data: map[string]string{"index.html": name}})).To(Succeed())
		}
		grant("webserver-author", rbacv1.PolicyRule{APIGroups: []string{"webserver.dev"}, Resources: []string{"webservers"},
			Verbs: []string{"get", "create", "update"}})
		var err error
		alice, err = client.New(userConfig, client.Options{Scheme: scheme})
		Expect(err).NotTo(HaveOccurred())
		// The policy is enforced once the API server has loaded it.
		Eventually(func() error {
			err := alice.Create(ctx, withContent(namespace, "probe", "secret-pages"), client.DryRunAll)
			if err == nil {
				return errNotEnforced
			}
			return nil
		}).WithTimeout(timeout).Should(Succeed())
	})

	It("refuses a WebServer whose content its author may not read, naming the field", func() {
		err := alice.Create(ctx, withContent(namespace, "leak", "secret-pages"))
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(`spec.content.configMapName: you may not read ConfigMap "secret-pages" in namespace "` + namespace + `"`))
	})

	It("refuses a server config from a ConfigMap its author may not read", func() {
		ws := withContent(namespace, "leak-config", "")
		ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "secret-pages"}}
		err := alice.Create(ctx, ws)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(`spec.config.configMapRef.name: you may not read ConfigMap "secret-pages"`))
	})

	It("accepts it once the author may read that ConfigMap, and a WebServer that references nothing", func() {
		grant("read-public-pages", rbacv1.PolicyRule{APIGroups: []string{""}, Resources: []string{"configmaps"},
			ResourceNames: []string{"public-pages"}, Verbs: []string{"get"}})
		Eventually(func() error { return alice.Create(ctx, withContent(namespace, "site", "public-pages")) }).WithTimeout(timeout).Should(Succeed())
		Expect(alice.Create(ctx, withContent(namespace, "plain", ""))).To(Succeed())
	})

	It("refuses an update that points a WebServer at a ConfigMap its author may not read, but not other edits", func() {
		Expect(alice.Create(ctx, withContent(namespace, "moving", ""))).To(Succeed())
		ws := &webserverv1alpha1.WebServer{}
		Expect(alice.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "moving"}, ws)).To(Succeed())
		ws.Spec.Content = &webserverv1alpha1.ContentSpec{ConfigMapName: "secret-pages"}
		err := alice.Update(ctx, ws)
		Expect(err).To(HaveOccurred())
		Expect(err.Error()).To(ContainSubstring(`spec.content.configMapName: you may not read ConfigMap "secret-pages"`))

		// An admin sets it up; alice may still change what does not touch the reference.
		Expect(admin.Create(ctx, withContent(namespace, "admins", "secret-pages"))).To(Succeed())
		Expect(alice.Get(ctx, client.ObjectKey{Namespace: namespace, Name: "admins"}, ws)).To(Succeed())
		ws.Spec.Image = "nginx:1.27"
		Expect(alice.Update(ctx, ws)).To(Succeed())
	})
})

type policyError string

func (e policyError) Error() string { return string(e) }

const errNotEnforced = policyError("the references policy is not enforced yet")
