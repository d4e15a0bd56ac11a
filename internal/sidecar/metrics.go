package sidecar

import (
	"strconv"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names of the operand (the canary analysis and the alerts read these).
const (
	RequestsTotal   = "webserver_http_requests_total"
	RequestDuration = "webserver_http_request_duration_seconds"
	ResponseBytes   = "webserver_http_response_bytes_total"
	LogErrorsTotal  = "webserver_metrics_log_errors_total"
	RevisionLabel   = "revision"
)

// DurationBuckets span a static file served from memory to a slow upstream.
var DurationBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// Requests counts and times what nginx logged, labelled with the pod's revision.
type Requests struct {
	total     *prometheus.CounterVec
	duration  *prometheus.HistogramVec
	bytes     prometheus.Counter
	logErrors prometheus.Counter

	// children caches the series of each status code and method, so a request costs no
	// label hashing; the method label is bounded, the code by nginx's three digits.
	childrenMu sync.Mutex
	children   map[seriesKey]series
}

type seriesKey struct {
	status int
	method string
}

type series struct {
	total    prometheus.Counter
	duration prometheus.Observer
}

// NewRequests registers the request metrics of revision on reg.
func NewRequests(reg prometheus.Registerer, revision string) *Requests {
	constLabels := prometheus.Labels{RevisionLabel: revision}
	r := &Requests{
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: RequestsTotal, ConstLabels: constLabels,
			Help: "Requests nginx answered, by status code, status class and method.",
		}, []string{"code", "class", "method"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: RequestDuration, ConstLabels: constLabels, Buckets: DurationBuckets,
			Help: "Time from the first byte read from the client to the last byte sent, by status class.",
		}, []string{"class"}),
		bytes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: ResponseBytes, ConstLabels: constLabels,
			Help: "Bytes sent to clients, headers included.",
		}),
		logErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: LogErrorsTotal, ConstLabels: constLabels,
			Help: "Lines of nginx's request log that could not be read as a request record.",
		}),
	}
	reg.MustRegister(r.total, r.duration, r.bytes, r.logErrors)
	return r
}

// Observe adds one logged request.
func (r *Requests) Observe(rec Record) {
	s := r.series(rec)
	s.total.Inc()
	s.duration.Observe(rec.Duration)
	r.bytes.Add(rec.Bytes)
}

func (r *Requests) series(rec Record) series {
	key := seriesKey{status: rec.Status, method: rec.MethodLabel()}
	r.childrenMu.Lock()
	defer r.childrenMu.Unlock()
	s, ok := r.children[key]
	if !ok {
		class := rec.CodeClass()
		s = series{
			total:    r.total.WithLabelValues(strconv.Itoa(key.status), class, key.method),
			duration: r.duration.WithLabelValues(class),
		}
		if r.children == nil {
			r.children = map[seriesKey]series{}
		}
		r.children[key] = s
	}
	return s
}

// ObserveLine parses a line of nginx's request log and adds its request, counting what it
// cannot read.
func (r *Requests) ObserveLine(line []byte) {
	rec, err := ParseRecord(line)
	if err != nil {
		r.logErrors.Inc()
		return
	}
	r.Observe(rec)
}

// Unreadable counts a line that is no request record.
func (r *Requests) Unreadable() { r.logErrors.Inc() }
