package controller

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/canary"
	"github.com/webserver-operator/webserver-operator/internal/resources"
)

// syntheticRequestsPerPod are sent to each judged pod's checkPath in every analysis window.
const syntheticRequestsPerPod = 10

// stablePodsChecked bounds the stable pods that get synthetic requests too: enough for a
// baseline at the same path, few enough to cost nothing on a large fleet.
const stablePodsChecked = 3

// canaryHTTPTimeout bounds each request to a pod: a pod that does not answer in time
// fails its synthetic check rather than stalling the pass.
const canaryHTTPTimeout = 2 * time.Second

// PodAddress is where a port of a pod is reached ("host:port").
type PodAddress func(pod *corev1.Pod, port int32) string

// podIPAddress reaches pods directly, as the operator does inside the cluster.
func podIPAddress(pod *corev1.Pod, port int32) string {
	return net.JoinHostPort(pod.Status.PodIP, strconv.Itoa(int(port)))
}

// canaryWindow is the start of the current analysis window of one WebServer: what each
// pod's metrics said then and how the synthetic requests sent since went. It lives in
// memory only: after an operator restart the first pass starts a new window.
type canaryWindow struct {
	revision  string
	start     time.Time
	samples   map[string]canary.Sample
	synthetic canary.Synthetic
}

// canaryWindows holds the open window of every WebServer with a canary.
type canaryWindows struct {
	mu      sync.Mutex
	windows map[types.NamespacedName]*canaryWindow
}

func (w *canaryWindows) get(key types.NamespacedName, revision string) *canaryWindow {
	w.mu.Lock()
	defer w.mu.Unlock()
	if open := w.windows[key]; open != nil && open.revision == revision {
		return open
	}
	return nil
}

func (w *canaryWindows) set(key types.NamespacedName, open *canaryWindow) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.windows == nil {
		w.windows = map[types.NamespacedName]*canaryWindow{}
	}
	w.windows[key] = open
}

func (w *canaryWindows) forget(key types.NamespacedName) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.windows, key)
}

// servingPods are the WebServer's ready pods, canary and stable apart, sorted by name.
type servingPods struct {
	canary, stable []*corev1.Pod
}

// listServingPods reads the WebServer's pods live: serving pods are not cached, and the
// reads happen once per analysis window only.
func (r *WebServerReconciler) listServingPods(ctx context.Context, ws *webserverv1alpha1.WebServer) (servingPods, []corev1.Pod, error) {
	list := &corev1.PodList{}
	if err := r.APIReader.List(ctx, list, client.InNamespace(ws.Namespace), client.MatchingLabels(resources.SelectorLabels(ws))); err != nil {
		return servingPods{}, nil, fmt.Errorf("listing pods: %w", err)
	}
	slices.SortFunc(list.Items, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	var out servingPods
	for i := range list.Items {
		pod := &list.Items[i]
		if !pod.DeletionTimestamp.IsZero() || pod.Status.PodIP == "" || !podReady(pod) {
			continue
		}
		if pod.Labels[resources.LabelCanary] == "true" {
			out.canary = append(out.canary, pod)
		} else {
			out.stable = append(out.stable, pod)
		}
	}
	return out, list.Items, nil
}

func podReady(pod *corev1.Pod) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// canaryTraffic reaches the pods: their metrics containers and their checkPath.
type canaryTraffic struct {
	client  *http.Client
	address PodAddress
}

func (r *WebServerReconciler) traffic() canaryTraffic {
	address := r.PodAddress
	if address == nil {
		address = podIPAddress
	}
	return canaryTraffic{client: canaryHTTPClient, address: address}
}

// canaryHTTPClient asks pods by IP. It does not verify certificates: no certificate names
// a pod's IP, and what is judged is the site's answer, not its certificate (the
// CertificateValid condition covers that). A redirect is an answer, not followed.
var canaryHTTPClient = &http.Client{
	Timeout:       canaryHTTPTimeout,
	Transport:     &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, MaxIdleConnsPerHost: 1}, //nolint:gosec // see above
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// scrapeWorkers bounds the pods read at once: a fleet is read in a few round trips, and a
// pod that does not answer holds one worker for canaryHTTPTimeout, not the whole pass.
const scrapeWorkers = 8

// scrape reads every pod's request metrics; failed names the pods that could not be read.
func (t canaryTraffic) scrape(ctx context.Context, pods []*corev1.Pod) (samples map[string]canary.Sample, failed []string) {
	samples = make(map[string]canary.Sample, len(pods))
	var mu sync.Mutex
	var wg sync.WaitGroup
	slots := make(chan struct{}, scrapeWorkers)
	for _, pod := range pods {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			sample, err := t.scrapeOne(ctx, pod)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed = append(failed, fmt.Sprintf("%s (%v)", pod.Name, err))
				return
			}
			samples[pod.Name] = sample
		}()
	}
	wg.Wait()
	slices.Sort(failed)
	return samples, failed
}

func (t canaryTraffic) scrapeOne(ctx context.Context, pod *corev1.Pod) (canary.Sample, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+t.address(pod, webserverv1alpha1.MetricsPort)+"/metrics", nil)
	if err != nil {
		return canary.Sample{}, err
	}
	resp, err := t.client.Do(req)
	if err != nil {
		return canary.Sample{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return canary.Sample{}, fmt.Errorf("metrics answered %d", resp.StatusCode)
	}
	return canary.ParseSample(resp.Body)
}

// check sends the synthetic requests of one window to each pod at once, returning the
// canary pods' results; the stable pods' requests only give the baseline its share of
// checkPath.
func (t canaryTraffic) check(ctx context.Context, ws *webserverv1alpha1.WebServer, path string, pods servingPods) canary.Synthetic {
	// A site that redirects plain HTTP serves on HTTPS: the checks ask what users get.
	scheme, port := "http://", ws.HTTPPort()
	if ws.RedirectsHTTP() {
		scheme, port = "https://", ws.HTTPSPort()
	}
	stable := pods.stable[:min(len(pods.stable), stablePodsChecked)]
	results := make([]canary.Synthetic, len(pods.canary)+len(stable))
	var wg sync.WaitGroup
	for i, pod := range append(append([]*corev1.Pod{}, pods.canary...), stable...) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = canary.Check(ctx, t.client, scheme+t.address(pod, port)+path, syntheticRequestsPerPod)
		}()
	}
	wg.Wait()
	var out canary.Synthetic
	for _, got := range results[:len(pods.canary)] {
		out.Sent += got.Sent
		out.Failed += got.Failed
		if out.FirstFailure == "" {
			out.FirstFailure = got.FirstFailure
		}
	}
	return out
}

// windowOf is what a set of pods answered since the window opened. A pod the window did
// not see at its start (a new or replaced pod) counts with everything it answered.
func windowOf(now map[string]canary.Sample, start map[string]canary.Sample, pods []*corev1.Pod) canary.Sample {
	parts := make([]canary.Sample, 0, len(pods))
	for _, pod := range pods {
		sample, ok := now[pod.Name]
		if !ok {
			continue
		}
		if earlier, ok := start[pod.Name]; ok {
			sample = sample.Since(earlier)
		}
		parts = append(parts, sample)
	}
	return canary.Sum(parts...)
}
