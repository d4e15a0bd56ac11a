package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	webserverv1alpha1 "github.com/webserver-operator/webserver-operator/api/v1alpha1"
	"github.com/webserver-operator/webserver-operator/internal/resources"
	"github.com/webserver-operator/webserver-operator/internal/sidecar"
	"github.com/webserver-operator/webserver-operator/test/dashboard"
)

// promResult is the part of Prometheus' query API the specs read.
type promResult struct {
	Status string `json:"status"`
	Data   struct {
		Result []struct {
			Metric map[string]string `json:"metric"`
			Value  []any             `json:"value"`
		} `json:"result"`
	} `json:"data"`
}

// prometheusURL is the local cluster's Prometheus (Service monitoring/prometheus).
func prometheusURL(ctx context.Context) string {
	svc := &corev1.Service{}
	ExpectWithOffset(1, k8s.Get(ctx, types.NamespacedName{Namespace: "monitoring", Name: "prometheus"}, svc)).To(Succeed())
	return fmt.Sprintf("http://%s:9090", svc.Spec.ClusterIP)
}

func promGet(g Gomega, base, path string, query url.Values) promResult {
	resp, err := http.Get(base + path + "?" + query.Encode())
	g.Expect(err).NotTo(HaveOccurred())
	defer func() { _ = resp.Body.Close() }()
	var r promResult
	g.Expect(json.NewDecoder(resp.Body).Decode(&r)).To(Succeed())
	g.Expect(r.Status).To(Equal("success"))
	return r
}

// promValue is the single value query returns; it fails g unless there is exactly one.
func promValue(g Gomega, base, query string) float64 {
	r := promGet(g, base, "/api/v1/query", url.Values{"query": {query}})
	g.Expect(r.Data.Result).To(HaveLen(1), query)
	v, err := strconv.ParseFloat(r.Data.Result[0].Value[1].(string), 64)
	g.Expect(err).NotTo(HaveOccurred())
	return v
}

// promSum is the value of a sum() query, 0 while no series matches.
func promSum(g Gomega, base, query string) float64 {
	if len(promGet(g, base, "/api/v1/query", url.Values{"query": {query}}).Data.Result) == 0 {
		return 0
	}
	return promValue(g, base, query)
}

var _ = Describe("Monitoring with a real Prometheus", Ordered, Label("e2e"), func() {
	const name = "watched"
	var (
		ctx       = context.Background()
		key       types.NamespacedName
		namespace string
		prom      string
		siteURL   string
	)

	BeforeAll(func() {
		prom = prometheusURL(ctx)
		key = createMonitoredSite(ctx, "e2e-prometheus-", name, `location / { default_type text/plain; return 200 "watched\n"; }
location /missing { return 404; }`, "watched", nil)
		namespace = key.Namespace
		siteURL = serviceURL(ctx, namespace, name)
	})

	AfterAll(func() { removeSpecNamespace(ctx, namespace) })

	It("scrapes the operator's own metrics with its service account's token", func() {
		// make deploy-local applies config/prometheus: a ServiceMonitor that presents the
		// Prometheus service account's token to the operator's authorizing HTTPS endpoint.
		Eventually(func(g Gomega) {
			g.Expect(promValue(g, prom, fmt.Sprintf(`max(up{namespace=%q,service=%q})`, operatorNS, "webserver-operator-controller-manager-metrics-service"))).To(Equal(1.0))
			g.Expect(promValue(g, prom, fmt.Sprintf(`webserver_operator_webserver_desired_replicas{namespace=%q,name=%q}`, namespace, name))).To(Equal(2.0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
	})

	It("scrapes both pods through the PodMonitor and counts exactly what was sent", func() {
		Eventually(func(g Gomega) {
			g.Expect(promValue(g, prom, fmt.Sprintf(`sum(up{namespace=%q,%s=%q})`, namespace, resources.WebServerLabel, name))).To(Equal(2.0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		sel := fmt.Sprintf(`namespace=%q,%s=%q`, namespace, resources.WebServerLabel, name)
		count := func(g Gomega, code string) float64 {
			return promSum(g, prom, fmt.Sprintf(`sum(webserver_http_requests_total{%s,code=%q})`, sel, code))
		}
		// What reached the site before (the readiness wait), once every record of it is
		// counted in the pods and Prometheus has scraped them since.
		settled := settledScrape(ctx, key)
		ok0 := sumOf(settled, sidecar.RequestsTotal, map[string]string{"code": "200"})
		missing0 := sumOf(settled, sidecar.RequestsTotal, map[string]string{"code": "404"})
		Expect(ok0).To(BeNumerically(">", 0))
		Eventually(func(g Gomega) {
			g.Expect(count(g, "200")).To(Equal(ok0))
			g.Expect(count(g, "404")).To(Equal(missing0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		c := &http.Client{}
		for i := range 200 {
			path := "/"
			if i%10 == 0 {
				path = "/missing"
			}
			resp, err := c.Get(siteURL + path)
			Expect(err).NotTo(HaveOccurred())
			_ = resp.Body.Close()
		}
		Eventually(func(g Gomega) {
			g.Expect(count(g, "404") - missing0).To(Equal(20.0))
			g.Expect(count(g, "200") - ok0).To(Equal(180.0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		report("Prometheus counted 180 × 200 and 20 × 404 of 200 requests")
	})

	It("answers every query of the Grafana dashboard with this site's series, across a rollout", func() {
		// A new revision, so that the rollout counters and both revisions' series exist.
		updateWebServer(ctx, key, func(ws *webserverv1alpha1.WebServer) {
			ws.Spec.Config.Inline += "\nlocation /new { return 204; }"
		})
		expectRolledOut(ctx, key)
		for range 20 {
			resp, err := plainClient.Get(siteURL + "/")
			Expect(err).NotTo(HaveOccurred())
			_ = resp.Body.Close()
		}
		queries, err := dashboard.Load("../../config/grafana/webservers.json")
		Expect(err).NotTo(HaveOccurred())
		for _, q := range queries {
			expr := dashboard.Expand(q.Expr, namespace, name)
			Eventually(func(g Gomega) {
				g.Expect(promGet(g, prom, "/api/v1/query", url.Values{"query": {expr}}).Data.Result).NotTo(BeEmpty())
			}).WithTimeout(long).WithPolling(2*poll).Should(Succeed(), "panel %q query %s: %s", q.Panel, q.RefID, expr)
		}
		report(fmt.Sprintf("the dashboard's %d queries answered with the site's series", len(queries)))
	})

	It("fires the site-down alert while the site's pods are gone and resolves it when they return", func() {
		firing := fmt.Sprintf(`sum(ALERTS{alertname=%q,alertstate="firing",namespace=%q,%s=%q})`,
			resources.AlertSiteDown, namespace, resources.WebServerLabel, name)
		Expect(promSum(Default, prom, firing)).To(BeZero())
		// Node maintenance gone wrong: the node is cordoned and the site's pods are deleted, so
		// their replacements wait unscheduled while the WebServer still asks for two.
		nodes := &corev1.NodeList{}
		Expect(k8s.List(ctx, nodes)).To(Succeed())
		Expect(nodes.Items).To(HaveLen(1))
		node := nodes.Items[0].Name
		kubectl("cordon", node)
		DeferCleanup(func() { kubectl("uncordon", node) })
		kubectl("-n", namespace, "delete", "pods", "-l", "app.kubernetes.io/instance="+name, "--wait=false")
		down := time.Now()
		Eventually(func(g Gomega) {
			g.Expect(promSum(g, prom, firing)).To(Equal(1.0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		fired := time.Since(down)

		kubectl("uncordon", node)
		eventuallyServes(siteURL, "watched")
		back := time.Now()
		Eventually(func(g Gomega) {
			g.Expect(promSum(g, prom, firing)).To(BeZero())
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		report(fmt.Sprintf("WebServerSiteDown fired %s after the pods went and resolved %s after the site answered again",
			fired.Round(time.Second), time.Since(back).Round(time.Second)))
	})
})
