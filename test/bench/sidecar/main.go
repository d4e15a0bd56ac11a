// Command sidecar measures what the metrics container costs a WebServer pod: nginx's
// request throughput with and without spec.monitoring, under wrk, and whether the metrics
// container counted every request it was sent.
//
// nginx runs from the operand's root filesystem (chroot) with the nginx.conf the operator
// renders; nginx and the metrics container each run in a CPU cgroup with the quota their
// pod gives them (nginx one CPU, so one worker; the metrics container its own limit), both
// on one core, and wrk on the other. Runs with and without monitoring alternate, so a
// noisy machine weighs on both alike. It needs root (chroot, mounts, cgroups).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
	"github.com/webserver-operator/webserver-operator/internal/sidecar"
	"github.com/webserver-operator/webserver-operator/test/harness"
)

type options struct {
	rootfs, metricsBinary, wrk  string
	duration, warmup            time.Duration
	rounds, connections         int
	serverCPU, loadCPU          string
	metricsCore                 string
	nginxCPULimit, metricsLimit string
	maxOverhead                 float64
}

// A run is one wrk measurement against one nginx.
type run struct {
	monitored  bool
	perSecond  float64
	sent       int64         // requests wrk completed
	counted    int64         // requests the metrics container counted
	unreadable int64         // lines the metrics container could not read as a record
	metricsCPU time.Duration // CPU time the metrics container spent during the run
	non2xx     int64
	socketErrs int64
}

func main() {
	var o options
	flag.StringVar(&o.rootfs, "rootfs", "", "The operand's root filesystem (tar.gz) holding nginx.")
	flag.StringVar(&o.metricsBinary, "metrics", "bin/webserver-metrics", "The metrics container's binary.")
	flag.StringVar(&o.wrk, "wrk", "wrk", "wrk, the load generator.")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "How long each run sends requests.")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "Requests sent before each run's measurement.")
	flag.IntVar(&o.rounds, "rounds", 5, "Runs with and without monitoring each.")
	flag.IntVar(&o.connections, "connections", 50, "wrk's concurrent keep-alive connections.")
	flag.StringVar(&o.serverCPU, "server-cpu", "1", "The core nginx and the metrics container run on.")
	flag.StringVar(&o.loadCPU, "load-cpu", "0", "The core wrk runs on.")
	flag.StringVar(&o.metricsCore, "metrics-core", "", "The core the metrics container runs on (default: nginx's).")
	flag.StringVar(&o.nginxCPULimit, "nginx-cpu", "1", "nginx's CPU limit, as in spec.resources.")
	flag.StringVar(&o.metricsLimit, "metrics-cpu", resources.MetricsCPU.String(), "The metrics container's CPU limit.")
	flag.Float64Var(&o.maxOverhead, "max-overhead", 5, "Fail when monitoring lowers throughput by more percent than this.")
	flag.Parse()
	if err := bench(o); err != nil {
		fmt.Fprintln(os.Stderr, "sidecar benchmark:", err)
		os.Exit(1)
	}
}

func bench(o options) error {
	if o.rootfs == "" {
		return errors.New("-rootfs is required")
	}
	root, cleanup, err := prepareRoot(o.rootfs)
	defer cleanup()
	if err != nil {
		return err
	}
	groups, removeGroups, err := cpuGroups(o)
	defer removeGroups()
	if err != nil {
		return err
	}

	var runs []run
	for i := range o.rounds {
		// Alternate which goes first, so warming caches favours neither.
		order := []bool{false, true}
		if i%2 == 1 {
			order = []bool{true, false}
		}
		for _, monitored := range order {
			r, err := measure(o, root, groups, monitored)
			if err != nil {
				return err
			}
			fmt.Printf("round %d  monitoring=%-5t  %8.0f req/s  sent %d  counted %d  unreadable %d\n",
				i+1, monitored, r.perSecond, r.sent, r.counted, r.unreadable)
			runs = append(runs, r)
		}
	}
	return report(o, runs)
}

// prepareRoot unpacks the operand's root filesystem with the host's /proc and /dev inside
// (nginx logs to /dev/stdout), a document root like the content a site serves and the
// directory of the metrics container's log pipe.
func prepareRoot(tarball string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "sidecar-bench-")
	if err != nil {
		return "", func() {}, err
	}
	root := filepath.Join(dir, "root")
	mounted := make([]string, 0, 2)
	cleanup := func() {
		for _, m := range slices.Backward(mounted) {
			_ = syscall.Unmount(m, syscall.MNT_DETACH)
		}
		_ = os.RemoveAll(dir)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", cleanup, err
	}
	if out, err := exec.Command("tar", "-xzf", tarball, "-C", root).CombinedOutput(); err != nil {
		return "", cleanup, fmt.Errorf("unpacking %s: %v: %s", tarball, err, out)
	}
	for _, m := range []string{"/proc", "/dev"} {
		target := filepath.Join(root, m)
		if err := os.MkdirAll(target, 0o755); err != nil {
			return "", cleanup, err
		}
		if err := syscall.Mount(m, target, "", syscall.MS_BIND|syscall.MS_REC, ""); err != nil {
			return "", cleanup, fmt.Errorf("mounting %s: %w", m, err)
		}
		mounted = append(mounted, target)
	}
	page := strings.Repeat("<p>webserver-operator benchmark page</p>\n", 15)
	for path, data := range map[string]string{
		filepath.Join(root, resources.DocumentRoot, "index.html"): "<!doctype html>\n<title>bench</title>\n" + page,
	} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return "", cleanup, err
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			return "", cleanup, err
		}
	}
	for _, d := range []string{resources.ConfigDir, resources.MetricsLogDir} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			return "", cleanup, err
		}
	}
	return root, cleanup, nil
}

// cgroups are the CPU cgroup (v1 cpu controller) of nginx and of the metrics container.
type cgroups struct{ nginx, metrics string }

func cpuGroups(o options) (cgroups, func(), error) {
	base := filepath.Join("/sys/fs/cgroup/cpu", fmt.Sprintf("webserver-sidecar-bench-%d", os.Getpid()))
	g := cgroups{nginx: filepath.Join(base, "nginx"), metrics: filepath.Join(base, "metrics")}
	remove := func() {
		_ = os.Remove(g.nginx)
		_ = os.Remove(g.metrics)
		_ = os.Remove(base)
	}
	for dir, limit := range map[string]string{g.nginx: o.nginxCPULimit, g.metrics: o.metricsLimit} {
		q, err := resource.ParseQuantity(limit)
		if err != nil {
			return g, remove, fmt.Errorf("CPU limit %q: %w", limit, err)
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return g, remove, fmt.Errorf("creating cgroup %s (needs root and the cgroup v1 cpu controller): %w", dir, err)
		}
		// As the kubelet does: a 100 ms period and the limit's share of it.
		const period = 100000
		for file, value := range map[string]int64{"cpu.cfs_period_us": period, "cpu.cfs_quota_us": q.MilliValue() * period / 1000} {
			if err := os.WriteFile(filepath.Join(dir, file), []byte(strconv.FormatInt(value, 10)), 0o644); err != nil {
				return g, remove, fmt.Errorf("setting %s of %s: %w", file, dir, err)
			}
		}
	}
	return g, remove, nil
}

// inGroup runs argv on cpu inside cgroup: the shell joins the group before exec, so every
// process nginx forks is in it too.
func inGroup(group, cpu string, argv ...string) *exec.Cmd {
	script := fmt.Sprintf(`echo $$ > %s/cgroup.procs && exec taskset -c %s "$@"`, group, cpu)
	return exec.Command("sh", append([]string{"-c", script, "sh"}, argv...)...)
}

func measure(o options, root string, groups cgroups, monitored bool) (run, error) {
	r := run{monitored: monitored}
	ws := benchWebServer(monitored)
	limits := corev1.ResourceRequirements{Limits: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(o.nginxCPULimit)}}
	conf := resources.RenderNginxConf(ws, "", limits)
	if err := os.WriteFile(filepath.Join(root, resources.ConfigFile), []byte(conf), 0o644); err != nil {
		return r, err
	}

	var processes []*exec.Cmd
	defer func() {
		for _, p := range slices.Backward(processes) {
			_ = p.Process.Signal(syscall.SIGTERM)
			_ = p.Wait()
		}
	}()
	if monitored {
		core := o.metricsCore
		if core == "" {
			core = o.serverCPU
		}
		metrics := inGroup(groups.metrics, core, o.metricsBinary, "-revision", "bench",
			"-log-pipe", filepath.Join(root, resources.MetricsLogPipe))
		metrics.Env = append(os.Environ(), "GOMEMLIMIT="+resources.MetricsGoMemoryLimit)
		if err := metrics.Start(); err != nil {
			return r, fmt.Errorf("starting the metrics container's binary: %w", err)
		}
		processes = append(processes, metrics)
		if err := waitFor(fmt.Sprintf("http://127.0.0.1:%d/healthz", webserverv1alpha1.MetricsPort)); err != nil {
			return r, err
		}
	}
	nginx := inGroup(groups.nginx, o.serverCPU, "chroot", root, "/usr/sbin/nginx", "-c", resources.ConfigFile)
	// In a pod, nginx's stdout (its access log) is a pipe the container runtime drains.
	nginx.Stdout = &runtimeLog{}
	nginx.Stderr = os.Stderr
	if err := nginx.Start(); err != nil {
		return r, fmt.Errorf("starting nginx: %w", err)
	}
	processes = append(processes, nginx)
	site := fmt.Sprintf("http://127.0.0.1:%d/", ws.HTTPPort())
	if err := waitFor(site); err != nil {
		return r, err
	}

	if _, err := runWrk(o, site, o.warmup); err != nil {
		return r, err
	}
	// nginx flushes its log buffer at least once a second.
	const flushed = 1500 * time.Millisecond
	time.Sleep(flushed)
	cpuBefore := processCPU(processes, monitored)
	before, err := scrape(monitored)
	if err != nil {
		return r, err
	}
	w, err := runWrk(o, site, o.duration)
	if err != nil {
		return r, err
	}
	time.Sleep(flushed)
	after, err := scrape(monitored)
	if err != nil {
		return r, err
	}
	r.perSecond, r.sent, r.non2xx, r.socketErrs = w.perSecond, w.sent, w.non2xx, w.socketErrs
	r.counted, r.unreadable = after.counted-before.counted, after.unreadable-before.unreadable
	r.metricsCPU = processCPU(processes, monitored) - cpuBefore
	if r.non2xx > 0 || r.socketErrs > 0 {
		return r, fmt.Errorf("nginx answered %d requests with errors and %d failed at the socket", r.non2xx, r.socketErrs)
	}
	return r, nil
}

// runtimeLog stands for the container runtime's log file: a writer that is not a file, so
// nginx writes into a pipe as it does in a pod.
type runtimeLog struct{ bytes int64 }

func (l *runtimeLog) Write(p []byte) (int, error) {
	l.bytes += int64(len(p))
	return len(p), nil
}

func benchWebServer(monitored bool) *webserverv1alpha1.WebServer {
	ws := &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: "bench", Name: "site"}}
	if monitored {
		ws.Spec.Monitoring = &webserverv1alpha1.MonitoringSpec{Enabled: true}
	}
	return ws
}

func waitFor(url string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(url) //nolint:gosec,noctx // a loopback URL the benchmark built
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer 200 within 10s (last error: %v)", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

type wrkResult struct {
	perSecond                float64
	sent, non2xx, socketErrs int64
}

var (
	wrkRequests  = regexp.MustCompile(`(\d+) requests in`)
	wrkPerSecond = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkNon2xx    = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)`)
	wrkSocket    = regexp.MustCompile(`Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
)

func runWrk(o options, url string, d time.Duration) (wrkResult, error) {
	var w wrkResult
	ctx, cancel := context.WithTimeout(context.Background(), d+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "taskset", "-c", o.loadCPU, o.wrk, "-t1",
		"-c"+strconv.Itoa(o.connections), "-d"+strconv.Itoa(int(d.Seconds()))+"s", url).CombinedOutput()
	if err != nil {
		return w, fmt.Errorf("wrk: %v: %s", err, out)
	}
	text := string(out)
	m, p := wrkRequests.FindStringSubmatch(text), wrkPerSecond.FindStringSubmatch(text)
	if m == nil || p == nil {
		return w, fmt.Errorf("cannot read wrk's output:\n%s", text)
	}
	w.sent, _ = strconv.ParseInt(m[1], 10, 64)
	w.perSecond, _ = strconv.ParseFloat(p[1], 64)
	if m := wrkNon2xx.FindStringSubmatch(text); m != nil {
		w.non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := wrkSocket.FindStringSubmatch(text); m != nil {
		for _, n := range m[1:] {
			v, _ := strconv.ParseInt(n, 10, 64)
			w.socketErrs += v
		}
	}
	return w, nil
}

type counts struct{ counted, unreadable int64 }

// scrape reads the metrics container's request and unreadable-line counters.
func scrape(monitored bool) (counts, error) {
	var c counts
	if !monitored {
		return c, nil
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/metrics", webserverv1alpha1.MetricsPort)) //nolint:gosec,noctx // loopback
	if err != nil {
		return c, err
	}
	defer func() { _ = resp.Body.Close() }()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return c, err
	}
	sum := func(name string) int64 {
		var total float64
		if f := families[name]; f != nil {
			for _, m := range f.GetMetric() {
				total += counterValue(m)
			}
		}
		return int64(total)
	}
	return counts{counted: sum(sidecar.RequestsTotal), unreadable: sum(sidecar.LogErrorsTotal)}, nil
}

func counterValue(m *dto.Metric) float64 {
	if c := m.GetCounter(); c != nil {
		return c.GetValue()
	}
	return 0
}

func report(o options, runs []run) error {
	off, on := make([]float64, 0, len(runs)), make([]float64, 0, len(runs))
	var sent, counted, unreadable int64
	var metricsCPU time.Duration
	for _, r := range runs {
		if !r.monitored {
			off = append(off, r.perSecond)
			continue
		}
		on = append(on, r.perSecond)
		sent += r.sent
		counted += r.counted
		unreadable += r.unreadable
		metricsCPU += r.metricsCPU
	}
	medianOff, medianOn := median(off), median(on)
	overhead := 100 * (medianOff - medianOn) / medianOff
	lost := max(0, sent-counted)
	fmt.Printf("\n| | requests/s (median of %d) |\n|---|---|\n| without monitoring | %.0f |\n| with monitoring | %.0f |\n",
		o.rounds, medianOff, medianOn)
	fmt.Printf("\nthroughput lower by %.1f %% with the metrics container (target ≤ %.0f %%)\n", overhead, o.maxOverhead)
	fmt.Printf("records: %d requests sent, %d counted, %d not counted (%.3f %%), %d unreadable lines\n",
		sent, counted, lost, 100*float64(lost)/float64(max(sent, 1)), unreadable)
	perRecord := metricsCPU / time.Duration(max(counted, 1))
	limit := resource.MustParse(o.metricsLimit)
	fmt.Printf("the metrics container spent %v of CPU per record: its %s CPU limit reads %.0f records/s\n",
		perRecord, o.metricsLimit, limit.AsApproximateFloat64()/perRecord.Seconds())
	fmt.Printf("setup: nginx limited to %s CPU, the metrics container to %s, both on core %s; wrk on core %s with %d connections, %s per run\n",
		o.nginxCPULimit, o.metricsLimit, o.serverCPU, o.loadCPU, o.connections, o.duration)
	if overhead > o.maxOverhead {
		return fmt.Errorf("the metrics container costs %.1f %% of throughput, more than %.0f %%", overhead, o.maxOverhead)
	}
	return nil
}

func median(values []float64) float64 {
	s := slices.Clone(values)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// processCPU is the user and system CPU time of the metrics container's process (the first
// one started), from /proc (in clock ticks of 10 ms).
func processCPU(processes []*exec.Cmd, monitored bool) time.Duration {
	if !monitored || len(processes) == 0 {
		return 0
	}
	return harness.ProcessCPU(processes[0].Process.Pid)
}
