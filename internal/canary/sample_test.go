package canary

import (
	"math"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/webserver-operator/webserver-operator/internal/sidecar"
)

var inf = math.Inf(1)

// histogram builds cumulative buckets from pairs of upper bound and count.
func histogram(boundsAndCounts ...float64) []Bucket {
	buckets := make([]Bucket, 0, len(boundsAndCounts)/2)
	for i := 0; i < len(boundsAndCounts); i += 2 {
		buckets = append(buckets, Bucket{UpperBound: boundsAndCounts[i], Count: boundsAndCounts[i+1]})
	}
	return buckets
}

// TestParseSampleReadsTheSidecar scrapes what a sidecar's registry serves, so a change of the
// sidecar's metrics that the analysis cannot read fails here.
func TestParseSampleReadsTheSidecar(t *testing.T) {
	reg := prometheus.NewRegistry()
	requests := sidecar.NewRequests(reg, "abc123")
	for _, rec := range []sidecar.Record{
		{Status: 200, Method: "GET", Duration: 0.004, Bytes: 612},
		{Status: 200, Method: "HEAD", Duration: 0.004},
		{Status: 200, Method: "GET", Duration: 0.02, Bytes: 612},
		{Status: 404, Method: "GET", Duration: 0.0005, Bytes: 150},
		{Status: 503, Method: "POST", Duration: 0.3, Bytes: 494},
		{Status: 500, Method: "GET", Duration: 7, Bytes: 494},
	} {
		requests.Observe(rec)
	}
	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()

	got, err := ParseSample(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	counts := []float64{1, 1, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 6, 6}
	want := Sample{Requests: 6, Errors: 2}
	for i, bound := range append(slices.Clone(sidecar.DurationBuckets), inf) {
		want.Buckets = append(want.Buckets, Bucket{UpperBound: bound, Count: counts[i]})
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func TestParseSample(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       Sample
		wantErr    bool
	}{
		{name: "empty body"},
		{name: "no request answered yet", body: "# TYPE webserver_nginx_up gauge\nwebserver_nginx_up{revision=\"r1\"} 1\n"},
		{name: "label sets summed", body: `# TYPE webserver_http_requests_total counter
webserver_http_requests_total{class="2xx",code="200",method="GET",revision="r1"} 7
webserver_http_requests_total{class="5xx",code="502",method="GET",revision="r1"} 2
webserver_http_requests_total{class="5xx",code="504",method="POST",revision="r1"} 1
# TYPE webserver_http_request_duration_seconds histogram
webserver_http_request_duration_seconds_bucket{class="2xx",revision="r1",le="0.1"} 6
webserver_http_request_duration_seconds_bucket{class="2xx",revision="r1",le="+Inf"} 7
webserver_http_request_duration_seconds_sum{class="2xx",revision="r1"} 1.2
webserver_http_request_duration_seconds_count{class="2xx",revision="r1"} 7
webserver_http_request_duration_seconds_bucket{class="5xx",revision="r1",le="0.1"} 1
webserver_http_request_duration_seconds_bucket{class="5xx",revision="r1",le="+Inf"} 3
webserver_http_request_duration_seconds_sum{class="5xx",revision="r1"} 90
webserver_http_request_duration_seconds_count{class="5xx",revision="r1"} 3
`, want: Sample{Requests: 10, Errors: 3, Buckets: histogram(0.1, 7, inf, 10)}},
		{name: "+Inf bucket from the count", body: `# TYPE webserver_http_request_duration_seconds histogram
webserver_http_request_duration_seconds_bucket{le="0.1"} 4
webserver_http_request_duration_seconds_count 5
`, want: Sample{Buckets: histogram(0.1, 4, inf, 5)}},
		{name: "malformed", body: "webserver_http_requests_total{class=\"2xx\" 3\n", wantErr: true},
		{name: "requests not a counter", body: "# TYPE webserver_http_requests_total gauge\nwebserver_http_requests_total 3\n", wantErr: true},
		{name: "duration not a histogram", body: "# TYPE webserver_http_request_duration_seconds gauge\nwebserver_http_request_duration_seconds 3\n", wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSample(strings.NewReader(tc.body))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error: %v, want error %v", err, tc.wantErr)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSince(t *testing.T) {
	earlier := Sample{Requests: 10, Errors: 1, Buckets: histogram(0.1, 5, 0.2, 9, inf, 10)}
	now := Sample{Requests: 30, Errors: 4, Buckets: histogram(0.1, 15, 0.2, 25, inf, 30)}
	for _, tc := range []struct {
		name       string
		s, earlier Sample
		want       Sample
	}{
		{name: "window", s: now, earlier: earlier,
			want: Sample{Requests: 20, Errors: 3, Buckets: histogram(0.1, 10, 0.2, 16, inf, 20)}},
		{name: "no traffic", s: now, earlier: now, want: Sample{Buckets: histogram(0.1, 0, 0.2, 0, inf, 0)}},
		{name: "since a pod that had answered nothing", s: now, earlier: Sample{}, want: now},
		{name: "requests reset", s: Sample{Requests: 4, Buckets: histogram(0.1, 4, 0.2, 4, inf, 4)}, earlier: earlier,
			want: Sample{Requests: 4, Buckets: histogram(0.1, 4, 0.2, 4, inf, 4)}},
		{name: "errors reset", s: Sample{Requests: 30, Errors: 0, Buckets: now.Buckets}, earlier: earlier,
			want: Sample{Requests: 30, Errors: 0, Buckets: now.Buckets}},
		{name: "bucket reset", s: Sample{Requests: 30, Errors: 4, Buckets: histogram(0.1, 3, 0.2, 25, inf, 30)}, earlier: earlier,
			want: Sample{Requests: 30, Errors: 4, Buckets: histogram(0.1, 3, 0.2, 25, inf, 30)}},
		{name: "restarted without traffic", s: Sample{}, earlier: earlier, want: Sample{}},
		{name: "new bucket layout", s: Sample{Requests: 30, Errors: 4, Buckets: histogram(0.5, 30, inf, 30)}, earlier: earlier,
			want: Sample{Requests: 30, Errors: 4, Buckets: histogram(0.5, 30, inf, 30)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.Since(tc.earlier); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestSum(t *testing.T) {
	pod := Sample{Requests: 10, Errors: 1, Buckets: histogram(0.1, 5, inf, 10)}
	for _, tc := range []struct {
		name    string
		samples []Sample
		want    Sample
	}{
		{name: "no pods", want: Sample{}},
		{name: "one pod", samples: []Sample{pod}, want: pod},
		{name: "same layout", samples: []Sample{pod, {Requests: 4, Errors: 2, Buckets: histogram(0.1, 1, inf, 4)}},
			want: Sample{Requests: 14, Errors: 3, Buckets: histogram(0.1, 6, inf, 14)}},
		{name: "pod that answered nothing", samples: []Sample{{}, pod, {}}, want: pod},
		{name: "different layouts", samples: []Sample{
			{Requests: 4, Buckets: histogram(1, 2, inf, 4)},
			{Requests: 3, Buckets: histogram(0.5, 1, 2, 3, inf, 3)},
		}, want: Sample{Requests: 7, Buckets: histogram(0.5, 1, 1, 3, 2, 5, inf, 7)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Sum(tc.samples...); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	bounded := Sample{Buckets: histogram(0.1, 10, 0.2, 30, 0.4, 40, inf, 40)}
	slowTail := Sample{Buckets: histogram(0.1, 10, 0.2, 30, 0.4, 40, inf, 50)}
	for _, tc := range []struct {
		name   string
		s      Sample
		q      float64
		want   time.Duration
		wantOK bool
	}{
		{name: "first bucket starts at zero", s: bounded, q: 0.05, want: 20 * time.Millisecond, wantOK: true},
		{name: "median", s: bounded, q: 0.5, want: 150 * time.Millisecond, wantOK: true},
		{name: "p95", s: bounded, q: 0.95, want: 360 * time.Millisecond, wantOK: true},
		{name: "maximum", s: bounded, q: 1, want: 400 * time.Millisecond, wantOK: true},
		{name: "median with a slow tail", s: slowTail, q: 0.5, want: 175 * time.Millisecond, wantOK: true},
		{name: "in the +Inf bucket", s: slowTail, q: 0.95, want: 400 * time.Millisecond, wantOK: true},
		{name: "no buckets", s: Sample{}, q: 0.95},
		{name: "no observations", s: Sample{Buckets: histogram(0.1, 0, inf, 0)}, q: 0.95},
		{name: "no finite bound", s: Sample{Buckets: histogram(inf, 3)}, q: 0.95},
		{name: "q above 1", s: bounded, q: 1.5},
		{name: "q below 0", s: bounded, q: -0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := tc.s.Quantile(tc.q)
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("got %v, %v, want %v, %v", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
