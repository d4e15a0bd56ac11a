package faults

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// Images are never pulled here: the kubelet stand-in runs any.
const (
	imageA = "registry.example/nginx:1.27.0"
	imageB = "registry.example/nginx:1.27.1"
)

// wanted is what the user last asked of a WebServer.
type wanted struct {
	image    string
	replicas int32
	// edit is the user's own label, which the operator must never drop.
	edit string
}

const editLabel = "example.com/edited-by-user"

func newNamespace(ctx context.Context, prefix string) string {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

func createWebServer(ctx context.Context, key types.NamespacedName, w wanted) {
	GinkgoHelper()
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{
		Name: key.Name, Namespace: key.Namespace, Labels: map[string]string{editLabel: w.edit},
	}}
	ws.Spec.Image = w.image
	ws.Spec.Replicas = ptr.To(w.replicas)
	Expect(k8sClient.Create(ctx, ws)).To(Succeed())
}

// createWebServers creates n WebServers named site-00, site-01, … that all want w.
func createWebServers(ctx context.Context, namespace string, n int, w wanted) map[types.NamespacedName]wanted {
	GinkgoHelper()
	want := map[types.NamespacedName]wanted{}
	for i := range n {
		key := types.NamespacedName{Namespace: namespace, Name: fmt.Sprintf("site-%02d", i)}
		want[key] = w
		createWebServer(ctx, key, w)
	}
	return want
}

// eventuallyConverged waits until every WebServer of want has converged on it.
func eventuallyConverged(ctx context.Context, want map[types.NamespacedName]wanted, timeout, polling time.Duration) {
	GinkgoHelper()
	Eventually(func(g Gomega) {
		for key, w := range want {
			expectConverged(g, ctx, key, w)
		}
	}).WithContext(ctx).WithTimeout(timeout).WithPolling(polling).Should(Succeed())
}

// editWebServer changes a WebServer as a user does: read, change, write, again on a conflict.
func editWebServer(ctx context.Context, key types.NamespacedName, w wanted) {
	GinkgoHelper()
	Expect(retry.RetryOnConflict(retry.DefaultRetry, func() error {
		ws := &webserverv1alpha1.WebServer{}
		if err := k8sClient.Get(ctx, key, ws); err != nil {
			return err
		}
		ws.Spec.Image, ws.Spec.Replicas = w.image, ptr.To(w.replicas)
		if ws.Labels == nil {
			ws.Labels = map[string]string{}
		}
		ws.Labels[editLabel] = w.edit
		return k8sClient.Update(ctx, ws)
	})).To(Succeed())
}

// expectConverged checks that the WebServer holds what the user asked, its status reports
// the generation with every pod updated and ready, and its Deployment runs that.
func expectConverged(g Gomega, ctx context.Context, key types.NamespacedName, w wanted) {
	ws := &webserverv1alpha1.WebServer{}
	g.Expect(k8sClient.Get(ctx, key, ws)).To(Succeed())
	g.Expect(ws.Spec.Image).To(Equal(w.image), "%s: the user's image", key)
	g.Expect(ws.Spec.Replicas).To(HaveValue(Equal(w.replicas)), "%s: the user's replicas", key)
	g.Expect(ws.Labels).To(HaveKeyWithValue(editLabel, w.edit), "%s: the user's label", key)
	g.Expect(ws.Status.ObservedGeneration).To(Equal(ws.Generation), "%s: status reports the generation", key)
	g.Expect(meta.IsStatusConditionTrue(ws.Status.Conditions, webserverv1alpha1.ConditionAvailable)).To(BeTrue(), "%s: Available", key)
	g.Expect([]int32{ws.Status.UpdatedReplicas, ws.Status.ReadyReplicas}).To(HaveEach(w.replicas), "%s: pods updated and ready", key)

	deployment := &appsv1.Deployment{}
	g.Expect(k8sClient.Get(ctx, key, deployment)).To(Succeed())
	g.Expect(deployment.Spec.Replicas).To(HaveValue(Equal(w.replicas)), "%s: Deployment replicas", key)
	g.Expect(deployment.Spec.Template.Spec.Containers).To(ContainElement(And(
		HaveField("Name", "nginx"), HaveField("Image", w.image))), "%s: Deployment image", key)
	g.Expect(deployment.Status.ObservedGeneration).To(Equal(deployment.Generation))
	g.Expect([]int32{deployment.Status.UpdatedReplicas, deployment.Status.AvailableReplicas, deployment.Status.Replicas}).
		To(HaveEach(w.replicas), "%s: rollout complete", key)
}

// expectNoStrayChildren checks the namespace once garbage collection is done: every child
// has a controller reference to a WebServer that exists, each WebServer has exactly one
// Deployment, Service and ServiceAccount and one ConfigMap, no nginx -t check pod is left,
// and every serving pod belongs to a current ReplicaSet of a Deployment.
func expectNoStrayChildren(g Gomega, ctx context.Context, namespace string, live map[types.UID]string) {
	perOwner := map[string]map[types.UID]int{}
	count := func(kind string, objects []client.Object) {
		perOwner[kind] = map[types.UID]int{}
		for _, o := range objects {
			owner := metav1.GetControllerOf(o)
			g.Expect(owner).NotTo(BeNil(), "%s %s has no controller", kind, o.GetName())
			g.Expect(live).To(HaveKey(owner.UID), "%s %s is owned by a WebServer that is gone", kind, o.GetName())
			perOwner[kind][owner.UID]++
		}
	}
	in := client.InNamespace(namespace)
	deployments, services, accounts, configMaps, budgets := &appsv1.DeploymentList{}, &corev1.ServiceList{},
		&corev1.ServiceAccountList{}, &corev1.ConfigMapList{}, &policyv1.PodDisruptionBudgetList{}
	for _, list := range []client.ObjectList{deployments, services, accounts, configMaps, budgets} {
		g.Expect(k8sClient.List(ctx, list, in)).To(Succeed())
	}
	count("Deployment", objectsOf(deployments.Items))
	count("Service", objectsOf(services.Items))
	count("ServiceAccount", objectsOf(accounts.Items))
	count("ConfigMap", objectsOf(configMaps.Items))
	count("PodDisruptionBudget", objectsOf(budgets.Items))
	for _, kind := range []string{"Deployment", "Service", "ServiceAccount", "ConfigMap"} {
		for uid, name := range live {
			g.Expect(perOwner[kind][uid]).To(Equal(1), "WebServer %s: %s children", name, kind)
		}
	}
	for uid, name := range live {
		g.Expect(perOwner["PodDisruptionBudget"][uid]).To(BeNumerically("<=", 1), "WebServer %s: PodDisruptionBudgets", name)
	}

	pods := &corev1.PodList{}
	g.Expect(k8sClient.List(ctx, pods, in)).To(Succeed())
	replicaSets := &appsv1.ReplicaSetList{}
	g.Expect(k8sClient.List(ctx, replicaSets, in)).To(Succeed())
	current := map[types.UID]bool{}
	for _, rs := range replicaSets.Items {
		if ptr.Deref(rs.Spec.Replicas, 0) > 0 {
			current[rs.UID] = true
		}
	}
	for _, pod := range pods.Items {
		if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
			owner := &webserverv1alpha1.WebServer{}
			_ = k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: pod.Labels["app.kubernetes.io/instance"]}, owner)
			g.Expect(pod.Name).To(BeEmpty(), "nginx -t check pod %s (%s, created %s, deleted %v, finalizers %v, node %q) is left (owners %+v); its WebServer's revisions: %+v",
				pod.Name, pod.Status.Phase, pod.CreationTimestamp, pod.DeletionTimestamp, pod.Finalizers, pod.Spec.NodeName, pod.OwnerReferences, owner.Status.Revisions)
		}
		owner := metav1.GetControllerOf(&pod)
		g.Expect(owner).NotTo(BeNil(), "pod %s has no controller", pod.Name)
		g.Expect(current).To(HaveKey(owner.UID), "pod %s belongs to no current ReplicaSet", pod.Name)
	}
}

func objectsOf[T any, P interface {
	*T
	client.Object
}](items []T) []client.Object {
	objects := make([]client.Object, len(items))
	for i := range items {
		objects[i] = P(&items[i])
	}
	return objects
}

// printLogTail prints the last lines of a log, for a failed spec.
func printLogTail(path string, lines int) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return
	}
	all := strings.Split(strings.TrimRight(string(raw), "\n"), "\n")
	GinkgoWriter.Printf("--- last %d lines of %s\n%s\n", lines, path, strings.Join(all[max(0, len(all)-lines):], "\n"))
}

func metaOf(key types.NamespacedName) metav1.ObjectMeta {
	return metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}
}
