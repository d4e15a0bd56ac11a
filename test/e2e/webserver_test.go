package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const (
	site     = "site"
	nodePort = 30090
	// leaseName is the operator's leader election Lease.
	leaseName = "webserver-operator.webserver.dev"
)

var _ = Describe("WebServer on a real cluster", Ordered, Label("e2e"), func() {
	var (
		ctx       = context.Background()
		namespace string
		key       types.NamespacedName
		siteURL   string
		nodeURL   = fmt.Sprintf("http://127.0.0.1:%d/", nodePort)
		// The operator's metrics endpoint and a token allowed to read it.
		metricsURL, metricsToken string
	)

	getWS := func(g Gomega) *webserverv1alpha1.WebServer {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		return ws
	}
	updateWS := func(mutate func(*webserverv1alpha1.WebServer)) { updateWebServer(ctx, key, mutate) }
	// servingPods selects the site's nginx pods, not its config check pods.
	servingPods := client.MatchingLabels{"app.kubernetes.io/instance": site, "app.kubernetes.io/name": "webserver"}
	// settled waits for a finished rollout of image with want pods ready.
	settled := func(image string, ready int32) {
		Eventually(func(g Gomega) {
			ws := getWS(g)
			c := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionProgressing)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(webserverv1alpha1.ReasonRolloutComplete), c.Message)
			g.Expect(c.ObservedGeneration).To(Equal(ws.Generation))
			g.Expect(ws.Status.CurrentImage).To(Equal(image))
			g.Expect(ws.Status.ReadyReplicas).To(Equal(ready))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	}
	runningPods := func(g Gomega) []corev1.Pod {
		pods := &corev1.PodList{}
		g.Expect(k8s.List(ctx, pods, client.InNamespace(namespace), servingPods)).To(Succeed())
		var running []corev1.Pod
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil {
				running = append(running, p)
			}
		}
		return running
	}
	expectRunningPods := func(n int) {
		Eventually(func(g Gomega) {
			g.Expect(runningPods(g)).To(HaveLen(n))
			pods := &corev1.PodList{}
			g.Expect(k8s.List(ctx, pods, client.InNamespace(namespace), servingPods)).To(Succeed())
			g.Expect(pods.Items).To(HaveLen(n), "terminating pods remain")
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	}

	BeforeAll(func() {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
			GenerateName: "e2e-",
			Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
		}}
		Expect(k8s.Create(ctx, ns)).To(Succeed())
		namespace = ns.Name
		key = types.NamespacedName{Namespace: namespace, Name: site}
		By("namespace " + namespace + " enforces the restricted Pod Security Standard")
	})

	AfterAll(func() {
		_, _ = kubectlE("delete", "clusterrolebinding", namespace+"-metrics-reader", "--ignore-not-found")
		if CurrentSpecReport().Failed() {
			GinkgoWriter.Println(kubectl("-n", namespace, "get", "all,webservers,configmaps,events", "-o", "wide"))
			GinkgoWriter.Println(kubectl("-n", operatorNS, "logs", "deployment/"+operatorName, "--tail=100"))
		}
		if !CurrentSpecReport().Failed() || os.Getenv("E2E_KEEP_FAILED") == "" {
			_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
		}
	})

	It("runs the operator, whose metrics answer only to an authorized token", func() {
		Eventually(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: operatorNS, Name: operatorName}, dep)).To(Succeed())
			g.Expect(dep.Status.ReadyReplicas).To(Equal(int32(1)))
		}).WithTimeout(long).Should(Succeed())

		// The Go soft memory limit follows the container's 256Mi limit (90% of it).
		Expect(kubectl("-n", operatorNS, "logs", "deployment/"+operatorName)).
			To(ContainSubstring(`"msg":"Set Go memory limit from the container limit","bytes":241591910`))

		kubectl("-n", namespace, "create", "serviceaccount", "metrics-reader")
		kubectl("-n", namespace, "create", "serviceaccount", "nobody")
		kubectl("create", "clusterrolebinding", namespace+"-metrics-reader",
			"--clusterrole=webserver-operator-metrics-reader", "--serviceaccount="+namespace+":metrics-reader")
		// Removed in AfterAll: later specs read metrics too, from a restarted operator whose
		// authorizer has cached nothing.
		metricsToken = strings.TrimSpace(kubectl("-n", namespace, "create", "token", "metrics-reader"))
		denied := strings.TrimSpace(kubectl("-n", namespace, "create", "token", "nobody"))

		svc := &corev1.Service{}
		Expect(k8s.Get(ctx, types.NamespacedName{Namespace: operatorNS, Name: "webserver-operator-controller-manager-metrics-service"}, svc)).To(Succeed())
		metricsURL = fmt.Sprintf("https://%s:8443/metrics", svc.Spec.ClusterIP)
		Eventually(func(g Gomega) {
			code, body, err := httpGet(insecureClient, metricsURL, metricsToken)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK))
			g.Expect(body).To(ContainSubstring("controller_runtime_reconcile_total"))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		code, _, err := httpGet(insecureClient, metricsURL, "")
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusUnauthorized))
		code, _, err = httpGet(insecureClient, metricsURL, denied)
		Expect(err).NotTo(HaveOccurred())
		Expect(code).To(Equal(http.StatusForbidden))
	})

	It("serves the configured content through the Service, from a pod and from the node port", func() {
		Expect(k8s.Create(ctx, &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "pages"},
			Data:       map[string]string{"index.html": "<h1>content-v1</h1>\n"},
		})).To(Succeed())
		Expect(k8s.Create(ctx, &webserverv1alpha1.WebServer{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: site},
			Spec: webserverv1alpha1.WebServerSpec{
				Image:    nginxImageA,
				Replicas: ptr.To[int32](2),
				Content:  &webserverv1alpha1.ContentSpec{ConfigMapName: "pages"},
				Service:  webserverv1alpha1.ServiceSpec{Type: corev1.ServiceTypeNodePort, NodePort: nodePort},
			},
		})).To(Succeed())
		settled(nginxImageA, 2)
		expectRunningPods(2)

		siteURL = serviceURL(ctx, namespace, site)
		out := probeFromPod(ctx, namespace, "probe-clusterip", fmt.Sprintf("http://%s.%s.svc/", site, namespace))
		Expect(out).To(HavePrefix("200\n"))
		Expect(out).To(ContainSubstring("content-v1"))
		eventuallyServes(nodeURL, "content-v1")
		eventuallyServes(siteURL, "content-v1")

		series := fmt.Sprintf(`webserver_operator_webserver_ready_replicas{name="%s",namespace="%s"} 2`, site, namespace)
		Eventually(func(g Gomega) {
			_, body, err := httpGet(insecureClient, metricsURL, metricsToken)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(body).To(ContainSubstring(series))
		}).WithTimeout(short).Should(Succeed())
	})

	It("scales with replicas, kubectl scale and idle", func() {
		kubectl("-n", namespace, "scale", "webserver/"+site, "--replicas=3")
		expectRunningPods(3)
		settled(nginxImageA, 3)

		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Replicas = ptr.To[int32](1) })
		expectRunningPods(1)

		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = true })
		expectRunningPods(0)
		Eventually(func(g Gomega) {
			c := meta.FindStatusCondition(getWS(g).Status.Conditions, webserverv1alpha1.ConditionAvailable)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(webserverv1alpha1.ReasonIdle))
		}).WithTimeout(long).Should(Succeed())
		Expect(k8s.Get(ctx, key, &corev1.Service{})).To(Succeed(), "idle keeps the Service")

		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Idle = false; ws.Spec.Replicas = ptr.To[int32](2) })
		expectRunningPods(2)
		settled(nginxImageA, 2)
		eventuallyServes(siteURL, "content-v1")
	})

	It("upgrades to another nginx image without dropping a request", func() {
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = nginxImageB })
		Eventually(func(g Gomega) {
			g.Expect(getWS(g).Status.TargetImage).To(Equal(nginxImageB))
		}).WithTimeout(short).Should(Succeed())
		settled(nginxImageB, 2)
		expectRunningPods(2)
		l.stopAndExpectNoFailures("image upgrade " + nginxImageA + " -> " + nginxImageB)

		ws := getWS(Default)
		Expect(ws.Status.LastGoodImage).To(Equal(nginxImageB))
		for _, p := range runningPods(Default) {
			Expect(p.Spec.Containers[0].Image).To(Equal(nginxImageB))
		}
	})

	It("changes the inline config without dropping a request", func() {
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Content = nil
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {\n  default_type text/plain;\n  return 200 \"inline-v2\\n\";\n}\n"}
		})
		eventuallyServes(siteURL, "inline-v2")
		settled(nginxImageB, 2)
		expectRunningPods(2)
		l.stopAndExpectNoFailures("inline config change")
		eventuallyServes(siteURL, "inline-v2")
	})

	It("follows a referenced ConfigMap without dropping a request", func() {
		server := &corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: "server"},
			Data:       map[string]string{"server.conf": "location / {\n  default_type text/plain;\n  return 200 \"ref-v1\\n\";\n}\n"},
		}
		Expect(k8s.Create(ctx, server)).To(Succeed())
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{ConfigMapRef: &webserverv1alpha1.ConfigMapKeyReference{Name: "server"}}
		})
		eventuallyServes(siteURL, "ref-v1")
		settled(nginxImageB, 2)

		server.Data["server.conf"] = strings.ReplaceAll(server.Data["server.conf"], "ref-v1", "ref-v2")
		Expect(k8s.Update(ctx, server)).To(Succeed())
		eventuallyServes(siteURL, "ref-v2")
		settled(nginxImageB, 2)
		expectRunningPods(2)
		l.stopAndExpectNoFailures("referenced ConfigMap changes")
	})

	It("repairs a deleted Service and a hand-edited Deployment", func() {
		svc := &corev1.Service{}
		Expect(k8s.Get(ctx, key, svc)).To(Succeed())
		Expect(k8s.Delete(ctx, svc)).To(Succeed())
		Eventually(func(g Gomega) {
			restored := &corev1.Service{}
			g.Expect(k8s.Get(ctx, key, restored)).To(Succeed())
			g.Expect(restored.UID).NotTo(Equal(svc.UID))
		}).WithTimeout(long).Should(Succeed())
		siteURL = serviceURL(ctx, namespace, site)
		eventuallyServes(siteURL, "ref-v2")
		eventuallyServes(nodeURL, "ref-v2")

		kubectl("-n", namespace, "patch", "deployment", site, "--type=json",
			`-p=[{"op":"replace","path":"/spec/template/spec/containers/0/image","value":"127.0.0.1:5000/nginx:does-not-exist"},`+
				`{"op":"replace","path":"/spec/replicas","value":5}]`)
		Eventually(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, key, dep)).To(Succeed())
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(nginxImageB))
			g.Expect(dep.Spec.Replicas).To(HaveValue(Equal(int32(2))))
		}).WithTimeout(long).Should(Succeed())
		settled(nginxImageB, 2)
		expectRunningPods(2)
		eventuallyServes(siteURL, "ref-v2")
	})

	It("completes a rollout when the operator pod is killed in the middle", func() {
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = nginxImageA })
		Eventually(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, key, dep)).To(Succeed())
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(nginxImageA))
		}).WithTimeout(long).Should(Succeed())
		kubectl("-n", operatorNS, "delete", "pod", "-l", "control-plane=controller-manager", "--grace-period=0", "--force")

		settled(nginxImageA, 2)
		expectRunningPods(2)
		l.stopAndExpectNoFailures("image rollout across an operator restart")

		selector := client.MatchingLabels{"app.kubernetes.io/instance": site}
		deps := &appsv1.DeploymentList{}
		Expect(k8s.List(ctx, deps, client.InNamespace(namespace), selector)).To(Succeed())
		Expect(deps.Items).To(HaveLen(1))
		services := &corev1.ServiceList{}
		Expect(k8s.List(ctx, services, client.InNamespace(namespace), selector)).To(Succeed())
		Expect(services.Items).To(HaveLen(1))
		Eventually(func(g Gomega) {
			sets := &appsv1.ReplicaSetList{}
			g.Expect(k8s.List(ctx, sets, client.InNamespace(namespace), selector)).To(Succeed())
			active := 0
			for _, rs := range sets.Items {
				if ptr.Deref(rs.Spec.Replicas, 0) > 0 {
					active++
				}
			}
			g.Expect(active).To(Equal(1))
			configs := &corev1.ConfigMapList{}
			g.Expect(k8s.List(ctx, configs, client.InNamespace(namespace), selector)).To(Succeed())
			g.Expect(configs.Items).To(HaveLen(1), "one config ConfigMap once the rollout completed")
		}).WithTimeout(short).Should(Succeed())
	})

	// The leader's pod is force-deleted: the manager stops on SIGTERM and releases its
	// Lease. A leader that dies without releasing it (SIGKILL) is the fault suite's case.
	It("hands a rollout over to the standby replica when the leader's pod is deleted in the middle of it, without dropping a request", func() {
		scale := func(n int) {
			kubectl("-n", operatorNS, "scale", "deployment/"+operatorName, fmt.Sprintf("--replicas=%d", n))
		}
		scale(2)
		DeferCleanup(scale, 1)
		kubectl("-n", operatorNS, "rollout", "status", "deployment/"+operatorName, "--timeout=180s")
		holder := func(g Gomega) string {
			lease := &coordinationv1.Lease{}
			g.Expect(k8s.Get(ctx, types.NamespacedName{Namespace: operatorNS, Name: leaseName}, lease)).To(Succeed())
			return ptr.Deref(lease.Spec.HolderIdentity, "")
		}
		// The holder identity is "<pod>_<uuid>".
		leaderPod, _, _ := strings.Cut(holder(Default), "_")
		Expect(leaderPod).NotTo(BeEmpty())

		l := startLoad(siteURL)
		restartedAt := time.Now().UTC().Format(time.RFC3339)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.RestartedAt = restartedAt })
		Eventually(func(g Gomega) string {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, key, dep)).To(Succeed())
			return dep.Spec.Template.Annotations["webserver.dev/restarted-at"]
		}).WithTimeout(long).WithPolling(poll).Should(Equal(restartedAt), "the leader started the rollout")
		killed := time.Now()
		kubectl("-n", operatorNS, "delete", "pod", leaderPod, "--grace-period=0", "--force")

		var newLeader string
		Eventually(func(g Gomega) {
			newLeader, _, _ = strings.Cut(holder(g), "_")
			g.Expect(newLeader).NotTo(BeEmpty())
			g.Expect(newLeader).NotTo(Equal(leaderPod))
		}).WithTimeout(long).WithPolling(200 * time.Millisecond).Should(Succeed())
		takeover := time.Since(killed)
		settled(nginxImageA, 2)
		expectRunningPods(2)
		l.stopAndExpectNoFailures("rollout handed over to another replica after the leader's pod was deleted")
		report(fmt.Sprintf("leader %s force-deleted mid-rollout; %s held the lease %s later", leaderPod, newLeader, takeover.Round(100*time.Millisecond)))
		Expect(takeover).To(BeNumerically("<", 45*time.Second), "the lease lasts 15 s, renewals come every 2 s")
		Expect(getWS(Default).Status.ObservedGeneration).To(Equal(getWS(Default).Generation))
	})

	// The self-protecting upgrade specs: each under continuous requests, none may fail.
	podUIDs := func(g Gomega) []string {
		var uids []string
		for _, p := range runningPods(g) {
			uids = append(uids, string(p.UID))
		}
		return uids
	}
	rolloutPhase := func(g Gomega) webserverv1alpha1.RolloutPhase { return getWS(g).Status.RolloutPhase }
	deploymentImage := func(g Gomega) string {
		dep := &appsv1.Deployment{}
		g.Expect(k8s.Get(ctx, key, dep)).To(Succeed())
		return dep.Spec.Template.Spec.Containers[0].Image
	}
	condition := func(condType, reason string) *metav1.Condition {
		var c *metav1.Condition
		EventuallyWithOffset(1, func(g Gomega) {
			c = meta.FindStatusCondition(getWS(g).Status.Conditions, condType)
			g.Expect(c).NotTo(BeNil())
			g.Expect(c.Reason).To(Equal(reason), c.Message)
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		return c
	}
	metricValue := func(series string) func(Gomega) string {
		return func(g Gomega) string {
			code, body, err := httpGet(insecureClient, metricsURL, metricsToken)
			g.Expect(err).NotTo(HaveOccurred())
			g.Expect(code).To(Equal(http.StatusOK))
			family := series[:strings.Index(series, "{")]
			var seen []string
			for _, line := range strings.Split(body, "\n") {
				if strings.HasPrefix(line, series+" ") {
					return strings.TrimPrefix(line, series+" ")
				}
				if strings.HasPrefix(line, family+"{") {
					seen = append(seen, line)
				}
			}
			return fmt.Sprintf("no %s among %v", series, seen)
		}
	}
	events := func() []string {
		list := &eventsv1.EventList{}
		Expect(k8s.List(ctx, list, client.InNamespace(namespace))).To(Succeed())
		var reasons []string
		for _, e := range list.Items {
			if e.Regarding.Kind == "WebServer" && e.Regarding.Name == site {
				reasons = append(reasons, e.Reason)
			}
		}
		return reasons
	}

	It("refuses a config nginx -t rejects: no pod restarted, the site served on, a fix rolls at once", func() {
		before := podUIDs(Default)
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Upgrade.FailureThresholdSeconds = ptr.To[int32](10)
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: "location / {\n  default_type text/plain;\n  return 200 \"bad\" extra;\n}\n"}
		})
		valid := condition(webserverv1alpha1.ConditionConfigValid, webserverv1alpha1.ReasonNginxRejectedConfig)
		Expect(valid.Message).To(MatchRegexp(`\[emerg\] invalid number of arguments in "return" directive in /etc/webserver/nginx.conf:[0-9]+ \(line 3 of spec.config.inline\)`))
		condition(webserverv1alpha1.ConditionDegraded, webserverv1alpha1.ReasonConfigInvalid)
		Expect(rolloutPhase(Default)).To(Equal(webserverv1alpha1.RolloutPhaseConfigInvalid))
		Consistently(podUIDs).WithTimeout(5 * time.Second).WithPolling(poll).Should(ConsistOf(before))
		eventuallyServes(siteURL, "ref-v2")
		Eventually(metricValue(fmt.Sprintf(`webserver_operator_config_validations_total{name="%s",namespace="%s",result="invalid"}`, site, namespace))).
			WithTimeout(short).Should(Equal("1"))

		mountedConfig := func(g Gomega) string {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, key, dep)).To(Succeed())
			for _, v := range dep.Spec.Template.Spec.Volumes {
				if v.Name == "config" && v.ConfigMap != nil {
					return v.ConfigMap.Name
				}
			}
			return ""
		}
		servedConfig := mountedConfig(Default)
		original := deploymentImage(Default)
		fixedAt := time.Now()
		updateWS(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline = "location / {\n  default_type text/plain;\n  return 200 \"guarded-v1\\n\";\n}\n"
		})
		Eventually(mountedConfig).WithTimeout(short).WithPolling(100 * time.Millisecond).ShouldNot(Equal(servedConfig))
		report(fmt.Sprintf("validation gate: rollout started %.1fs after the spec change (nginx -t in a config check pod)", time.Since(fixedAt).Seconds()))
		eventuallyServes(siteURL, "guarded-v1")
		settled(original, 2)
		l.stopAndExpectNoFailures("invalid config refused, then fixed")
	})

	It("keeps every pod when the new image cannot be pulled: the config check fails, no serving pod gets it", func() {
		before := podUIDs(Default)
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = "127.0.0.1:5000/nginx:does-not-exist" })
		degraded := condition(webserverv1alpha1.ConditionDegraded, webserverv1alpha1.ReasonValidationFailed)
		Expect(degraded.Message).To(ContainSubstring("cannot be pulled"))
		Expect(rolloutPhase(Default)).To(Equal(webserverv1alpha1.RolloutPhaseFailed))
		Expect(deploymentImage(Default)).To(Equal(nginxImageA))
		Expect(podUIDs(Default)).To(ConsistOf(before))
		Expect(events()).To(ContainElement(webserverv1alpha1.ReasonValidationFailed))
		Eventually(metricValue(fmt.Sprintf(`webserver_operator_config_validations_total{name="%s",namespace="%s",result="error"}`, site, namespace))).
			WithTimeout(short).Should(Equal("1"))
		l.stopAndExpectNoFailures("image that does not exist, refused before any serving pod got it")
	})

	It("rolls an image whose server exits at start back to the last good revision, without dropping a request", func() {
		before := podUIDs(Default)
		l := startLoad(siteURL)
		changedAt := time.Now()
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = nginxImageExits })
		Eventually(deploymentImage).WithTimeout(long).WithPolling(200 * time.Millisecond).Should(Equal(nginxImageExits))
		Eventually(rolloutPhase).WithTimeout(long).WithPolling(200 * time.Millisecond).
			Should(BeElementOf(webserverv1alpha1.RolloutPhaseRollingBack, webserverv1alpha1.RolloutPhaseRolledBack))
		detectedAt := time.Now()
		Eventually(rolloutPhase).WithTimeout(long).WithPolling(200 * time.Millisecond).Should(Equal(webserverv1alpha1.RolloutPhaseRolledBack))
		expectRunningPods(2)
		back := time.Now()
		report(fmt.Sprintf("rollback: failure detected %.1fs after the spec change, every pod back on the last good revision %.1fs after detection",
			detectedAt.Sub(changedAt).Seconds(), back.Sub(detectedAt).Seconds()))
		Expect(deploymentImage(Default)).To(Equal(nginxImageA))
		Expect(podUIDs(Default)).To(ConsistOf(before), "the pods of the last good revision served throughout")
		degraded := condition(webserverv1alpha1.ConditionDegraded, webserverv1alpha1.ReasonRolledBack)
		Expect(degraded.Message).To(ContainSubstring("image " + nginxImageExits))
		Expect(degraded.Message).To(ContainSubstring("nginx keeps exiting"))
		Expect(getWS(Default).Spec.Image).To(Equal(nginxImageExits), "the spec is never edited")
		Eventually(events).WithTimeout(short).Should(ContainElements(webserverv1alpha1.ReasonRolledBack, "RollbackCompleted"))
		Eventually(metricValue(fmt.Sprintf(`webserver_operator_upgrades_total{name="%s",namespace="%s",result="rolled_back"}`, site, namespace))).
			WithTimeout(short).Should(Equal("1"))
		Consistently(deploymentImage).WithTimeout(5*time.Second).WithPolling(poll).Should(Equal(nginxImageA), "the failed revision is not retried")
		l.stopAndExpectNoFailures("image that exits at start, rolled back")
	})

	It("decides the rollback after an operator restart between the failure and the rollback", func() {
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.RestartedAt = "retry-1" })
		Eventually(func(g Gomega) {
			dep := &appsv1.Deployment{}
			g.Expect(k8s.Get(ctx, key, dep)).To(Succeed())
			g.Expect(dep.Spec.Template.Annotations).To(HaveKeyWithValue("webserver.dev/restarted-at", "retry-1"))
			g.Expect(dep.Spec.Template.Spec.Containers[0].Image).To(Equal(nginxImageExits))
		}).WithTimeout(long).WithPolling(200 * time.Millisecond).Should(Succeed())
		kubectl("-n", operatorNS, "scale", "deployment", operatorName, "--replicas=0")
		DeferCleanup(func() { kubectl("-n", operatorNS, "scale", "deployment", operatorName, "--replicas=1") })
		// Past the failure threshold with the new pod crashing and no operator to see it.
		time.Sleep(20 * time.Second)
		kubectl("-n", operatorNS, "scale", "deployment", operatorName, "--replicas=1")
		Eventually(func(g Gomega) {
			ws := getWS(g)
			g.Expect(ws.Status.RolloutPhase).To(Equal(webserverv1alpha1.RolloutPhaseRolledBack))
			c := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionDegraded)
			g.Expect(c.Message).To(ContainSubstring("restarted at retry-1"))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		Expect(deploymentImage(Default)).To(Equal(nginxImageA))
		expectRunningPods(2)
		l.stopAndExpectNoFailures("rollback decided by a restarted operator")
	})

	It("rolls forward once the failed image is replaced, and back again (A->B->A)", func() {
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = nginxImageB })
		settled(nginxImageB, 2)
		Expect(rolloutPhase(Default)).To(Equal(webserverv1alpha1.RolloutPhaseComplete))
		condition(webserverv1alpha1.ConditionDegraded, webserverv1alpha1.ReasonAsExpected)
		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = nginxImageA })
		settled(nginxImageA, 2)
		expectRunningPods(2)
		ws := getWS(Default)
		Expect(ws.Status.CurrentRevision).To(Equal(ws.Status.LastGoodRevision))
		eventuallyServes(siteURL, "guarded-v1")
		l.stopAndExpectNoFailures("failed image replaced (B), then back to A")
	})

	It("rolls back a config whose readiness path answers errors: its pods never get a request", func() {
		site := func(body, ready string) string {
			return "location / {\n  default_type text/plain;\n  return 200 \"" + body + "\\n\";\n}\nlocation = /ready {\n  return " + ready + ";\n}\n"
		}
		l := startLoad(siteURL)
		updateWS(func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.ReadinessPath = "/ready"
			ws.Spec.Config = &webserverv1alpha1.ConfigSpec{Inline: site("ready-v1", "200")}
		})
		eventuallyServes(siteURL, "ready-v1")
		settled(nginxImageA, 2)

		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Config.Inline = site("ready-v2", "500") })
		Eventually(rolloutPhase).WithTimeout(long).WithPolling(poll).Should(Equal(webserverv1alpha1.RolloutPhaseRolledBack))
		degraded := condition(webserverv1alpha1.ConditionDegraded, webserverv1alpha1.ReasonRolledBack)
		Expect(degraded.Message).To(ContainSubstring("readiness probe keeps failing"))
		expectRunningPods(2)
		eventuallyServes(siteURL, "ready-v1")

		updateWS(func(ws *webserverv1alpha1.WebServer) { ws.Spec.Config.Inline = site("ready-v3", "200") })
		eventuallyServes(siteURL, "ready-v3")
		settled(nginxImageA, 2)
		l.stopAndExpectNoFailures("readiness path answering 500, rolled back, then fixed")
	})

	It("keeps a pod up through evictions: the PodDisruptionBudget refuses the one that would break it", func() {
		Eventually(func(g Gomega) {
			pdb := &policyv1.PodDisruptionBudget{}
			g.Expect(k8s.Get(ctx, key, pdb)).To(Succeed())
			g.Expect(pdb.Spec.MinAvailable).To(HaveValue(Equal(intstr.FromInt32(1))))
			g.Expect(pdb.Status.DisruptionsAllowed).To(Equal(int32(1)))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
		l := startLoad(siteURL)
		pods := runningPods(Default)
		Expect(pods).To(HaveLen(2))
		evict := func(pod corev1.Pod) error {
			return k8s.SubResource("eviction").Create(ctx, &pod, &policyv1.Eviction{ObjectMeta: metav1.ObjectMeta{Namespace: pod.Namespace, Name: pod.Name}})
		}
		Expect(evict(pods[0])).To(Succeed(), "the budget allows one disruption")
		err := evict(pods[1])
		Expect(apierrors.IsTooManyRequests(err)).To(BeTrue(), "the second eviction must be refused, got %v", err)
		Expect(err.Error()).To(ContainSubstring("disruption budget"))
		expectRunningPods(2)
		settled(nginxImageA, 2)
		l.stopAndExpectNoFailures("an eviction allowed, the next one refused")
	})

	It("deletes the WebServer at once (no finalizer) and garbage-collects every child", func() {
		ws := getWS(Default)
		Expect(ws.Finalizers).To(BeEmpty())
		Expect(k8s.Delete(ctx, ws)).To(Succeed())
		Eventually(func() error { return k8s.Get(ctx, key, &webserverv1alpha1.WebServer{}) }).
			WithTimeout(short).Should(Satisfy(apierrors.IsNotFound), "something holds the WebServer's deletion")

		selector := client.MatchingLabels{"app.kubernetes.io/instance": site}
		Eventually(func(g Gomega) {
			for _, list := range []client.ObjectList{
				&appsv1.DeploymentList{}, &corev1.ServiceList{}, &corev1.ServiceAccountList{}, &corev1.ConfigMapList{}, &corev1.PodList{},
				&policyv1.PodDisruptionBudgetList{},
			} {
				g.Expect(k8s.List(ctx, list, client.InNamespace(namespace), selector)).To(Succeed())
				g.Expect(meta.LenList(list)).To(BeZero(), "%T left behind", list)
			}
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())

		Expect(events()).To(ContainElements("Created", "Scaled", "UpgradeStarted", "UpgradeCompleted", "DriftRepaired", "Deleted"))
	})
})
