package canary

import (
	"strings"
	"testing"
	"time"
)

func TestMeasure(t *testing.T) {
	s := Sample{Requests: 40, Errors: 2, Buckets: histogram(0.1, 10, 0.2, 30, 0.4, 40, inf, 40)}
	want := Measurement{Requests: 40, Errors: 2, P95: 360 * time.Millisecond}
	if got := Measure(s); got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got := Measure(Sample{}); got != (Measurement{}) {
		t.Errorf("no traffic: got %+v, want zeros", got)
	}
}

func TestMeasurementString(t *testing.T) {
	for _, tc := range []struct {
		m     Measurement
		want  string
		ratio float64
	}{
		{m: Measurement{Requests: 120, Errors: 3, P95: 12 * time.Millisecond}, want: "120 requests, 3 errors (2.50%), p95 12ms", ratio: 0.025},
		{m: Measurement{Requests: 8, P95: 12345678 * time.Nanosecond}, want: "8 requests, 0 errors (0.00%), p95 12.3ms"},
		{m: Measurement{Requests: 8, Errors: 8, P95: 437 * time.Microsecond}, want: "8 requests, 8 errors (100.00%), p95 437µs", ratio: 1},
		{m: Measurement{}, want: "0 requests, 0 errors (0.00%), p95 n/a"},
	} {
		if got := tc.m.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
		if got := tc.m.ErrorRatio(); got != tc.ratio {
			t.Errorf("%q: error ratio %v, want %v", tc.want, got, tc.ratio)
		}
	}
}

func TestJudge(t *testing.T) {
	thresholds := Thresholds{
		MinRequests: 40, MaxErrorRatio: 0.25, ErrorRatioMargin: 0.125,
		MaxP95: 500 * time.Millisecond, LatencyMargin: 0.5, LatencyTolerance: 25 * time.Millisecond,
	}
	measure := func(requests, errors int64, p95 time.Duration) Measurement {
		return Measurement{Requests: requests, Errors: errors, P95: p95}
	}
	ms := time.Millisecond
	healthy := measure(40, 0, 20*ms)
	stable := measure(80, 10, 20*ms)
	for _, tc := range []struct {
		name           string
		canary, stable Measurement
		synthetic      Synthetic
		thresholds     *Thresholds
		want           Outcome
		message        string
	}{
		{name: "healthy", canary: healthy, stable: stable, synthetic: Synthetic{Sent: 4}, want: Passed,
			message: "canary: 40 requests, 0 errors (0.00%), p95 20ms; stable: 80 requests, 10 errors (12.50%), p95 20ms"},

		{name: "synthetic failures at the limit", canary: healthy, stable: stable,
			synthetic: Synthetic{Sent: 4, Failed: 1, FirstFailure: "GET http://canary/ answered 500"}, want: Passed},
		{name: "synthetic failures above the limit", canary: healthy, stable: stable,
			synthetic: Synthetic{Sent: 4, Failed: 2, FirstFailure: "GET http://canary/ answered 500"}, want: Failed,
			message: "2 of 4 synthetic checks failed: GET http://canary/ answered 500"},
		{name: "synthetic failures decide before too little traffic", canary: measure(0, 0, 0), stable: stable,
			synthetic: Synthetic{Sent: 1, Failed: 1, FirstFailure: "connection refused"}, want: Failed,
			message: "1 of 1 synthetic checks failed: connection refused"},

		{name: "too little canary traffic", canary: measure(39, 0, 20*ms), stable: stable, want: Inconclusive,
			message: "canary answered 39 requests, fewer than the 40 an analysis needs"},

		{name: "error ratio at the limit", canary: measure(40, 10, 20*ms), stable: stable, want: Passed},
		{name: "error ratio above the limit", canary: measure(40, 11, 20*ms), stable: stable, want: Failed,
			message: "canary error ratio 27.50% (11 of 40) is above the limit of 25.00%"},

		{name: "p95 at the limit", canary: measure(40, 0, 500*ms), stable: measure(80, 0, 400*ms), want: Passed},
		{name: "p95 above the limit", canary: measure(40, 0, 501*ms), stable: measure(80, 0, 400*ms), want: Failed,
			message: "canary p95 501ms is above the limit of 500ms"},
		{name: "no p95 limit", canary: measure(40, 0, 10*time.Second), stable: measure(80, 0, 10*time.Second), want: Passed,
			thresholds: &Thresholds{MinRequests: 40, MaxErrorRatio: 0.25, LatencyMargin: 0.5}},

		{name: "error ratio at the margin over stable", canary: measure(40, 5, 20*ms), stable: measure(80, 0, 20*ms), want: Passed},
		{name: "error ratio beyond the margin over stable", canary: measure(40, 6, 20*ms), stable: measure(80, 0, 20*ms), want: Failed,
			message: "canary error ratio 15.00% (6 of 40) exceeds the stable pods' 0.00% (0 of 80) by more than 12.50 percentage points"},

		{name: "p95 slower by the tolerance", canary: measure(40, 0, 45*ms), stable: stable, want: Passed},
		{name: "p95 slower beyond the tolerance", canary: measure(40, 0, 46*ms), stable: stable, want: Failed,
			message: "canary p95 46ms is 26ms above the stable pods' 20ms: more than 50% and more than 25ms"},
		{name: "p95 at the margin over stable", canary: measure(40, 0, 150*ms), stable: measure(80, 0, 100*ms), want: Passed},
		{name: "p95 beyond the margin over stable", canary: measure(40, 0, 151*ms), stable: measure(80, 0, 100*ms), want: Failed,
			message: "canary p95 151ms is 51ms above the stable pods' 100ms"},

		{name: "stable without a baseline", canary: measure(40, 6, 46*ms), stable: measure(39, 0, 20*ms), want: Passed,
			message: "the stable pods answered fewer than 40 requests, so the comparison with them was skipped and only the absolute limits applied"},
		{name: "stable with just a baseline", canary: measure(40, 6, 46*ms), stable: measure(40, 0, 20*ms), want: Failed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			th := thresholds
			if tc.thresholds != nil {
				th = *tc.thresholds
			}
			got := Judge(tc.canary, tc.stable, tc.synthetic, th)
			if got.Outcome != tc.want || !strings.Contains(got.Message, tc.message) {
				t.Errorf("got %s: %q, want %s: %q", got.Outcome, got.Message, tc.want, tc.message)
			}
		})
	}
}
