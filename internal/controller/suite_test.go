package controller

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	olmcrds "github.com/operator-framework/api/crds"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	corev1 "k8s.io/api/core/v1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

// These suites run the reconciler in a manager against a real kube-apiserver and etcd
// (envtest; KUBEBUILDER_ASSETS points at binaries built from Kubernetes source). No
// controller-manager runs there, so tests play the Deployment controller by writing
// Deployment status, and garbage collection is checked through owner references. No
// kubelet runs either: runConfigCheckKubelet ends the config check pods.

const (
	testDefaultImage = "registry.example/nginx:1.26"
	testMetricsImage = "registry.example/webserver-operator-metrics:test"
	timeout          = 20 * time.Second
	interval         = 100 * time.Millisecond
)

var (
	testEnv    *envtest.Environment
	k8sClient  client.Client
	reconciler *WebServerReconciler
	writes     = &writeCounter{}
	cancel     context.CancelFunc
	// managerStopped is closed once the manager's Start returned.
	managerStopped chan struct{}

	operatorConditionKey = types.NamespacedName{Namespace: "operator-system", Name: "webserver-operator.v0.0.0-test"}
	guardrailsConfigKey  = types.NamespacedName{Namespace: "operator-system", Name: DefaultGuardrailsConfigMap}
)

func TestController(t *testing.T) {
	RegisterFailHandler(Fail)
	RunSpecs(t, "Controller Suite")
}

var _ = BeforeSuite(func() {
	logf.SetLogger(zap.New(zap.WriteTo(GinkgoWriter), zap.UseDevMode(true)))
	var ctx context.Context
	ctx, cancel = context.WithCancel(context.Background())

	testEnv = &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("..", "..", "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		// OLM's OperatorCondition, which the operator updates when OLM installed it.
		CRDs: []*apiextensionsv1.CustomResourceDefinition{olmcrds.OperatorCondition()},
	}
	cfg, err := testEnv.Start()
	Expect(err).NotTo(HaveOccurred())

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(webserverv1alpha1.AddToScheme(scheme))
	utilruntime.Must(operatorsv2.AddToScheme(scheme))

	k8sClient, err = client.New(cfg, client.Options{Scheme: scheme})
	Expect(err).NotTo(HaveOccurred())

	// The manager's requests pass through a counter, so tests can prove a resync writes nothing.
	mgrCfg := rest.CopyConfig(cfg)
	mgrCfg.QPS = -1
	mgrCfg.Wrap(writes.wrap)
	mgr, err := ctrl.NewManager(mgrCfg, ctrl.Options{
		Scheme:  scheme,
		Metrics: metricsserver.Options{BindAddress: "0"},
		Cache:   CacheOptions(),
	})
	Expect(err).NotTo(HaveOccurred())
	reconciler = &WebServerReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Recorder:                mgr.GetEventRecorder("webserver-operator"),
		DefaultImage:            testDefaultImage,
		OperatorVersion:         "test-version",
		MaxConcurrentReconciles: 2,
		BlockedRecheck:          2 * time.Second,
		ContestWindow:           15 * time.Second,
		MonitoringRecheck:       time.Second,
		MetricsImage:            testMetricsImage,
		PodAddress:              pods.address,
	}
	Expect(reconciler.SetupWithManager(ctx, mgr)).To(Succeed())

	// The OperatorCondition OLM would create for the operator, in a namespace of its own.
	Expect(k8sClient.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: operatorConditionKey.Namespace}})).To(Succeed())
	Expect(k8sClient.Create(ctx, &operatorsv2.OperatorCondition{ObjectMeta: metav1.ObjectMeta{
		Namespace: operatorConditionKey.Namespace, Name: operatorConditionKey.Name,
	}})).To(Succeed())
	Expect((&OperatorConditionReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Key: operatorConditionKey,
	}).SetupWithManager(mgr)).To(Succeed())
	Expect((&GuardrailsReconciler{
		Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: mgr.GetEventRecorder("webserver-operator"),
		Config: guardrailsConfigKey,
	}).SetupWithManager(mgr)).To(Succeed())
	go runConfigCheckKubelet(ctx, k8sClient)
	managerStopped = make(chan struct{})
	go func() {
		defer GinkgoRecover()
		defer close(managerStopped)
		Expect(mgr.Start(ctx)).To(Succeed())
	}()
})

var _ = AfterSuite(func() {
	// Stop the manager before the API server: requests it still has open can keep
	// kube-apiserver from stopping in time (controller-runtime#1571).
	cancel()
	Eventually(managerStopped).WithTimeout(timeout).Should(BeClosed())
	Expect(testEnv.Stop()).To(Succeed())
})

// writeCounter counts the mutating requests the manager sends, per namespace, and the
// live reads of single ConfigMaps (the cache holds only their metadata).
type writeCounter struct {
	mu            sync.Mutex
	counts        map[string][]string
	configMapGets map[string][]string
}

func (w *writeCounter) wrap(rt http.RoundTripper) http.RoundTripper {
	return roundTripperFunc(func(req *http.Request) (*http.Response, error) {
		switch {
		case req.Method != http.MethodGet && req.Method != http.MethodHead:
			w.record(&w.counts, req)
		case isConfigMapGet(req):
			w.record(&w.configMapGets, req)
		}
		return rt.RoundTrip(req)
	})
}

// isConfigMapGet: GET .../namespaces/<ns>/configmaps/<name>, not a list or watch.
func isConfigMapGet(req *http.Request) bool {
	parts := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	return len(parts) >= 2 && parts[len(parts)-2] == "configmaps"
}

func (w *writeCounter) record(counts *map[string][]string, req *http.Request) {
	parts := strings.Split(req.URL.Path, "/")
	for i := 0; i+1 < len(parts); i++ {
		if parts[i] == "namespaces" {
			w.mu.Lock()
			if *counts == nil {
				*counts = map[string][]string{}
			}
			(*counts)[parts[i+1]] = append((*counts)[parts[i+1]], req.Method+" "+req.URL.Path)
			w.mu.Unlock()
			return
		}
	}
}

// in returns the writes recorded so far in a namespace.
func (w *writeCounter) in(namespace string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.counts[namespace]...)
}

// configMapGetsIn returns the live ConfigMap reads recorded so far in a namespace.
func (w *writeCounter) configMapGetsIn(namespace string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.configMapGets[namespace]...)
}

type roundTripperFunc func(*http.Request) (*http.Response, error)

func (f roundTripperFunc) RoundTrip(req *http.Request) (*http.Response, error) { return f(req) }
