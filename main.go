// Command webserver-operator runs the WebServer controller manager.
package main

import (
	"crypto/tls"
	"flag"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/KimMachineGun/automemlimit/memlimit"
	operatorsv2 "github.com/operator-framework/api/pkg/operators/v2"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	"k8s.io/client-go/kubernetes"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	"sigs.k8s.io/controller-runtime/pkg/metrics/filters"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/controller"
	"github.com/webserver-operator/webserver-operator/internal/version"
)

// defaultGCPercent is the garbage collector's target heap growth when GOGC is unset.
const defaultGCPercent = 50

// gracefulShutdownTimeout bounds the manager's shutdown below the pod's
// terminationGracePeriodSeconds (config/manager/manager.yaml).
const gracefulShutdownTimeout = 7 * time.Second

// fallbackNginxImage is used when RELATED_IMAGE_NGINX is unset (e.g. make run).
const fallbackNginxImage = "nginx:1.27"

// fallbackMetricsImage is this version's metrics container image, for when
// RELATED_IMAGE_METRICS is unset.
var fallbackMetricsImage = "127.0.0.1:5000/webserver-operator-metrics:v" + version.Version

// namespaceFile holds the namespace of the pod the operator runs in.
const namespaceFile = "/var/run/secrets/kubernetes.io/serviceaccount/namespace"

func main() {
	var (
		metricsAddr             string
		probeAddr               string
		secureMetrics           bool
		enableHTTP2             bool
		leaderElect             bool
		leaderElectionNamespace string
		maxConcurrentReconciles int
		pprofAddr               string
	)
	flag.StringVar(&metricsAddr, "metrics-bind-address", ":8443", "Address of the metrics endpoint; 0 disables it.")
	flag.StringVar(&probeAddr, "health-probe-bind-address", ":8081", "Address of the health and readiness probes.")
	flag.BoolVar(&secureMetrics, "metrics-secure", true, "Serve metrics over HTTPS, to authenticated and authorized clients only.")
	flag.BoolVar(&enableHTTP2, "enable-http2", false, "Enable HTTP/2 for the metrics server (off: HTTP/2 Rapid Reset and Stream Cancellation CVEs).")
	flag.BoolVar(&leaderElect, "leader-elect", false, "Elect a leader, so only one replica reconciles.")
	flag.StringVar(&leaderElectionNamespace, "leader-election-namespace", "",
		"Namespace of the leader election Lease; empty: the namespace the manager runs in.")
	flag.IntVar(&maxConcurrentReconciles, "max-concurrent-reconciles", 4, "WebServers reconciled in parallel.")
	flag.StringVar(&pprofAddr, "pprof-bind-address", "", "Address of Go's profiling endpoints (/debug/pprof); empty disables them.")
	opts := zap.Options{}
	opts.BindFlags(flag.CommandLine)
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.UseFlagOptions(&opts)))
	setupLog := ctrl.Log.WithName("setup")

	// The Go soft memory limit follows the container's memory limit (GOMEMLIMIT, when
	// set, wins), so the garbage collector works harder before the kernel OOM-kills us.
	if limit, err := memlimit.SetGoMemLimitWithOpts(
		memlimit.WithRatio(0.9),
		memlimit.WithProvider(memlimit.FromCgroup),
		memlimit.WithLogger(slog.New(slog.DiscardHandler)),
	); err == nil && limit > 0 {
		setupLog.Info("Set Go memory limit from the container limit", "bytes", limit)
	}
	// Most of the heap is the informers' caches, which live as long as the process: a
	// collection at 50 % growth instead of Go's 100 % keeps the peak closer to them, for
	// a little more CPU (docs/benchmarks.md). GOGC, when set, wins.
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(defaultGCPercent)
	}

	scheme := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(scheme))
	utilruntime.Must(webserverv1alpha1.AddToScheme(scheme))
	utilruntime.Must(operatorsv2.AddToScheme(scheme))

	disableHTTP2 := func(c *tls.Config) { c.NextProtos = []string{"http/1.1"} }
	metricsOptions := metricsserver.Options{BindAddress: metricsAddr, SecureServing: secureMetrics}
	if !enableHTTP2 {
		metricsOptions.TLSOpts = []func(*tls.Config){disableHTTP2}
	}
	if secureMetrics {
		metricsOptions.FilterProvider = filters.WithAuthenticationAndAuthorization
	}

	cfg := ctrl.GetConfigOrDie()
	// No client-side throttling: the API server's priority and fairness is the limit.
	cfg.QPS = -1
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme,
		Metrics:                 metricsOptions,
		HealthProbeBindAddress:  probeAddr,
		PprofBindAddress:        pprofAddr,
		LeaderElection:          leaderElect,
		LeaderElectionID:        "webserver-operator.webserver.dev",
		LeaderElectionNamespace: leaderElectionNamespace,
		// The process exits as soon as the manager stops, so the lease can be handed over at
		// once: an upgraded operator takes over without waiting for the lease to expire.
		LeaderElectionReleaseOnCancel: true,
		// So the lease is released before the kubelet kills the process: in-flight
		// reconciles end and queued events are sent as far as they go; the next leader
		// picks up whatever is left.
		GracefulShutdownTimeout: ptr.To(gracefulShutdownTimeout),
		Cache:                   controller.CacheOptions(),
	})
	if err != nil {
		setupLog.Error(err, "Unable to create manager")
		os.Exit(1)
	}

	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		setupLog.Error(err, "Unable to create a clientset for pod logs")
		os.Exit(1)
	}
	defaultImage := os.Getenv("RELATED_IMAGE_NGINX")
	if defaultImage == "" {
		defaultImage = fallbackNginxImage
	}
	metricsImage := os.Getenv("RELATED_IMAGE_METRICS")
	if metricsImage == "" {
		metricsImage = fallbackMetricsImage
	}
	ctx := ctrl.SetupSignalHandler()
	reconciler := &controller.WebServerReconciler{
		Client:                  mgr.GetClient(),
		APIReader:               mgr.GetAPIReader(),
		Recorder:                mgr.GetEventRecorder("webserver-operator"),
		DefaultImage:            defaultImage,
		MetricsImage:            metricsImage,
		OperatorVersion:         version.Version,
		MaxConcurrentReconciles: maxConcurrentReconciles,
		PodLogs:                 controller.ClientsetPodLogs(clientset),
	}
	if err := reconciler.SetupWithManager(ctx, mgr); err != nil {
		setupLog.Error(err, "Unable to set up controller", "controller", "WebServer")
		os.Exit(1)
	}
	operatorNamespace := ""
	if raw, err := os.ReadFile(namespaceFile); err == nil {
		operatorNamespace = strings.TrimSpace(string(raw))
	}
	// Installed by OLM: hold operator upgrades while WebServers roll out.
	if name := os.Getenv(controller.OperatorConditionEnv); name != "" {
		if operatorNamespace == "" {
			setupLog.Error(nil, "Unable to read the operator's namespace for its OperatorCondition", "file", namespaceFile)
			os.Exit(1)
		}
		gate := &controller.OperatorConditionReconciler{
			Client:    mgr.GetClient(),
			APIReader: mgr.GetAPIReader(),
			Key:       types.NamespacedName{Namespace: operatorNamespace, Name: name},
		}
		if err := gate.SetupWithManager(mgr); err != nil {
			setupLog.Error(err, "Unable to set up controller", "controller", "OperatorCondition")
			os.Exit(1)
		}
	}
	// Namespace guardrails, configured in a ConfigMap of the operator's namespace.
	if operatorNamespace != "" {
		guardrails := &controller.GuardrailsReconciler{
			Client:    mgr.GetClient(),
			APIReader: mgr.GetAPIReader(),
			Recorder:  mgr.GetEventRecorder("webserver-operator"),
			Config:    types.NamespacedName{Namespace: operatorNamespace, Name: controller.DefaultGuardrailsConfigMap},
		}
		if err := guardrails.SetupWithManager(mgr); err != nil {
			setupLog.Error(err, "Unable to set up controller", "controller", "guardrails")
			os.Exit(1)
		}
	} else {
		setupLog.Info("Namespace guardrails are off: not running in a pod", "file", namespaceFile)
	}
	utilruntime.Must(mgr.AddHealthzCheck("healthz", healthz.Ping))
	utilruntime.Must(mgr.AddReadyzCheck("readyz", healthz.Ping))

	setupLog.Info("Starting manager", "version", version.Version, "defaultImage", defaultImage)
	if err := mgr.Start(ctx); err != nil {
		setupLog.Error(err, "Manager exited with an error")
		os.Exit(1)
	}
}
