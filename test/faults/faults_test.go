package faults

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	appsv1 "k8s.io/api/apps/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/test/harness"
)

var _ = Describe("Faults", Label("faults"), func() {
	It("converges with nothing lost, duplicated or orphaned after the manager is killed 20 times while 50 WebServers are created, scaled, upgraded and deleted", func(ctx SpecContext) {
		ns := newNamespace(ctx, "kills")
		// Crash consistency, not election: a killed leader would hold the Lease for 15 s.
		managers := make(chan *harness.Process, 1)
		managers <- startManager(false)
		killed := make(chan int)
		go func() {
			defer GinkgoRecover()
			kills := 0
			for ; kills < 20; kills++ {
				time.Sleep(time.Duration(200+rand.IntN(1000)) * time.Millisecond)
				m := <-managers
				m.Kill()
				managers <- startManager(false)
			}
			killed <- kills
		}()
		DeferCleanup(func() {
			m := <-managers
			if CurrentSpecReport().Failed() {
				printLogTail(m.LogPath(), 40)
			}
			Expect(m.Stop(30 * time.Second)).To(Succeed())
		})

		want := map[types.NamespacedName]wanted{}
		key := func(i int) types.NamespacedName {
			return types.NamespacedName{Namespace: ns, Name: fmt.Sprintf("site-%02d", i)}
		}
		pause := func() { time.Sleep(time.Duration(50+rand.IntN(100)) * time.Millisecond) }
		By("creating 50 WebServers")
		for i := range 50 {
			want[key(i)] = wanted{image: imageA, replicas: 1, edit: "created"}
			createWebServer(ctx, key(i), want[key(i)])
			pause()
		}
		By("scaling half of them, upgrading a third, relabelling all")
		for i := range 50 {
			w := want[key(i)]
			if i%2 == 0 {
				w.replicas = 2
			}
			if i%3 == 0 {
				w.image = imageB
			}
			w.edit = "edited"
			want[key(i)] = w
			editWebServer(ctx, key(i), w)
			pause()
		}
		By("deleting ten")
		for i := 4; i < 50; i += 5 {
			Expect(k8sClient.Delete(ctx, &webserverv1alpha1.WebServer{ObjectMeta: metaOf(key(i))})).To(Succeed())
			delete(want, key(i))
			pause()
		}
		Expect(<-killed).To(Equal(20))

		By("waiting for all of them to converge under the last manager")
		eventuallyConverged(ctx, want, 4*time.Minute, 2*time.Second)
		live := map[types.UID]string{}
		for k := range want {
			ws := &webserverv1alpha1.WebServer{}
			Expect(k8sClient.Get(ctx, k, ws)).To(Succeed())
			live[ws.UID] = ws.Name
		}
		Eventually(func(g Gomega) {
			remaining := &webserverv1alpha1.WebServerList{}
			g.Expect(k8sClient.List(ctx, remaining, client.InNamespace(ns))).To(Succeed())
			g.Expect(remaining.Items).To(HaveLen(40))
			expectNoStrayChildren(g, ctx, ns, live)
		}).WithContext(ctx).WithTimeout(2 * time.Minute).WithPolling(2 * time.Second).Should(Succeed())
	})

	It("rides out an API server restart without restarting itself, and converges what changed meanwhile", func(ctx SpecContext) {
		ns := newNamespace(ctx, "apiserver")
		manager := startManager(true)
		stopAtEnd(manager)
		want := createWebServers(ctx, ns, 20, wanted{image: imageA, replicas: 1, edit: "created"})
		Eventually(func() bool { return leads(manager) }).WithContext(ctx).WithTimeout(30 * time.Second).Should(BeTrue())
		time.Sleep(time.Second)

		By("killing the API server while those reconcile, and starting it again")
		apiServer := env.ControlPlane.GetAPIServer()
		killAPIServer(apiServer.CertDir)
		down := time.Now()
		time.Sleep(2 * time.Second)
		Expect(apiServer.Start()).To(Succeed())
		GinkgoWriter.Printf("API server down for %s\n", time.Since(down).Round(100*time.Millisecond))

		By("changing every WebServer once it is back")
		for k, w := range want {
			w.replicas, w.edit = 2, "after-restart"
			want[k] = w
			editWebServer(ctx, k, w)
		}
		eventuallyConverged(ctx, want, 3*time.Minute, 2*time.Second)
		Expect(manager.Exited()).To(BeFalse(), "the manager must recover on its own, not exit")
	})

	It("hands a rollout over to the other replica when the leader is killed in the middle of it", func(ctx SpecContext) {
		ns := newNamespace(ctx, "leader")
		first, second := startManager(true), startManager(true)
		stopAtEnd(first, second)
		want := createWebServers(ctx, ns, 10, wanted{image: imageA, replicas: 2, edit: "created"})
		eventuallyConverged(ctx, want, 2*time.Minute, time.Second)
		lease := &coordinationv1.Lease{}
		Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: leaseNamespace, Name: "webserver-operator.webserver.dev"}, lease)).To(Succeed())
		holder := ptr.Deref(lease.Spec.HolderIdentity, "")
		leader, standby := first, second
		if !leads(first) {
			leader, standby = second, first
		}
		Expect(leads(leader)).To(BeTrue(), "one replica leads")
		Expect(leads(standby)).To(BeFalse(), "only one replica leads")

		By("upgrading every WebServer and killing the leader once the rollout has begun")
		for k, w := range want {
			w.image, w.edit = imageB, "upgraded"
			want[k] = w
			editWebServer(ctx, k, w)
		}
		Eventually(func(g Gomega) {
			upgrading := 0
			for k := range want {
				d := &appsv1.Deployment{}
				g.Expect(k8sClient.Get(ctx, k, d)).To(Succeed())
				if d.Spec.Template.Spec.Containers[0].Image == imageB {
					upgrading++
				}
			}
			g.Expect(upgrading).To(BeNumerically(">", 0))
		}).WithContext(ctx).WithTimeout(time.Minute).WithPolling(50 * time.Millisecond).Should(Succeed())
		leader.Kill()
		killedAt := time.Now()

		By("the standby taking the Lease once it expires")
		Eventually(func(g Gomega) {
			g.Expect(k8sClient.Get(ctx, types.NamespacedName{Namespace: leaseNamespace, Name: lease.Name}, lease)).To(Succeed())
			g.Expect(lease.Spec.HolderIdentity).To(HaveValue(Not(Equal(holder))))
		}).WithContext(ctx).WithTimeout(30 * time.Second).WithPolling(200 * time.Millisecond).Should(Succeed())
		takeover := time.Since(killedAt)
		GinkgoWriter.Printf("the standby took the Lease %s after the leader was killed\n", takeover.Round(100*time.Millisecond))
		// A standby counts the lease duration from the moment it last saw the leader renew, and
		// it looks every retry period stretched by up to 120 % jitter (client-go's defaults: 2 s,
		// so up to 4.4 s): one look to see the last renewal, one to take the expired Lease.
		leaseDuration := time.Duration(ptr.Deref(lease.Spec.LeaseDurationSeconds, 15)) * time.Second
		const slowestRetry = 2 * time.Second * 22 / 10
		Expect(takeover).To(BeNumerically("<=", leaseDuration+2*slowestRetry+time.Second), "within the lease duration and two retries")
		eventuallyConverged(ctx, want, 2*time.Minute, time.Second)
	})

	It("lets a WebServer whose children are already gone, and a namespace being deleted, go at once", func(ctx SpecContext) {
		ns := newNamespace(ctx, "teardown")
		manager := startManager(true)
		stopAtEnd(manager)
		want := createWebServers(ctx, ns, 5, wanted{image: imageA, replicas: 1, edit: "created"})
		eventuallyConverged(ctx, want, 2*time.Minute, time.Second)

		By("deleting one WebServer's children first, then the WebServer")
		orphaned := types.NamespacedName{Namespace: ns, Name: "site-00"}
		for _, child := range []client.Object{
			&appsv1.Deployment{ObjectMeta: metaOf(orphaned)},
			&corev1.Service{ObjectMeta: metaOf(orphaned)},
		} {
			Expect(k8sClient.Delete(ctx, child)).To(Succeed())
		}
		Expect(k8sClient.Delete(ctx, &webserverv1alpha1.WebServer{ObjectMeta: metaOf(orphaned)})).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(ctx, orphaned, &webserverv1alpha1.WebServer{})
		}).WithContext(ctx).WithTimeout(30 * time.Second).Should(Satisfy(apierrors.IsNotFound))
		// A repair may have raced the deletion; the garbage collector takes that one.
		deploymentGone := func() error { return k8sClient.Get(ctx, orphaned, &appsv1.Deployment{}) }
		Eventually(deploymentGone).WithContext(ctx).WithTimeout(30 * time.Second).Should(Satisfy(apierrors.IsNotFound))
		Consistently(deploymentGone).WithContext(ctx).WithTimeout(3*time.Second).Should(Satisfy(apierrors.IsNotFound), "the Deployment must not come back")

		By("deleting the namespace with the other four in it")
		Expect(k8sClient.Delete(ctx, &corev1.Namespace{ObjectMeta: metaOf(types.NamespacedName{Name: ns})})).To(Succeed())
		Eventually(func() error {
			return k8sClient.Get(ctx, types.NamespacedName{Name: ns}, &corev1.Namespace{})
		}).WithContext(ctx).WithTimeout(time.Minute).WithPolling(time.Second).Should(Satisfy(apierrors.IsNotFound))
		Expect(manager.Exited()).To(BeFalse())
	})
})

// killAPIServer ends the API server process that serves from certDir at once, as a crash
// or a lost control-plane node does.
func killAPIServer(certDir string) {
	GinkgoHelper()
	procs, err := filepath.Glob("/proc/[0-9]*/cmdline")
	Expect(err).NotTo(HaveOccurred())
	for _, path := range procs {
		raw, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		args := strings.Split(string(raw), "\x00")
		if filepath.Base(args[0]) != "kube-apiserver" || !strings.Contains(string(raw), certDir) {
			continue
		}
		pid, err := strconv.Atoi(filepath.Base(filepath.Dir(path)))
		Expect(err).NotTo(HaveOccurred())
		Expect(syscall.Kill(pid, syscall.SIGKILL)).To(Succeed())
		Eventually(func() error { _, err := os.Stat(filepath.Dir(path)); return err }).Should(MatchError(os.ErrNotExist))
		return
	}
	Fail("no kube-apiserver process serves from " + certDir)
}

// leads says whether the manager's log shows it took the leader election Lease.
func leads(p *harness.Process) bool {
	raw, err := os.ReadFile(p.LogPath())
	return err == nil && strings.Contains(string(raw), "Successfully acquired lease")
}
