package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	"github.com/webserver-operator/webserver-operator/internal/resources"
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
	It("scrapes both pods through the PodMonitor and counts exactly what was sent", func() {
		Eventually(func(g Gomega) {
			g.Expect(promValue(g, prom, fmt.Sprintf(`sum(up{namespace=%q,%s=%q})`, namespace, resources.WebServerLabel, name))).To(Equal(2.0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		sel := fmt.Sprintf(`namespace=%q,%s=%q`, namespace, resources.WebServerLabel, name)
		count := func(g Gomega, code string) float64 {
			return promSum(g, prom, fmt.Sprintf(`sum(webserver_http_requests_total{%s,code=%q})`, sel, code))
		}
		// What reached the site before (the readiness wait), once Prometheus has scraped it.
		var ok0, missing0 float64
		Eventually(func(g Gomega) {
			ok0 = count(g, "200")
			g.Expect(ok0).To(BeNumerically(">", 0))
		}).WithTimeout(long).WithPolling(2 * poll).Should(Succeed())
		missing0 = count(Default, "404")
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
})
