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
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/sidecar"
)

// scrapePods reads the metrics container of every pod of the WebServer, from the host
// (pod IPs are routable on the node).
func scrapePods(ctx context.Context, g Gomega, key types.NamespacedName) []map[string]*dto.MetricFamily {
	pods := &corev1.PodList{}
	g.Expect(k8s.List(ctx, pods, client.InNamespace(key.Namespace), client.MatchingLabels{"app.kubernetes.io/instance": key.Name})).To(Succeed())
	scrapes := make([]map[string]*dto.MetricFamily, 0, len(pods.Items))
	for _, p := range pods.Items {
		if p.DeletionTimestamp != nil || p.Status.PodIP == "" {
			continue
		}
		resp, err := http.Get(fmt.Sprintf("http://%s:%d/metrics", p.Status.PodIP, webserverv1alpha1.MetricsPort))
		g.Expect(err).NotTo(HaveOccurred())
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(resp.Body)
		_ = resp.Body.Close()
		g.Expect(err).NotTo(HaveOccurred())
		scrapes = append(scrapes, families)
	}
	return scrapes
}

// settledScrape is a scrape of the pods once the records nginx still buffers (it writes
// them at least once a second) have been counted: two scrapes a flush interval apart agree.
func settledScrape(ctx context.Context, key types.NamespacedName) []map[string]*dto.MetricFamily {
	var settled []map[string]*dto.MetricFamily
	EventuallyWithOffset(1, func(g Gomega) {
		first := scrapePods(ctx, g, key)
		time.Sleep(1500 * time.Millisecond)
		settled = scrapePods(ctx, g, key)
		g.Expect(sumOf(settled, sidecar.RequestsTotal, nil)).To(Equal(sumOf(first, sidecar.RequestsTotal, nil)))
	}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	return settled
}

// sumOf adds the values of the family's series whose labels include want, across scrapes.
func sumOf(scrapes []map[string]*dto.MetricFamily, family string, want map[string]string) float64 {
	total := 0.0
	for _, families := range scrapes {
		f := families[family]
		if f == nil {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for k, v := range want {
				if labels[k] != v {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				total += m.GetCounter().GetValue()
			case m.Gauge != nil:
				total += m.GetGauge().GetValue()
			case m.Histogram != nil:
				total += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return total
}

// createMonitoredSite creates a monitored WebServer with two small pods (the one node also
// runs Prometheus and the other specs' sites) in a new restricted namespace, and waits until
// it rolled out and answers with want.
func createMonitoredSite(ctx context.Context, prefix, name, config, want string, mutate func(*webserverv1alpha1.WebServerSpec)) types.NamespacedName {
	GinkgoHelper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{
		GenerateName: prefix,
		Labels:       map[string]string{"pod-security.kubernetes.io/enforce": "restricted"},
	}}
	Expect(k8s.Create(ctx, ns)).To(Succeed())
	key := types.NamespacedName{Namespace: ns.Name, Name: name}
	spec := webserverv1alpha1.WebServerSpec{
		Image:      nginxImageA,
		Replicas:   ptr.To[int32](2),
		Config:     &webserverv1alpha1.ConfigSpec{Inline: config},
		Monitoring: &webserverv1alpha1.MonitoringSpec{Enabled: true},
		Resources: &corev1.ResourceRequirements{Limits: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}},
	}
	if mutate != nil {
		mutate(&spec)
	}
	Expect(k8s.Create(ctx, &webserverv1alpha1.WebServer{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: name}, Spec: spec})).To(Succeed())
	expectRolledOut(ctx, key)
	eventuallyServes(serviceURL(ctx, key.Namespace, name), want)
	return key
}

// removeSpecNamespace deletes namespace after an Ordered container, printing what it held
// when a spec failed (and keeping it with E2E_KEEP_FAILED set).
func removeSpecNamespace(ctx context.Context, namespace string) {
	if CurrentSpecReport().Failed() {
		GinkgoWriter.Println(kubectl("-n", namespace, "get", "all,webservers,events", "-o", "wide"))
	}
	if !CurrentSpecReport().Failed() || os.Getenv("E2E_KEEP_FAILED") == "" {
		_ = k8s.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace}})
	}
}

var _ = Describe("Monitoring on a real cluster", Ordered, Label("e2e"), func() {
	const name = "counted"
	var (
		ctx       = context.Background()
		key       types.NamespacedName
		url       string
		revision  string
		namespace string
	)

	BeforeAll(func() {
		key = createMonitoredSite(ctx, "e2e-monitoring-", name, `location / { default_type text/plain; return 200 "counted\n"; }
location /missing { return 404; }
location /broken { return 503; }`, "counted", func(spec *webserverv1alpha1.WebServerSpec) {
			// The kubelet's readiness probes then ask the public port: they must not count.
			spec.ReadinessPath = "/"
		})
		namespace = key.Namespace
		url = serviceURL(ctx, namespace, name)
		ws := &webserverv1alpha1.WebServer{}
		Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		revision = ws.Status.CurrentRevision
		Expect(revision).NotTo(BeEmpty())
	})

	AfterAll(func() { removeSpecNamespace(ctx, namespace) })
	It("counts every request by status code, labelled with the revision, in the pods' metrics containers", func() {
		before := settledScrape(ctx, key)
		base := func(code string) float64 {
			return sumOf(before, sidecar.RequestsTotal, map[string]string{"code": code, "revision": revision})
		}
		ok0, missing0, broken0 := base("200"), base("404"), base("503")

		c := &http.Client{}
		for i := range 200 {
			path := "/"
			switch {
			case i%10 == 0:
				path = "/missing"
			case i%50 == 1:
				path = "/broken"
			}
			resp, err := c.Get(url + path)
			Expect(err).NotTo(HaveOccurred())
			_ = resp.Body.Close()
		}
		// 20 answer 404, 4 answer 503, the other 176 answer 200.
		Eventually(func(g Gomega) {
			after := scrapePods(ctx, g, key)
			g.Expect(after).To(HaveLen(2))
			count := func(code string) float64 {
				return sumOf(after, sidecar.RequestsTotal, map[string]string{"code": code, "revision": revision, "method": "GET"})
			}
			g.Expect(count("200") - ok0).To(Equal(176.0))
			g.Expect(count("404") - missing0).To(Equal(20.0))
			g.Expect(count("503") - broken0).To(Equal(4.0))
			g.Expect(sumOf(after, sidecar.RequestDuration, map[string]string{"class": "5xx"})).To(BeNumerically(">=", 4))
			g.Expect(sumOf(after, "webserver_nginx_up", nil)).To(Equal(2.0))
			g.Expect(sumOf(after, sidecar.LogErrorsTotal, nil)).To(BeZero())
			report(fmt.Sprintf("metrics containers counted 176 × 200, 20 × 404 and 4 × 503 of 200 requests on revision %s", revision))
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	})

	It("keeps the kubelet's probes and the status server out of the counts", func() {
		// Probes every 5 s per pod would show within 12 s.
		total := sumOf(settledScrape(ctx, key), sidecar.RequestsTotal, nil)
		Consistently(func(g Gomega) {
			g.Expect(sumOf(scrapePods(ctx, g, key), sidecar.RequestsTotal, nil)).To(Equal(total))
		}).WithTimeout(12 * time.Second).WithPolling(2 * poll).Should(Succeed())
	})

	It("labels the new pods with the new revision after a rollout, and the site keeps serving", func() {
		l := startLoad(url)
		updateWebServer(ctx, key, func(ws *webserverv1alpha1.WebServer) { ws.Spec.Image = nginxImageB })
		expectRolledOut(ctx, key)
		l.stopAndExpectNoFailures("rollout of a monitored WebServer")
		ws := &webserverv1alpha1.WebServer{}
		Expect(k8s.Get(ctx, key, ws)).To(Succeed())
		Expect(ws.Status.CurrentRevision).NotTo(Equal(revision))
		Eventually(func(g Gomega) {
			scrapes := scrapePods(ctx, g, key)
			g.Expect(scrapes).To(HaveLen(2))
			for _, families := range scrapes {
				up := families["webserver_nginx_up"]
				g.Expect(up).NotTo(BeNil())
				g.Expect(strings.Join(labelValues(up, "revision"), ",")).To(Equal(ws.Status.CurrentRevision))
			}
		}).WithTimeout(long).WithPolling(poll).Should(Succeed())
	})
})

func labelValues(f *dto.MetricFamily, label string) []string {
	var values []string
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				values = append(values, l.GetValue())
			}
		}
	}
	return values
}
