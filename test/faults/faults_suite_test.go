// Package faults breaks what an operator meets in production — its own process killed at
// random, the API server gone for a while, the leader lost mid-rollout, users editing while
// it reconciles, namespaces torn down under it — and checks that every WebServer still
// converges with nothing lost, duplicated or orphaned. The manager runs as its own process
// against envtest's real API server, with Kubernetes' own garbage collector, namespace,
// Deployment and ReplicaSet controllers (kube-controller-manager) and a kubelet stand-in
// that runs every pod, so Deployments roll out as they do on a node.
package faults

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/test/harness"
)

func TestFaults(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Fault injection")
}

var (
	env           *envtest.Environment
	cfg           *rest.Config
	k8sClient     client.WithWatch
	workDir       string
	kubeconfig    string
	managerBinary string
)

// leaseNamespace holds the managers' leader election Lease.
const leaseNamespace = "webserver-operator-system"

var _ = BeforeSuite(func(ctx SpecContext) {
	managerBinary = os.Getenv("FAULTS_MANAGER")
	Expect(managerBinary).NotTo(BeEmpty(), "FAULTS_MANAGER names the manager binary under test (make test-faults sets it)")
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	Expect(filepath.Join(assets, "kube-controller-manager")).To(BeAnExistingFile(), "KUBEBUILDER_ASSETS must hold kube-controller-manager")

	var err error
	workDir, err = os.MkdirTemp("", "faults-")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() {
		// The logs of every process stay for a failed run.
		if CurrentSpecReport().Failed() || suiteFailed {
			GinkgoWriter.Printf("logs kept in %s\n", workDir)
			return
		}
		Expect(os.RemoveAll(workDir)).To(Succeed())
	})
	env = &envtest.Environment{
		BinaryAssetsDirectory: assets,
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	// A directory of our own keeps the API server's serving certificate across a restart,
	// so clients keep trusting it.
	env.ControlPlane.GetAPIServer().CertDir = filepath.Join(workDir, "apiserver")
	Expect(os.Mkdir(env.ControlPlane.GetAPIServer().CertDir, 0o700)).To(Succeed())
	cfg, err = env.Start()
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(env.Stop)
	cfg.QPS, cfg.Burst = -1, 0

	scheme := runtime.NewScheme()
	Expect(clientgoscheme.AddToScheme(scheme)).To(Succeed())
	Expect(webserverv1alpha1.AddToScheme(scheme)).To(Succeed())
	k8sClient, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	kubeconfig, err = harness.AdminKubeconfig(env, workDir, "admin")
	Expect(err).NotTo(HaveOccurred())
	controllers, err := harness.StartControllerManager(assets, kubeconfig, filepath.Join(workDir, "kube-controller-manager.log"),
		"garbage-collector-controller", "namespace-controller", "deployment-controller", "replicaset-controller",
		// A client killed in the middle of deleting a pod can leave it marked deleted: on a
		// node the kubelet finishes that, for an unscheduled pod the pod garbage collector.
		"pod-garbage-collector-controller")
	Expect(err).NotTo(HaveOccurred())
	DeferCleanup(func() error { return controllers.Stop(30 * time.Second) })

	kubeletCtx, stopKubelet := context.WithCancel(context.Background())
	DeferCleanup(stopKubelet)
	go harness.PlayKubelet(kubeletCtx, k8sClient, true)

	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: leaseNamespace}})).To(Succeed())
})

var managersStarted atomic.Int32

// suiteFailed is set by any failed spec, so the suite keeps its logs.
var suiteFailed bool

var _ = ReportAfterEach(func(report SpecReport) {
	if report.Failed() {
		suiteFailed = true
	}
})

// startManager runs the manager binary as production runs it, with or without leader
// election, its log kept in the work directory.
func startManager(leaderElect bool) *harness.Process {
	GinkgoHelper()
	args := []string{"--metrics-bind-address=0", "--health-probe-bind-address=0", "--zap-log-level=debug"}
	if leaderElect {
		args = append(args, "--leader-elect", "--leader-election-namespace="+leaseNamespace)
	}
	log := filepath.Join(workDir, fmt.Sprintf("manager-%d.log", managersStarted.Add(1)))
	p, err := harness.Start(managerBinary, args, []string{"KUBECONFIG=" + kubeconfig}, log)
	Expect(err).NotTo(HaveOccurred())
	return p
}

// stopAtEnd stops the managers when the spec ends and, when it failed, prints the end of
// their logs.
func stopAtEnd(managers ...*harness.Process) {
	DeferCleanup(func() {
		for _, m := range managers {
			if CurrentSpecReport().Failed() {
				printLogTail(m.LogPath(), 40)
			}
			Expect(m.Stop(30 * time.Second)).To(Succeed())
		}
	})
}
