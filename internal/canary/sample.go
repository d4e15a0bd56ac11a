package canary

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/webserver-operator/webserver-operator/internal/sidecar"
)

const serverErrorClass = "5xx"

// Sample is what the sidecar of one pod, or of several pods added together, counted.
// Like the counters it is read from, it is cumulative: Since turns two of them into a window.
type Sample struct {
	Requests, Errors float64
	// Buckets is the request duration histogram summed over status classes.
	Buckets []Bucket
}

// Bucket is one cumulative bucket of a histogram: the requests that took at most UpperBound seconds.
type Bucket struct {
	UpperBound, Count float64
}

// ParseSample reads a sidecar's /metrics body in the Prometheus text format.
// A body without request metrics is a pod that has answered nothing yet, so it yields zeros.
func ParseSample(r io.Reader) (Sample, error) {
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		return Sample{}, fmt.Errorf("parsing metrics: %w", err)
	}
	var s Sample
	if f, ok := families[sidecar.RequestsTotal]; ok {
		if f.GetType() != dto.MetricType_COUNTER {
			return Sample{}, fmt.Errorf("%s is a %s, want a counter", sidecar.RequestsTotal, f.GetType())
		}
		for _, m := range f.GetMetric() {
			v := m.GetCounter().GetValue()
			s.Requests += v
			if label(m, "class") == serverErrorClass {
				s.Errors += v
			}
		}
	}
	if f, ok := families[sidecar.RequestDuration]; ok {
		if f.GetType() != dto.MetricType_HISTOGRAM {
			return Sample{}, fmt.Errorf("%s is a %s, want a histogram", sidecar.RequestDuration, f.GetType())
		}
		for _, m := range f.GetMetric() {
			s.Buckets = addBuckets(s.Buckets, histogramBuckets(m.GetHistogram()))
		}
	}
	return s, nil
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

func histogramBuckets(h *dto.Histogram) []Bucket {
	buckets := make([]Bucket, 0, len(h.GetBucket())+1)
	for _, b := range h.GetBucket() {
		// The parser fills exactly one of the integer and the float count.
		count := float64(b.GetCumulativeCount()) + b.GetCumulativeCountFloat()
		buckets = append(buckets, Bucket{UpperBound: b.GetUpperBound(), Count: count})
	}
	slices.SortFunc(buckets, func(a, b Bucket) int { return cmp.Compare(a.UpperBound, b.UpperBound) })
	if n := len(buckets); n == 0 || !math.IsInf(buckets[n-1].UpperBound, 1) {
		total := float64(h.GetSampleCount()) + h.GetSampleCountFloat()
		buckets = append(buckets, Bucket{UpperBound: math.Inf(1), Count: total})
	}
	return buckets
}

// Since is what s counted after earlier, both read from the same pod. When a counter went down the
// sidecar restarted in between, and s itself is the best account of the window: all since the restart.
func (s Sample) Since(earlier Sample) Sample {
	if s.Requests < earlier.Requests || s.Errors < earlier.Errors || !sameBounds(s.Buckets, earlier.Buckets) {
		return s
	}
	delta := Sample{Requests: s.Requests - earlier.Requests, Errors: s.Errors - earlier.Errors}
	for i, b := range s.Buckets {
		if b.Count < earlier.Buckets[i].Count {
			return s
		}
		delta.Buckets = append(delta.Buckets, Bucket{UpperBound: b.UpperBound, Count: b.Count - earlier.Buckets[i].Count})
	}
	return delta
}

// sameBounds tells whether two histograms share their layout. The layout is compiled into the
// sidecar, so a pod whose layout changed runs a new sidecar, which started from zero.
func sameBounds(a, b []Bucket) bool {
	return slices.EqualFunc(a, b, func(x, y Bucket) bool { return x.UpperBound == y.UpperBound })
}

// Sum adds the samples of several pods into one.
func Sum(samples ...Sample) Sample {
	var sum Sample
	for _, s := range samples {
		sum.Requests += s.Requests
		sum.Errors += s.Errors
		sum.Buckets = addBuckets(sum.Buckets, s.Buckets)
	}
	return sum
}

// addBuckets adds two cumulative histograms bound by bound. Where only one of them has a bound,
// the other contributes its count at its next lower bound, which keeps the sum cumulative.
func addBuckets(a, b []Bucket) []Bucket {
	sum := make([]Bucket, 0, max(len(a), len(b)))
	var i, j int
	var countA, countB float64
	for i < len(a) || j < len(b) {
		bound := math.Inf(1)
		if i < len(a) {
			bound = a[i].UpperBound
		}
		if j < len(b) {
			bound = min(bound, b[j].UpperBound)
		}
		if i < len(a) && a[i].UpperBound == bound {
			countA = a[i].Count
			i++
		}
		if j < len(b) && b[j].UpperBound == bound {
			countB = b[j].Count
			j++
		}
		sum = append(sum, Bucket{UpperBound: bound, Count: countA + countB})
	}
	return sum
}

// Quantile estimates the q-quantile (0 ≤ q ≤ 1) of the request durations as PromQL's
// histogram_quantile does: linearly inside the bucket it falls in, and at the highest finite
// bound when it falls in the +Inf bucket. It is false without observations.
func (s Sample) Quantile(q float64) (time.Duration, bool) {
	n := len(s.Buckets)
	if n < 2 || s.Buckets[n-1].Count == 0 || q < 0 || q > 1 {
		return 0, false
	}
	rank := q * s.Buckets[n-1].Count
	i, _ := slices.BinarySearchFunc(s.Buckets, rank, func(b Bucket, r float64) int { return cmp.Compare(b.Count, r) })
	if i == n-1 {
		return seconds(s.Buckets[n-2].UpperBound), true
	}
	start, count := 0.0, s.Buckets[i].Count
	if i > 0 {
		start = s.Buckets[i-1].UpperBound
		count -= s.Buckets[i-1].Count
		rank -= s.Buckets[i-1].Count
	}
	if count == 0 {
		return seconds(start), true
	}
	return seconds(start + (s.Buckets[i].UpperBound-start)*rank/count), true
}

func seconds(s float64) time.Duration {
	return time.Duration(math.Round(s * float64(time.Second)))
}
