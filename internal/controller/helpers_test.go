package controller

import (
	"context"
	"fmt"

	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

func newNamespace(ctx context.Context) string {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "ws-test-"}}
	Expect(k8sClient.Create(ctx, ns)).To(Succeed())
	return ns.Name
}

func createWebServer(ctx context.Context, namespace, name string, mutate func(*webserverv1alpha1.WebServer)) *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name}}
	if mutate != nil {
		mutate(ws)
	}
	Expect(k8sClient.Create(ctx, ws)).To(Succeed())
	return ws
}

func getWebServer(ctx context.Context, namespace, name string) *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{}
	ExpectWithOffset(1, k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, ws)).To(Succeed())
	return ws
}

// updateWebServer applies mutate to the latest WebServer, retrying on conflicts.
func updateWebServer(ctx context.Context, namespace, name string, mutate func(*webserverv1alpha1.WebServer)) {
	EventuallyWithOffset(1, func() error {
		ws := getWebServer(ctx, namespace, name)
		mutate(ws)
		return k8sClient.Update(ctx, ws)
	}).WithTimeout(timeout).Should(Succeed())
}

// eventuallyDeployment waits for the Deployment to satisfy check.
func eventuallyDeployment(ctx context.Context, namespace, name string, check func(Gomega, *appsv1.Deployment)) *appsv1.Deployment {
	dep := &appsv1.Deployment{}
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, dep)).To(Succeed())
		check(g, dep)
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	return dep
}

// writeDeployment applies mutate to the latest Deployment and writes it, its status when
// status is true (playing the Deployment controller), retrying on conflicts. mutate may
// return an error to wait for the Deployment to reach a state first.
func writeDeployment(ctx context.Context, namespace, name string, status bool, mutate func(*appsv1.Deployment) error) {
	EventuallyWithOffset(2, func() error {
		dep := &appsv1.Deployment{}
		if err := k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, dep); err != nil {
			return err
		}
		if err := mutate(dep); err != nil {
			return err
		}
		if status {
			return k8sClient.Status().Update(ctx, dep)
		}
		return k8sClient.Update(ctx, dep)
	}).WithTimeout(timeout).Should(Succeed())
}

// rollOut plays the Deployment controller: every desired pod is updated, ready and available.
func rollOut(ctx context.Context, namespace, name string) {
	writeDeployment(ctx, namespace, name, true, func(dep *appsv1.Deployment) error {
		n := ptr.Deref(dep.Spec.Replicas, 1)
		dep.Status = appsv1.DeploymentStatus{
			ObservedGeneration: dep.Generation,
			Replicas:           n,
			UpdatedReplicas:    n,
			ReadyReplicas:      n,
			AvailableReplicas:  n,
			Conditions: []appsv1.DeploymentCondition{
				{Type: appsv1.DeploymentAvailable, Status: corev1.ConditionTrue, Reason: "MinimumReplicasAvailable"},
				{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionTrue, Reason: "NewReplicaSetAvailable"},
			},
		}
		return nil
	})
}

// pauseDeployment pauses a Deployment by hand, as kubectl rollout pause does.
func pauseDeployment(ctx context.Context, namespace, name string) {
	writeDeployment(ctx, namespace, name, false, func(dep *appsv1.Deployment) error {
		dep.Spec.Paused = true
		return nil
	})
}

// rollOutHalfway plays a rollout in progress: old pods still serve, one new pod is not ready.
func rollOutHalfway(ctx context.Context, namespace, name string) {
	writeDeployment(ctx, namespace, name, true, func(dep *appsv1.Deployment) error {
		n := ptr.Deref(dep.Spec.Replicas, 1)
		dep.Status = appsv1.DeploymentStatus{
			ObservedGeneration: dep.Generation,
			Replicas:           n + 1,
			UpdatedReplicas:    1,
			ReadyReplicas:      n,
			AvailableReplicas:  n,
		}
		return nil
	})
}

// stallRollout plays the Deployment controller giving up on a rollout of image: new pods
// did not become ready within the progress deadline.
func stallRollout(ctx context.Context, namespace, name, image string) {
	writeDeployment(ctx, namespace, name, true, func(dep *appsv1.Deployment) error {
		if dep.Spec.Template.Spec.Containers[0].Image != image {
			return fmt.Errorf("the Deployment does not run %s yet", image)
		}
		dep.Status = appsv1.DeploymentStatus{ObservedGeneration: dep.Generation, Replicas: 2, UpdatedReplicas: 1, ReadyReplicas: 1, AvailableReplicas: 1,
			Conditions: []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Status: corev1.ConditionFalse, Reason: "ProgressDeadlineExceeded"}}}
		return nil
	})
}

// eventuallyCondition waits until the WebServer's condition has the status and reason.
func eventuallyCondition(ctx context.Context, namespace, name, condType string, status metav1.ConditionStatus, reason string) *webserverv1alpha1.WebServer {
	var ws *webserverv1alpha1.WebServer
	EventuallyWithOffset(1, func(g Gomega) {
		ws = &webserverv1alpha1.WebServer{}
		g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, ws)).To(Succeed())
		c := meta.FindStatusCondition(ws.Status.Conditions, condType)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Status).To(Equal(status), c.Message)
		g.Expect(c.Reason).To(Equal(reason), c.Message)
		g.Expect(c.ObservedGeneration).To(Equal(ws.Generation))
	}).WithTimeout(timeout).WithPolling(interval).Should(Succeed())
	return ws
}

// eventReasons lists the reasons of the events recorded about a WebServer.
func eventReasons(ctx context.Context, namespace, name string) []string {
	list := &eventsv1.EventList{}
	ExpectWithOffset(1, k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "WebServer" && e.Regarding.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	return reasons
}

func configMapNames(ctx context.Context, namespace string) []string {
	list := &corev1.ConfigMapList{}
	ExpectWithOffset(1, k8sClient.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
	var names []string
	for _, cm := range list.Items {
		if cm.Name != "kube-root-ca.crt" {
			names = append(names, cm.Name)
		}
	}
	return names
}
