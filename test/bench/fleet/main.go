// Command fleet measures what a fleet of custom resources costs an operator, against a real
// API server (envtest's kube-apiserver and etcd) with the manager built and run as its own
// process, as in production:
//   - N resources created at once, and the time until every one converged (status reports
//     the generation, conditions are set);
//   - the API requests made meanwhile, by verb and resource, from the API server's own
//     apiserver_request_total, without the harness's own;
//   - the writes of a manager restarted over the converged fleet (they should be none);
//   - the manager's peak RSS and its reconcile latency percentiles.
//
// The subject is any manager binary with its CRDs and a resource template, so the same
// harness can run another operator for comparison.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/webserver-operator/webserver-operator/test/harness"
)

type options struct {
	sizes                   []int
	manager, crds, template string
	managerArgs             []string
	managerEnv              []string
	assets                  string
	timeout, settle         time.Duration
	creators                int
	namespace               string
	children                []string
	transient               []string
	memoryLimit             int64 // bytes; 0 runs the manager without a limit
}

func main() {
	var o options
	var sizes, args string
	flag.StringVar(&sizes, "n", "1000", "Fleet sizes to measure, comma separated (each on a fresh API server).")
	flag.StringVar(&o.manager, "manager", "bin/manager", "The manager binary.")
	flag.StringVar(&args, "manager-args", "--metrics-bind-address=127.0.0.1:18080 --metrics-secure=false --health-probe-bind-address=0",
		"The manager's arguments; it must serve plain metrics on 127.0.0.1:18080.")
	var env string
	flag.StringVar(&env, "manager-env", "", "KEY=VALUE pairs, space separated, set for the manager only (e.g. GOGC=25), not for the API server and etcd.")
	flag.StringVar(&o.crds, "crds", "config/crd/bases", "Directory of the subject's CRDs.")
	flag.StringVar(&o.template, "template", "test/bench/fleet/webserver.yaml", "The resource to create N times; NAME is replaced by its name.")
	flag.StringVar(&o.assets, "assets", os.Getenv("KUBEBUILDER_ASSETS"), "Directory holding kube-apiserver and etcd.")
	flag.DurationVar(&o.timeout, "timeout", 20*time.Minute, "Give up when the fleet has not converged after this long.")
	flag.DurationVar(&o.settle, "settle", 30*time.Second, "How long the restarted manager is watched for writes.")
	flag.IntVar(&o.creators, "creators", 16, "Clients creating the resources in parallel.")
	flag.StringVar(&o.namespace, "namespace", "bench", "Namespace of the fleet.")
	var children string
	flag.StringVar(&children, "children", "apps/v1/Deployment,v1/Service,v1/ServiceAccount",
		"Kinds (group/version/Kind) of which each resource has one child; the fleet has converged once N of each exist.")
	var transient string
	flag.StringVar(&transient, "transient", "v1/Pod",
		"Kinds of which none may be left once the fleet has converged (the operator's nginx -t check pods: envtest runs no serving pods).")
	var memoryLimit string
	flag.StringVar(&memoryLimit, "memory-limit", "", "Run the manager in a memory cgroup with this limit (e.g. 256Mi, the shipped one).")
	flag.Parse()
	if memoryLimit != "" {
		limit, err := resource.ParseQuantity(memoryLimit)
		if err != nil {
			fmt.Fprintf(os.Stderr, "fleet: bad memory limit %q: %v\n", memoryLimit, err)
			os.Exit(2)
		}
		o.memoryLimit = limit.Value()
	}
	o.managerArgs = strings.Fields(args)
	o.managerEnv = strings.Fields(env)
	o.children = strings.Split(children, ",")
	if transient != "" {
		o.transient = strings.Split(transient, ",")
	}
	for _, s := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "fleet: bad size %q\n", s)
			os.Exit(2)
		}
		o.sizes = append(o.sizes, n)
	}
	results := make([]result, 0, len(o.sizes))
	for _, n := range o.sizes {
		r, err := measure(o, n)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fleet:", err)
			os.Exit(1)
		}
		results = append(results, r)
	}
	report(o, results)
}

// result is one fleet size's measurement.
type result struct {
	n             int
	converge      time.Duration
	writes        requestCounts // the manager's writes while the fleet converged
	reads         requestCounts // its single-object GETs meanwhile
	restartWrites requestCounts
	peakRSS       int64 // bytes
	fileRSS       int64 // bytes of the binary's pages resident when the fleet converged
	cpu           time.Duration
	// apiCPU is what the API server and etcd used while the fleet converged.
	apiCPU             time.Duration
	reconcileQuantiles [3]float64
}

func measure(o options, n int) (_ result, err error) {
	r := result{n: n}
	env := &envtest.Environment{
		BinaryAssetsDirectory: o.assets,
		CRDDirectoryPaths:     []string{o.crds},
		ErrorIfCRDPathMissing: true,
	}
	// A Service per resource: the default /24 range runs out at ~250.
	env.ControlPlane.GetAPIServer().Configure().Set("service-cluster-ip-range", "10.96.0.0/12")
	cfg, err := env.Start()
	if err != nil {
		return r, fmt.Errorf("starting the API server: %w", err)
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = -1, 0

	dir, err := os.MkdirTemp("", "fleet-bench-")
	if err != nil {
		return r, err
	}
	defer func() {
		// Kept when the measurement failed: the managers' logs say why.
		if err == nil {
			_ = os.RemoveAll(dir)
		}
	}()
	kubeconfig, err := harness.AdminKubeconfig(env, dir, "manager")
	if err != nil {
		return r, err
	}
	c, err := client.NewWithWatch(cfg, client.Options{})
	if err != nil {
		return r, err
	}
	clientset, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return r, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout+10*time.Minute)
	defer cancel()
	if err := createNamespace(ctx, c, o.namespace); err != nil {
		return r, err
	}
	template, err := os.ReadFile(o.template)
	if err != nil {
		return r, err
	}
	probe, err := resourceFrom(template, o.namespace, "x")
	if err != nil {
		return r, err
	}
	mapping, err := c.RESTMapper().RESTMapping(probe.GroupVersionKind().GroupKind(), probe.GroupVersionKind().Version)
	if err != nil {
		return r, fmt.Errorf("the template's kind: %w", err)
	}
	fleetResource = mapping.Resource.Resource

	go harness.PlayKubelet(ctx, c, false)

	var cgroup *memoryCgroup
	if o.memoryLimit > 0 {
		if cgroup, err = newMemoryCgroup(fmt.Sprintf("fleet-bench-%d", os.Getpid()), o.memoryLimit); err != nil {
			return r, err
		}
		defer func() { _ = cgroup.remove() }()
	}
	manager, err := startManager(o, cgroup, kubeconfig, filepath.Join(dir, "manager-1.log"))
	if err != nil {
		return r, err
	}
	before, err := apiRequests(ctx, clientset)
	if err != nil {
		return r, err
	}
	apiCPUBefore := harness.ChildrenCPU("kube-apiserver", "etcd")
	start := time.Now()
	if err := createFleet(ctx, c, o, n, template); err != nil {
		return r, err
	}
	if err := waitConverged(ctx, c, o, n, template, start, manager); err != nil {
		return r, errors.Join(err, manager.Stop(stopTimeout))
	}
	r.converge = time.Since(start)
	r.apiCPU = harness.ChildrenCPU("kube-apiserver", "etcd") - apiCPUBefore
	after, err := apiRequests(ctx, clientset)
	if err != nil {
		return r, err
	}
	r.writes, r.reads = after.minus(before).managerWrites(), after.minus(before).gets()
	r.reconcileQuantiles = reconcileQuantiles(ctx)
	r.peakRSS, r.fileRSS, r.cpu = manager.PeakRSS(), manager.FileRSS(), manager.CPUTime()
	if err := manager.Stop(stopTimeout); err != nil {
		return r, err
	}

	// Restarted over the converged fleet: it reads everything again and should write nothing.
	before, err = apiRequests(ctx, clientset)
	if err != nil {
		return r, err
	}
	restarted, err := startManager(o, cgroup, kubeconfig, filepath.Join(dir, "manager-2.log"))
	if err != nil {
		return r, err
	}
	time.Sleep(o.settle)
	after, err = apiRequests(ctx, clientset)
	if err != nil {
		return r, errors.Join(err, restarted.Stop(stopTimeout))
	}
	r.restartWrites = after.minus(before).managerWrites()
	fmt.Fprintf(os.Stderr, "n=%d: converged in %s, %.1f writes per resource, %d writes on restart, peak RSS %s, CPU %s\n",
		n, r.converge.Round(100*time.Millisecond), float64(r.writes.total())/float64(n), r.restartWrites.total(), mib(r.peakRSS),
		r.cpu.Round(100*time.Millisecond))
	return r, restarted.Stop(stopTimeout)
}

// stopTimeout is how long a manager may take to stop after SIGTERM.
const stopTimeout = 30 * time.Second

// startManager starts the manager, inside cgroup when there is one.
func startManager(o options, cgroup *memoryCgroup, kubeconfig, logPath string) (*harness.Process, error) {
	binary, args := o.manager, o.managerArgs
	if cgroup != nil {
		binary, args = cgroup.command(binary, args)
	}
	return harness.Start(binary, args, append([]string{"KUBECONFIG=" + kubeconfig}, o.managerEnv...), logPath)
}

// resourceFrom fills the template for one name.
func resourceFrom(template []byte, namespace, name string) (*unstructured.Unstructured, error) {
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(bytes.ReplaceAll(template, []byte("NAME"), []byte(name)), &u.Object); err != nil {
		return nil, fmt.Errorf("reading the template: %w", err)
	}
	u.SetNamespace(namespace)
	return u, nil
}

func resourceName(i int) string { return fmt.Sprintf("site-%05d", i) }

func createFleet(ctx context.Context, c client.Client, o options, n int, template []byte) error {
	names := make(chan string)
	errs := make(chan error, o.creators)
	var wg sync.WaitGroup
	for range o.creators {
		wg.Go(func() {
			for name := range names {
				u, err := resourceFrom(template, o.namespace, name)
				if err == nil {
					err = c.Create(ctx, u)
				}
				if err != nil {
					errs <- fmt.Errorf("creating %s: %w", name, err)
					return
				}
			}
		})
	}
	var err error
feed:
	for i := range n {
		select {
		case names <- resourceName(i):
		case err = <-errs:
			break feed
		}
	}
	close(names)
	wg.Wait()
	if err == nil && len(errs) > 0 {
		err = <-errs
	}
	return err
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func createNamespace(ctx context.Context, c client.Client, name string) error {
	return c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}})
}
