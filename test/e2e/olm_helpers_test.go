package e2e

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv1 "github.com/operator-framework/api/pkg/operators/v1"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const (
	packageName = "webserver-operator"
	crdName     = "webservers.webserver.dev"
	// How long pods are watched after an upgraded operator's first pass: a restart would
	// start within seconds of it.
	adoptionWatch = 10 * time.Second
)

// operatorSDK runs operator-sdk against the cluster under test. Its registry client speaks
// HTTPS to the local registry, whose certificate the cluster CA signed.
func operatorSDK(args ...string) {
	cmd := exec.Command(operatorSDKBin, args...)
	cmd.Env = append(os.Environ(), "SSL_CERT_FILE="+registryCA)
	By("operator-sdk " + strings.Join(args, " "))
	out, err := cmd.CombinedOutput()
	GinkgoWriter.Println(string(out))
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "operator-sdk %s: %s", strings.Join(args, " "), out)
}

func csvName(version string) string { return packageName + ".v" + version }

// expectCSVSucceeded waits until the CSV of version reaches Succeeded in namespace.
func expectCSVSucceeded(ctx context.Context, namespace, version string) {
	EventuallyWithOffset(1, func(g Gomega) {
		csv := &operatorsv1alpha1.ClusterServiceVersion{}
		g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: csvName(version)}, csv)).To(Succeed())
		g.Expect(csv.Status.Phase).To(Equal(operatorsv1alpha1.CSVPhaseSucceeded), csv.Status.Message)
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}

// expectCSVReplaced waits until the CSV of version is gone from namespace (OLM deletes a
// replaced CSV once its successor succeeded).
func expectCSVReplaced(ctx context.Context, namespace, version string) {
	EventuallyWithOffset(1, func() error {
		return k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: csvName(version)}, &operatorsv1alpha1.ClusterServiceVersion{})
	}).WithTimeout(long).WithPolling(poll).Should(Satisfy(apierrors.IsNotFound))
}

// operand is a WebServer that keeps serving while the operator under it is upgraded.
type operand struct {
	namespace string
	key       types.NamespacedName
	url       string
	podUIDs   []types.UID
	depGen    int64
}

// createOperand creates a WebServer with two replicas in a new namespace that enforces the
// restricted Pod Security Standard, and waits until its operator of version has rolled it out.
func createOperand(ctx context.Context, operatorVersion string) *operand {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: "app-",
		Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}
	ExpectWithOffset(1, k8s.Create(ctx, ns)).To(Succeed())
	o := &operand{namespace: ns.Name, key: types.NamespacedName{Namespace: ns.Name, Name: site}}
	ExpectWithOffset(1, k8s.Create(ctx, &corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.namespace, Name: "pages"},
		Data:       map[string]string{"index.html": "<h1>installed-by-olm</h1>\n"},
	})).To(Succeed())
	ExpectWithOffset(1, k8s.Create(ctx, &webserverv1alpha1.WebServer{
		ObjectMeta: metav1.ObjectMeta{Namespace: o.namespace, Name: site},
		Spec: webserverv1alpha1.WebServerSpec{
			Image:    nginxImageA,
			Replicas: ptr.To[int32](2),
			Content:  &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"},
		},
	})).To(Succeed())
	EventuallyWithOffset(1, func(g Gomega) {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, o.key, ws)).To(Succeed())
		expectAvailable(g, ws)
		g.Expect(ws.Status.ReadyReplicas).To(Equal(int32(2)))
		g.Expect(ws.Status.ReconciledBy).To(Equal(operatorVersion))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())

	o.url = serviceURL(ctx, o.namespace, site)
	out := probeFromPod(ctx, o.namespace, "probe", "http://"+site+"."+o.namespace+".svc/")
	ExpectWithOffset(1, out).To(HavePrefix("200\n"))
	ExpectWithOffset(1, out).To(ContainSubstring("installed-by-olm"))
	eventuallyServes(o.url, "installed-by-olm")
	o.podUIDs, o.depGen = o.pods(ctx, Default)
	return o
}

// expectAvailable fails g unless the WebServer's Available condition is True.
func expectAvailable(g Gomega, ws *webserverv1alpha1.WebServer) {
	c := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionAvailable)
	g.Expect(c).NotTo(BeNil(), "no Available condition yet")
	g.Expect(c.Status).To(Equal(metav1.ConditionTrue), c.Message)
}

// pods returns the UIDs of the operand's pods and its Deployment's generation.
func (o *operand) pods(ctx context.Context, g Gomega) ([]types.UID, int64) {
	pods := &corev1.PodList{}
	g.Expect(k8s.List(ctx, pods, client.InNamespace(o.namespace), client.MatchingLabels{"app.kubernetes.io/instance": site})).To(Succeed())
	uids := make([]types.UID, 0, len(pods.Items))
	for _, p := range pods.Items {
		uids = append(uids, p.UID)
	}
	slices.Sort(uids)
	dep := &appsv1.Deployment{}
	g.Expect(k8s.Get(ctx, o.key, dep)).To(Succeed())
	return uids, dep.Generation
}

// expectUpgradeUnderLoad sends requests to the operand while upgrade moves the operator in
// namespace from the previous release to the current one, then expects the current CSV to
// have replaced the previous one, the operand adopted without a restart, and no failed request.
func (o *operand) expectUpgradeUnderLoad(ctx context.Context, namespace, what string, upgrade func()) {
	l := startLoad(o.url)
	upgrade()
	expectCSVSucceeded(ctx, namespace, currentVer)
	expectCSVReplaced(ctx, namespace, previousVer)
	o.expectAdoptedWithoutRestart(ctx, currentVer)
	l.stopAndExpectNoFailures(what)
}

// expectAdoptedWithoutRestart waits until the operator of version has reconciled the operand,
// then checks that its pods and Deployment are the ones the previous operator made.
func (o *operand) expectAdoptedWithoutRestart(ctx context.Context, operatorVersion string) {
	EventuallyWithOffset(1, func(g Gomega) {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, o.key, ws)).To(Succeed())
		g.Expect(ws.Status.ReconciledBy).To(Equal(operatorVersion))
		g.Expect(ws.Status.ObservedGeneration).To(Equal(ws.Generation))
		expectAvailable(g, ws)
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	// A restart would show within a few seconds of the new operator's first pass.
	ConsistentlyWithOffset(1, func(g Gomega) {
		uids, gen := o.pods(ctx, g)
		g.Expect(uids).To(Equal(o.podUIDs), "the operand's pods were replaced")
		g.Expect(gen).To(Equal(o.depGen), "the operand's Deployment changed")
	}).WithTimeout(adoptionWatch).WithPolling(poll).Should(Succeed())
}

// setImage changes the operand's nginx image.
func (o *operand) setImage(ctx context.Context, image string) {
	updateWebServer(ctx, o.key, func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = image })
}

// delete removes the WebServer (while its operator runs, for the finalizer) and its namespace.
func (o *operand) delete(ctx context.Context) {
	ExpectWithOffset(1, k8s.Delete(ctx, &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: o.namespace, Name: site}})).To(Succeed())
	EventuallyWithOffset(1, func() error {
		return k8s.Get(ctx, o.key, &webserverv1alpha1.WebServer{})
	}).WithTimeout(long).WithPolling(poll).Should(Satisfy(apierrors.IsNotFound))
	ExpectWithOffset(1, k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: o.namespace}})).To(Succeed())
}

// bundleClusterRoles are the cluster-scoped objects of our bundle besides the CRD. OLM v0
// labels them olm.owner=<CSV> but leaves them behind on uninstall (only objects it created for
// the CSV itself, with olm.owner.kind, are collected); the README's uninstall removes them.
var bundleClusterRoles = []string{
	"webserver-operator-metrics-reader",
	"webserver-operator-webserver-admin-role",
	"webserver-operator-webserver-editor-role",
	"webserver-operator-webserver-viewer-role",
}

// removeLeftoverClusterRoles does the uninstall's last step (README) and expects it to find
// exactly the bundle's ClusterRoles, owned by the CSV of version.
func removeLeftoverClusterRoles(ctx context.Context, version string) {
	roles := &rbacv1.ClusterRoleList{}
	ExpectWithOffset(1, k8s.List(ctx, roles, client.MatchingLabels{"olm.owner": csvName(version)})).To(Succeed())
	names := make([]string, 0, len(roles.Items))
	for _, r := range roles.Items {
		names = append(names, r.Name)
	}
	ExpectWithOffset(1, names).To(ConsistOf(bundleClusterRoles))
	kubectl("delete", "clusterroles", "-l", "olm.owner="+csvName(version))
}

// expectNothingLeft checks that no object of the operator remains: no CSV in any namespace,
// no OLM object, workload, job or RBAC in installNS (but the OperatorGroups named in
// keepGroups), no CRD, and no cluster-wide RBAC.
func expectNothingLeft(ctx context.Context, installNS string, keepGroups ...string) {
	EventuallyWithOffset(1, func(g Gomega) {
		csvs := &operatorsv1alpha1.ClusterServiceVersionList{}
		g.Expect(k8s.List(ctx, csvs)).To(Succeed())
		for _, csv := range csvs.Items {
			g.Expect(csv.Name).NotTo(HavePrefix(packageName), "CSV in %s", csv.Namespace)
		}
		for _, list := range []client.ObjectList{
			&operatorsv1alpha1.SubscriptionList{}, &operatorsv1alpha1.InstallPlanList{},
			&operatorsv1alpha1.CatalogSourceList{}, &operatorsv2.OperatorConditionList{},
			&appsv1.DeploymentList{}, &corev1.PodList{}, &corev1.ServiceList{}, &batchv1.JobList{},
			&rbacv1.RoleList{}, &rbacv1.RoleBindingList{},
		} {
			g.Expect(k8s.List(ctx, list, client.InNamespace(installNS))).To(Succeed())
			g.Expect(meta.LenList(list)).To(BeZero(), "%T in %s", list, installNS)
		}
		groups := &operatorsv1.OperatorGroupList{}
		g.Expect(k8s.List(ctx, groups, client.InNamespace(installNS))).To(Succeed())
		for _, og := range groups.Items {
			g.Expect(keepGroups).To(ContainElement(og.Name), "OperatorGroup in %s", installNS)
		}
		sas := &corev1.ServiceAccountList{}
		g.Expect(k8s.List(ctx, sas, client.InNamespace(installNS))).To(Succeed())
		for _, sa := range sas.Items {
			g.Expect(sa.Name).To(Equal("default"), "ServiceAccount in %s", installNS)
		}
		err := k8s.Get(ctx, types.NamespacedName{Name: crdName}, &apiextensionsv1.CustomResourceDefinition{})
		g.Expect(apierrors.IsNotFound(err)).To(BeTrue(), "CRD %s: %v", crdName, err)

		roles := &rbacv1.ClusterRoleList{}
		g.Expect(k8s.List(ctx, roles)).To(Succeed())
		for _, r := range roles.Items {
			// OLM's own roles for the CRD are named after it.
			g.Expect(r.Name).NotTo(Or(HavePrefix(packageName), HavePrefix(crdName)))
		}
		bindings := &rbacv1.ClusterRoleBindingList{}
		g.Expect(k8s.List(ctx, bindings)).To(Succeed())
		for _, b := range bindings.Items {
			g.Expect(b.Name).NotTo(HavePrefix(packageName))
		}
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}
