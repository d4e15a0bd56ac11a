package e2e

import (
	"context"
	"os/exec"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// The install paths besides kustomize and OLM, as a user runs them from a checkout.
var (
	installYAML = envOr("E2E_INSTALL_YAML", "../../dist/install.yaml")
	helmChart   = envOr("E2E_HELM_CHART", "../../dist/chart")
	helmBin     = envOr("E2E_HELM", "../../bin/helm")
)

func helm(args ...string) {
	GinkgoHelper()
	out, err := exec.Command(helmBin, args...).CombinedOutput()
	Expect(err).NotTo(HaveOccurred(), "helm %s: %s", strings.Join(args, " "), out)
	GinkgoWriter.Printf("helm %s:\n%s\n", args[0], out)
}

// operatorPods returns the names of the operator's ready pods in namespace.
func operatorPods(ctx context.Context, g Gomega, namespace string) []string {
	pods := &corev1.PodList{}
	g.Expect(k8s.List(ctx, pods, client.InNamespace(namespace), client.MatchingLabels{"control-plane": "controller-manager"})).To(Succeed())
	var ready []string
	for _, p := range pods.Items {
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.DeletionTimestamp == nil {
				ready = append(ready, p.Name)
			}
		}
	}
	return ready
}

// expectOperatorGone checks that no operator Deployment runs in namespace and, unless the CRD
// is meant to stay, that neither the CRD nor any cluster-wide object of the operator is left.
func expectOperatorGone(ctx context.Context, namespace string, crdKept bool) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		deps := &appsv1.DeploymentList{}
		g.Expect(k8s.List(ctx, deps, client.InNamespace(namespace))).To(Succeed())
		g.Expect(deps.Items).To(BeEmpty(), "Deployments in %s", namespace)
		roles := &rbacv1.ClusterRoleList{}
		g.Expect(k8s.List(ctx, roles)).To(Succeed())
		for _, r := range roles.Items {
			g.Expect(r.Name).NotTo(HavePrefix(packageName))
		}
		bindings := &rbacv1.ClusterRoleBindingList{}
		g.Expect(k8s.List(ctx, bindings)).To(Succeed())
		for _, b := range bindings.Items {
			g.Expect(b.Name).NotTo(HavePrefix(packageName))
		}
		policies := &admissionregistrationv1.ValidatingAdmissionPolicyList{}
		g.Expect(k8s.List(ctx, policies)).To(Succeed())
		for _, p := range policies.Items {
			g.Expect(p.Name).NotTo(HavePrefix(packageName))
		}
		err := k8s.Get(ctx, types.NamespacedName{Name: crdName}, &apiextensionsv1.CustomResourceDefinition{})
		if crdKept {
			g.Expect(err).NotTo(HaveOccurred(), "the CRD should stay")
		} else {
			g.Expect(err).To(Satisfy(apierrors.IsNotFound), "CRD %s: %v", crdName, err)
		}
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}

// run.sh runs these after the e2e specs: each path replaces the kustomize-deployed operator.
var _ = Describe("Install paths: one file and Helm", Ordered, Label("install"), func() {
	ctx := context.Background()

	It("installs from dist/install.yaml, serves a WebServer, and kubectl delete removes everything", func() {
		kubectl("apply", "--server-side", "-f", installYAML)
		kubectl("-n", operatorNS, "rollout", "status", "deployment/"+operatorName, "--timeout=3m")
		o := createOperand(ctx, currentVer)

		// kubectl get -o wide adds where the site answers.
		wide := kubectl("-n", o.namespace, "get", "ws", site, "-o", "wide")
		Expect(strings.Fields(strings.SplitN(wide, "\n", 2)[0])).To(ContainElements("REVISION", "URL", "HOST"))
		Expect(wide).To(ContainSubstring("http://" + site + "." + o.namespace + ".svc"))

		o.delete(ctx)
		kubectl("delete", "-f", installYAML, "--timeout=3m")
		expectOperatorGone(ctx, operatorNS, false)
		Eventually(func() error {
			return k8s.Get(ctx, types.NamespacedName{Name: operatorNS}, &corev1.Namespace{})
		}).WithTimeout(long).WithPolling(poll).Should(Satisfy(apierrors.IsNotFound))
	})

	It("installs the Helm chart, upgrades the release while a WebServer serves, and uninstalls it, keeping the CRD", func() {
		const release = "webserver-operator"
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "helm-operator-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		helm("install", release, helmChart, "--namespace", ns.Name, "--set", "nginxImage="+nginxImageA, "--wait", "--timeout", "3m")
		o := createOperand(ctx, currentVer)
		var before []string
		Eventually(func(g Gomega) { before = operatorPods(ctx, g, ns.Name); g.Expect(before).To(HaveLen(1)) }).
			WithTimeout(long).WithPolling(poll).Should(Succeed())

		// The upgrade replaces the operator's pod (two replicas, new limits, leader election
		// hands over); the site keeps serving, and the new operator acts on the next change.
		l := startLoad(o.url)
		helm("upgrade", release, helmChart, "--namespace", ns.Name, "--reuse-values",
			"--set", "replicas=2", "--set", "resources.limits.memory=192Mi", "--wait", "--timeout", "3m")
		Eventually(func(g Gomega) {
			now := operatorPods(ctx, g, ns.Name)
			g.Expect(now).To(HaveLen(2))
			g.Expect(now).NotTo(ContainElements(before))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		o.setImage(ctx, nginxImageB)
		expectRolledOut(ctx, o.key)
		Eventually(func(g Gomega) {
			ws := &webserverv1alpha1.WebServer{}
			g.Expect(k8s.Get(ctx, o.key, ws)).To(Succeed())
			g.Expect(ws.Status.CurrentImage).To(Equal(nginxImageB))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		eventuallyServes(o.url, "installed-by-olm")
		l.stopAndExpectNoFailures("helm upgrade of the operator, then a rollout by the upgraded one")

		// helm uninstall keeps the CRD, so the WebServers and their sites stay.
		helm("uninstall", release, "--namespace", ns.Name, "--wait", "--timeout", "3m")
		expectOperatorGone(ctx, ns.Name, true)
		Expect(k8s.Get(ctx, o.key, &webserverv1alpha1.WebServer{})).To(Succeed())
		eventuallyServes(o.url, "installed-by-olm")

		o.delete(ctx)
		Expect(k8s.Delete(ctx, &apiextensionsv1.CustomResourceDefinition{ObjectMeta: metav1.ObjectMeta{Name: crdName}})).To(Succeed())
		Expect(k8s.Delete(ctx, ns)).To(Succeed())
		expectOperatorGone(ctx, ns.Name, false)
	})
})
