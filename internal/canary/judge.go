package canary

import (
	"fmt"
	"math"
	"time"
)

// Measurement is what a judgement needs of a window of traffic.
type Measurement struct {
	Requests, Errors int64
	P95              time.Duration
}

// Measure reduces a window of traffic to its measurement.
func Measure(s Sample) Measurement {
	p95, _ := s.Quantile(0.95)
	return Measurement{Requests: int64(math.Round(s.Requests)), Errors: int64(math.Round(s.Errors)), P95: p95}
}

// ErrorRatio is the share of requests that failed, 0 without requests.
func (m Measurement) ErrorRatio() float64 {
	if m.Requests == 0 {
		return 0
	}
	return float64(m.Errors) / float64(m.Requests)
}

func (m Measurement) String() string {
	p95 := "n/a"
	if m.Requests > 0 {
		p95 = shortDuration(m.P95).String()
	}
	return fmt.Sprintf("%d requests, %d errors (%s), p95 %s", m.Requests, m.Errors, percent(m.ErrorRatio()), p95)
}

// Thresholds say how much worse than the stable pods, and than absolute limits, a canary may be.
type Thresholds struct {
	// MinRequests is the traffic below which a side's numbers say too little to judge on.
	MinRequests int64
	// MaxErrorRatio (0..1) bounds the canary's error ratio and that of the synthetic checks.
	MaxErrorRatio float64
	// ErrorRatioMargin (0..1) is how far the canary's error ratio may exceed the stable pods'.
	ErrorRatioMargin float64
	// MaxP95 bounds the canary's p95 latency; 0 sets no bound.
	MaxP95 time.Duration
	// LatencyMargin is how far, relatively, the canary's p95 may exceed the stable pods'
	// (0.5: by half).
	LatencyMargin float64
	// LatencyTolerance is a difference of p95 that never fails, however large relatively:
	// below the resolution of the buckets it is noise.
	LatencyTolerance time.Duration
}

// Synthetic is the outcome of the synthetic checks sent to the canary pods.
type Synthetic struct {
	Sent, Failed int
	FirstFailure string
}

// Outcome is the decision of a judgement.
type Outcome string

const (
	// Passed means the canary did no worse than the thresholds allow.
	Passed Outcome = "Passed"
	// Failed means the canary did worse than the thresholds allow.
	Failed Outcome = "Failed"
	// Inconclusive means the canary answered too little traffic to decide.
	Inconclusive Outcome = "Inconclusive"
)

// Verdict is an outcome and, for people, the numbers that decided it.
type Verdict struct {
	Outcome Outcome
	Message string
}

// Judge decides on a canary from its traffic, the stable pods' traffic over the same window and
// the synthetic checks. The first rule broken decides; absolute limits come before the comparison
// with the stable pods, which is skipped when they answered too little to be a baseline.
func Judge(canary, stable Measurement, synthetic Synthetic, t Thresholds) Verdict {
	if synthetic.Sent > 0 && float64(synthetic.Failed)/float64(synthetic.Sent) > t.MaxErrorRatio {
		return failed("%d of %d synthetic checks failed: %s", synthetic.Failed, synthetic.Sent, synthetic.FirstFailure)
	}
	if canary.Requests < t.MinRequests {
		return Verdict{Outcome: Inconclusive,
			Message: fmt.Sprintf("canary answered %d requests, fewer than the %d an analysis needs", canary.Requests, t.MinRequests)}
	}
	if ratio := canary.ErrorRatio(); ratio > t.MaxErrorRatio {
		return failed("canary error ratio %s (%d of %d) is above the limit of %s",
			percent(ratio), canary.Errors, canary.Requests, percent(t.MaxErrorRatio))
	}
	if t.MaxP95 > 0 && canary.P95 > t.MaxP95 {
		return failed("canary p95 %s is above the limit of %s", shortDuration(canary.P95), t.MaxP95)
	}
	summary := fmt.Sprintf("canary: %s; stable: %s", canary, stable)
	if stable.Requests < t.MinRequests {
		return Verdict{Outcome: Passed, Message: fmt.Sprintf(
			"%s; the stable pods answered fewer than %d requests, so the comparison with them was skipped and only the absolute limits applied",
			summary, t.MinRequests)}
	}
	if v, ok := compare(canary, stable, t); !ok {
		return v
	}
	return Verdict{Outcome: Passed, Message: summary}
}

// compare holds the canary against the stable pods; ok is false with the failing verdict.
func compare(canary, stable Measurement, t Thresholds) (Verdict, bool) {
	if canary.ErrorRatio() > stable.ErrorRatio()+t.ErrorRatioMargin {
		return failed("canary error ratio %s (%d of %d) exceeds the stable pods' %s (%d of %d) by more than %.2f percentage points",
			percent(canary.ErrorRatio()), canary.Errors, canary.Requests,
			percent(stable.ErrorRatio()), stable.Errors, stable.Requests, 100*t.ErrorRatioMargin), false
	}
	limit := time.Duration(float64(stable.P95) * (1 + t.LatencyMargin))
	if canary.P95 > limit && canary.P95-stable.P95 > t.LatencyTolerance {
		return failed("canary p95 %s is %s above the stable pods' %s: more than %.0f%% and more than %s",
			shortDuration(canary.P95), shortDuration(canary.P95-stable.P95), shortDuration(stable.P95), 100*t.LatencyMargin, t.LatencyTolerance), false
	}
	return Verdict{}, true
}

func failed(format string, args ...any) Verdict {
	return Verdict{Outcome: Failed, Message: fmt.Sprintf(format, args...)}
}

func percent(ratio float64) string {
	return fmt.Sprintf("%.2f%%", 100*ratio)
}

// shortDuration keeps three significant digits: an estimate from histogram buckets has no more.
func shortDuration(d time.Duration) time.Duration {
	unit := time.Duration(1)
	for d/unit >= 1000 {
		unit *= 10
	}
	return d.Round(unit)
}
