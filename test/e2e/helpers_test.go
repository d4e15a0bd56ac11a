package e2e

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
)

const (
	long  = 3 * time.Minute
	short = 30 * time.Second
	poll  = 500 * time.Millisecond
)

// kubectl runs kubectl against the cluster under test and returns its output.
func kubectl(args ...string) string {
	out, err := kubectlE(args...)
	ExpectWithOffset(1, err).NotTo(HaveOccurred(), "kubectl %s: %s", strings.Join(args, " "), out)
	return out
}

// kubectlE is kubectl for commands expected to fail until something converges.
func kubectlE(args ...string) (string, error) {
	out, err := exec.Command("kubectl", args...).CombinedOutput()
	return string(out), err
}

// httpGet fetches url and returns the status code and body.
func httpGet(c *http.Client, url, token string) (int, string, error) {
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// plainClient opens a new connection per request. A connection opened to a Service IP
// before kube-proxy programmed it is not translated, and keep-alive would pin it there
// (on this machine such traffic meets the egress proxy, which answers 404).
var plainClient = &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// insecureClient talks to the operator's metrics endpoint, which serves a self-signed
// certificate; what is under test there is authentication and authorization.
var insecureClient = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
	TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // see above
}}

// eventuallyServes waits until url answers 200 with a body containing want.
func eventuallyServes(url, want string) {
	EventuallyWithOffset(1, func(g Gomega) {
		code, body, err := httpGet(plainClient, url, "")
		g.Expect(err).NotTo(HaveOccurred())
		g.Expect(code).To(Equal(http.StatusOK), "GET %s: %s", url, body)
		g.Expect(body).To(ContainSubstring(want))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}

// load sends requests continuously (keep-alive connections, like browsers) and counts
// the ones that failed: an error or any status but 200.
type load struct {
	sent, failed atomic.Int64
	mu           sync.Mutex
	failures     []string
	// failedByCode counts the failed requests by status code (0: no answer).
	failedByCode map[int]int64
	cancel       context.CancelFunc
	wg           sync.WaitGroup
}

func startLoad(url string) *load {
	return startLoadWith(&http.Client{Timeout: 5 * time.Second}, getRequest(url))
}

// startLightLoad sends about ten requests a second: traffic that a single pod serves with
// a sliver of its CPU, so that an autoscaler is free to scale down under it.
func startLightLoad(url string) *load {
	return runLoad(&http.Client{Timeout: 5 * time.Second}, getRequest(url), 1, 100*time.Millisecond)
}

func getRequest(url string) func() (*http.Request, error) {
	return func() (*http.Request, error) { return http.NewRequest(http.MethodGet, url, nil) }
}

// startLoadWith sends the requests newRequest makes through c (keep-alive connections,
// like browsers) until stopped.
func startLoadWith(c *http.Client, newRequest func() (*http.Request, error)) *load {
	return runLoad(c, newRequest, 2, 10*time.Millisecond)
}

// runLoad keeps workers sending requests, each pausing between its requests.
func runLoad(c *http.Client, newRequest func() (*http.Request, error), workers int, pause time.Duration) *load {
	ctx, cancel := context.WithCancel(context.Background())
	l := &load{cancel: cancel, failedByCode: map[int]int64{}}
	for range workers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for ctx.Err() == nil {
				code, err := send(c, newRequest)
				l.sent.Add(1)
				if err != nil || code != http.StatusOK {
					l.failed.Add(1)
					l.mu.Lock()
					if err != nil {
						code = 0
					}
					l.failedByCode[code]++
					if len(l.failures) < 10 {
						l.failures = append(l.failures, fmt.Sprintf("%s: code %d err %v", time.Now().Format(time.StampMilli), code, err))
					}
					l.mu.Unlock()
				}
				time.Sleep(pause)
			}
		}()
	}
	return l
}

func send(c *http.Client, newRequest func() (*http.Request, error)) (int, error) {
	req, err := newRequest()
	if err != nil {
		return 0, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	defer func() { _ = resp.Body.Close() }()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

// report prints a measurement and keeps it in the suite's report.
func report(text string) {
	GinkgoWriter.Println(text)
	AddReportEntry(text)
}

// stop ends the load, reports the counts and expects no failure.
func (l *load) stopAndExpectNoFailures(what string) {
	l.cancel()
	l.wg.Wait()
	sent, failed := l.sent.Load(), l.failed.Load()
	report(fmt.Sprintf("%s: %d requests sent, %d failed", what, sent, failed))
	ExpectWithOffset(1, sent).To(BeNumerically(">", 50), "too few requests to prove anything")
	ExpectWithOffset(1, failed).To(BeZero(), "failures: %v", l.failures)
}

// probeFromPod fetches url from a pod in namespace (restricted security context) and
// returns what it printed.
func probeFromPod(ctx context.Context, namespace, name, url string) string {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy:                corev1.RestartPolicyNever,
			AutomountServiceAccountToken: ptr.To(false),
			SecurityContext: &corev1.PodSecurityContext{
				RunAsNonRoot:   ptr.To(true),
				RunAsUser:      ptr.To[int64](65532),
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			Containers: []corev1.Container{{
				Name:  "prober",
				Image: proberImage,
				Args:  []string{url},
				SecurityContext: &corev1.SecurityContext{
					AllowPrivilegeEscalation: ptr.To(false),
					ReadOnlyRootFilesystem:   ptr.To(true),
					Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				},
			}},
		},
	}
	ExpectWithOffset(1, k8s.Create(ctx, pod)).To(Succeed())
	EventuallyWithOffset(1, func(g Gomega) {
		g.Expect(k8s.Get(ctx, client.ObjectKeyFromObject(pod), pod)).To(Succeed())
		g.Expect(pod.Status.Phase).To(BeElementOf(corev1.PodSucceeded, corev1.PodFailed))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	logs := kubectl("-n", namespace, "logs", name)
	ExpectWithOffset(1, pod.Status.Phase).To(Equal(corev1.PodSucceeded), logs)
	return logs
}

func serviceURL(ctx context.Context, namespace, name string) string {
	svc := &corev1.Service{}
	ExpectWithOffset(1, k8s.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, svc)).To(Succeed())
	return fmt.Sprintf("http://%s:%d/", svc.Spec.ClusterIP, svc.Spec.Ports[0].Port)
}

// updateWebServer applies mutate to the WebServer at key, retrying on conflicts.
func updateWebServer(ctx context.Context, key types.NamespacedName, mutate func(*webserverv1alpha1.WebServer)) {
	EventuallyWithOffset(1, func() error {
		ws := &webserverv1alpha1.WebServer{}
		if err := k8s.Get(ctx, key, ws); err != nil {
			return err
		}
		mutate(ws)
		return k8s.Update(ctx, ws)
	}).WithTimeout(short).Should(Succeed())
}

// rolledOutPods is how many pods the WebServers of the rollout specs run.
const rolledOutPods = 2

// expectRolledOut waits until the rollout of the WebServer's latest spec completed: only
// its rolledOutPods new pods serve.
func expectRolledOut(ctx context.Context, key types.NamespacedName) {
	const n = rolledOutPods
	EventuallyWithOffset(1, func(g Gomega) {
		ws := &webserverv1alpha1.WebServer{}
		g.Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		c := meta.FindStatusCondition(ws.Status.Conditions, webserverv1alpha1.ConditionProgressing)
		g.Expect(c).NotTo(BeNil())
		g.Expect(c.Reason).To(Equal(webserverv1alpha1.ReasonRolloutComplete), c.Message)
		g.Expect(c.ObservedGeneration).To(Equal(ws.Generation))
		g.Expect([]int32{ws.Status.Replicas, ws.Status.UpdatedReplicas, ws.Status.ReadyReplicas}).To(Equal([]int32{n, n, n}))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
}

// stopAndExpectOnlyFailing ends the load and expects every failed request to have been
// answered with code: the deliberate failures of what is under test, and no other.
func (l *load) stopAndExpectOnlyFailing(what string, code int) int64 {
	l.cancel()
	l.wg.Wait()
	sent := l.sent.Load()
	l.mu.Lock()
	defer l.mu.Unlock()
	report(fmt.Sprintf("%s: %d requests sent, failed by code (0: no answer): %v", what, sent, l.failedByCode))
	ExpectWithOffset(1, sent).To(BeNumerically(">", 50), "too few requests to prove anything")
	for got, n := range l.failedByCode {
		ExpectWithOffset(1, got).To(Equal(code), "%d requests failed otherwise: %v", n, l.failures)
	}
	return l.failedByCode[code]
}
