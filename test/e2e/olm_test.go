package e2e

import (
	"context"
	"strings"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	operatorsv1alpha1 "github.com/operator-framework/api/pkg/operators/v1alpha1"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// The operator installed and upgraded the ways OLM users do: operator-sdk run bundle and
// run bundle-upgrade, then a CatalogSource of our catalog with a Subscription to its channel.
// The previous release's images are rebuilt from its commit (make previous-release-images).
var _ = Describe("OLM install and upgrade", Ordered, Label("olm"), func() {
	const (
		sdkNamespace     = "olm-sdk"   // where operator-sdk run bundle installs
		catalogNamespace = "olm"       // OLM's global catalog namespace
		globalNamespace  = "operators" // OLM's AllNamespaces OperatorGroup
		catalogName      = packageName
	)
	ctx := context.Background()

	BeforeAll(func() {
		// operator-sdk's catalog pod is not restricted; the operands' namespaces are.
		Expect(k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			Name:   sdkNamespace,
			Labels: map[string]string{"pod-security.kubernetes.io/enforce": "baseline"},
		}})).To(Succeed())
		DeferCleanup(func() {
			_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: sdkNamespace}})
		})
	})

	AfterEach(func() {
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Println(kubectl("get", "csv,subscriptions,installplans,catalogsources,pods", "-A", "-o", "wide"))
			GinkgoWriter.Println(kubectl("-n", "olm", "logs", "deployment/olm-operator", "--tail=40"))
			GinkgoWriter.Println(kubectl("-n", "olm", "logs", "deployment/catalog-operator", "--tail=40"))
		}
	})

	Context("with operator-sdk run bundle", Ordered, func() {
		var app *operand

		It("installs the previous release, whose operator serves a WebServer", func() {
			operatorSDK("run", "bundle", previousBundle, "--namespace", sdkNamespace,
				"--install-mode", "AllNamespaces", "--index-image", indexImage, "--timeout", "5m")
			expectCSVSucceeded(ctx, sdkNamespace, previousVer)
			app = createOperand(ctx, previousVer)
		})

		It("upgrades with run bundle-upgrade: the WebServer keeps its pods and serves throughout", func() {
			app.expectUpgradeUnderLoad(ctx, sdkNamespace, "operator upgrade by run bundle-upgrade", func() {
				operatorSDK("run", "bundle-upgrade", currentBundle, "--namespace", sdkNamespace, "--timeout", "5m")
			})
		})

		It("tells OLM to hold operator upgrades while a WebServer rolls out", func() {
			// An image that cannot be pulled keeps the rollout going; the old pods keep serving.
			app.setImage(ctx, nginxImageA+"-missing")
			expectOperatorUpgradeable(ctx, sdkNamespace, metav1.ConditionFalse, app.namespace+"/"+site)
			app.setImage(ctx, nginxImageA)
			expectOperatorUpgradeable(ctx, sdkNamespace, metav1.ConditionTrue, "no WebServer rollout")
		})

		It("uninstalls with operator-sdk cleanup, leaving nothing behind", func() {
			app.delete(ctx)
			operatorSDK("cleanup", packageName, "--namespace", sdkNamespace, "--timeout", "3m")
			removeLeftoverClusterRoles(ctx, currentVer)
			expectNothingLeft(ctx, sdkNamespace)
		})
	})

	Context("from the catalog image through a Subscription", Ordered, func() {
		var app *operand

		It("lists the package and its channel from the CatalogSource, as OperatorHub reads them", func() {
			Expect(k8s.Create(ctx, &operatorsv1alpha1.CatalogSource{
				ObjectMeta: metav1.ObjectMeta{Namespace: catalogNamespace, Name: catalogName},
				Spec: operatorsv1alpha1.CatalogSourceSpec{
					SourceType:  operatorsv1alpha1.SourceTypeGrpc,
					Image:       catalogImage,
					DisplayName: "WebServer Operator",
					Publisher:   "webserver-operator",
					GrpcPodConfig: &operatorsv1alpha1.GrpcPodConfig{
						SecurityContextConfig: operatorsv1alpha1.Restricted,
					},
				},
			})).To(Succeed())
			Eventually(func(g Gomega) {
				cs := &operatorsv1alpha1.CatalogSource{}
				g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: catalogNamespace, Name: catalogName}, cs)).To(Succeed())
				g.Expect(cs.Status.GRPCConnectionState).NotTo(BeNil())
				g.Expect(cs.Status.GRPCConnectionState.LastObservedState).To(Equal("READY"))
			}).WithTimeout(long).WithPolling(poll).Should(Succeed())

			// packageserver serves PackageManifests in every namespace for a global catalog.
			Eventually(func(g Gomega) {
				out, err := kubectlE("get", "packagemanifests", packageName, "--namespace", "default", "-o",
					`jsonpath={.status.catalogSource} {.status.defaultChannel} {range .status.channels[*]}{.name}={.currentCSV} {end}`)
				g.Expect(err).NotTo(HaveOccurred(), out)
				g.Expect(strings.Fields(out)).To(Equal([]string{catalogName, "candidate", "candidate=" + csvName(currentVer)}))
			}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		})

		It("installs the previous release from its channel entry once its InstallPlan is approved", func() {
			Expect(k8s.Create(ctx, &operatorsv1alpha1.Subscription{
				ObjectMeta: metav1.ObjectMeta{Namespace: globalNamespace, Name: packageName},
				Spec: &operatorsv1alpha1.SubscriptionSpec{
					CatalogSource:          catalogName,
					CatalogSourceNamespace: catalogNamespace,
					Package:                packageName,
					Channel:                "candidate",
					StartingCSV:            csvName(previousVer),
					InstallPlanApproval:    operatorsv1alpha1.ApprovalManual,
				},
			})).To(Succeed())
			approveInstallPlan(ctx, globalNamespace, previousVer)
			expectCSVSucceeded(ctx, globalNamespace, previousVer)
			app = createOperand(ctx, previousVer)
		})

		It("upgrades through the channel: the WebServer keeps its pods and serves throughout", func() {
			app.expectUpgradeUnderLoad(ctx, globalNamespace, "operator upgrade through the catalog channel", func() {
				approveInstallPlan(ctx, globalNamespace, currentVer)
			})
		})

		It("uninstalls (Subscription, CSV, CRD, catalog), leaving nothing behind", func() {
			app.delete(ctx)
			kubectl("--namespace", globalNamespace, "delete", "subscription", packageName)
			kubectl("--namespace", globalNamespace, "delete", "csv", csvName(currentVer))
			kubectl("delete", "crd", crdName)
			kubectl("--namespace", catalogNamespace, "delete", "catalogsource", catalogName)
			// The catalog's pod and the jobs that unpacked its bundles go with it.
			Eventually(func(g Gomega) {
				pods := &corev1.PodList{}
				g.Expect(k8s.List(ctx, pods, client.InNamespace(catalogNamespace), client.MatchingLabels{"olm.catalogSource": catalogName})).To(Succeed())
				g.Expect(pods.Items).To(BeEmpty())
				jobs := &batchv1.JobList{}
				g.Expect(k8s.List(ctx, jobs, client.InNamespace(catalogNamespace))).To(Succeed())
				g.Expect(jobs.Items).To(BeEmpty())
			}).WithTimeout(long).WithPolling(poll).Should(Succeed())
			removeLeftoverClusterRoles(ctx, currentVer)
			// The OperatorGroup of the operators namespace is OLM's own and stays.
			expectNothingLeft(ctx, globalNamespace, "global-operators")
		})
	})
})

// approveInstallPlan approves the InstallPlan the package's Subscription points at for the
// CSV of version, until one runs. OLM may resolve twice and point the Subscription at a newer
// plan for the same CSV; an approved plan it no longer points at is never executed.
func approveInstallPlan(ctx context.Context, namespace, version string) {
	EventuallyWithOffset(1, func(g Gomega) {
		sub := &operatorsv1alpha1.Subscription{}
		g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: packageName}, sub)).To(Succeed())
		g.Expect(sub.Status.InstallPlanRef).NotTo(BeNil(), "no InstallPlan for %s yet", csvName(version))
		plan := &operatorsv1alpha1.InstallPlan{}
		g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: sub.Status.InstallPlanRef.Name}, plan)).To(Succeed())
		g.Expect(plan.Spec.ClusterServiceVersionNames).To(ContainElement(csvName(version)), "the Subscription's plan is for another CSV")
		if !plan.Spec.Approved {
			By("approving InstallPlan " + plan.Name + " for " + csvName(version))
			patch := client.MergeFrom(plan.DeepCopy())
			plan.Spec.Approved = true
			g.Expect(k8s.Patch(ctx, plan, patch)).To(Succeed())
		}
		g.Expect(plan.Status.Phase).To(BeElementOf(operatorsv1alpha1.InstallPlanPhaseInstalling, operatorsv1alpha1.InstallPlanPhaseComplete))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}

// expectOperatorUpgradeable waits until the current operator's OperatorCondition (which OLM
// created and reads before an upgrade) says Upgradeable status with a message containing what.
func expectOperatorUpgradeable(ctx context.Context, namespace string, status metav1.ConditionStatus, what string) {
	EventuallyWithOffset(1, func(g Gomega) {
		oc := &operatorsv2.OperatorCondition{}
		g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: csvName(currentVer)}, oc)).To(Succeed())
		c := meta.FindStatusCondition(oc.Spec.Conditions, operatorsv2.Upgradeable)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(status), c.Message)
		g.Expect(c.Message).To(ContainSubstring(what))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}
