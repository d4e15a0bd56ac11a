package sidecar

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func TestParseRecord(t *testing.T) {
	for _, tc := range []struct {
		name, msg string
		want      Record
		wantErr   bool
	}{
		{name: "nginx log line", msg: `{"status":200,"method":"GET","duration":0.004,"bytes":612}` + "\n",
			want: Record{Status: 200, Method: "GET", Duration: 0.004, Bytes: 612}},
		{name: "no newline", msg: `{"status":404,"method":"HEAD","duration":0.000,"bytes":0}`,
			want: Record{Status: 404, Method: "HEAD", Bytes: 0}},
		{name: "escaped method", msg: `{"status":400,"method":"\"GET","duration":0.001,"bytes":150}` + "\n",
			want: Record{Status: 400, Method: `"GET`, Duration: 0.001, Bytes: 150}},
		{name: "slow request", msg: `{"status":504,"method":"POST","duration":61.020,"bytes":494}` + "\n",
			want: Record{Status: 504, Method: "POST", Duration: 61.02, Bytes: 494}},
		{name: "unknown method", msg: `{"status":405,"method":"PROPFIND","duration":0.000,"bytes":157}` + "\n",
			want: Record{Status: 405, Method: "PROPFIND", Bytes: 157}},
		{name: "no record", msg: "something else\n", wantErr: true},
		{name: "truncated", msg: `{"status":200,"meth`, wantErr: true},
		{name: "status out of range", msg: `{"status":0,"method":"GET","duration":0,"bytes":0}`, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRecord([]byte(tc.msg))
			if (err != nil) != tc.wantErr {
				t.Fatalf("error: %v, want error %v", err, tc.wantErr)
			}
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

// FuzzParseLogFormat: whatever the fast reader accepts, encoding/json reads the same way.
func FuzzParseLogFormat(f *testing.F) {
	for _, seed := range []string{
		`{"status":200,"method":"GET","duration":0.004,"bytes":612}`,
		`{"status":400,"method":"\"GET","duration":0.001,"bytes":150}`,
		`{"status":504,"method":"POST","duration":61.020,"bytes":494}`,
		`{"status":200,"method":"GET","duration":0.004,"bytes":612}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, record []byte) {
		fast, ok := parseLogFormat(record)
		if !ok {
			return
		}
		var slow Record
		if err := json.Unmarshal(record, &slow); err != nil {
			t.Fatalf("fast reader accepted %q, which is not JSON: %v", record, err)
		}
		if fast != slow {
			t.Fatalf("%q: fast %+v, encoding/json %+v", record, fast, slow)
		}
	})
}

func TestLabels(t *testing.T) {
	for _, tc := range []struct {
		rec           Record
		method, class string
	}{
		{Record{Status: 200, Method: "GET"}, "GET", "2xx"},
		{Record{Status: 503, Method: "POST"}, "POST", "5xx"},
		{Record{Status: 400, Method: ""}, "other", "4xx"},
		{Record{Status: 301, Method: "PROPFIND"}, "other", "3xx"},
	} {
		if got := tc.rec.MethodLabel(); got != tc.method {
			t.Errorf("%+v: method %q, want %q", tc.rec, got, tc.method)
		}
		if got := tc.rec.CodeClass(); got != tc.class {
			t.Errorf("%+v: class %q, want %q", tc.rec, got, tc.class)
		}
	}
}

const stubPage = "Active connections: 3 \nserver accepts handled requests\n 16630948 16630947 31070465 \nReading: 0 Writing: 1 Waiting: 2 \n"

func TestParseStubStatus(t *testing.T) {
	got, err := ParseStubStatus(stubPage)
	if err != nil {
		t.Fatal(err)
	}
	want := StubStatus{Active: 3, Accepted: 16630948, Handled: 16630947, Requests: 31070465, Reading: 0, Writing: 1, Waiting: 2}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
	for _, bad := range []string{"", "Active connections: x \nserver accepts handled requests\n 1 1 1 \nReading: 0 Writing: 1 Waiting: 2 \n", "<html>502</html>"} {
		if _, err := ParseStubStatus(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
}

func TestConnectionsReadStubStatusAtEveryScrape(t *testing.T) {
	page := stubPage
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = fmt.Fprint(w, page) }))
	defer srv.Close()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(NewConnections(srv.URL, "abc123"))

	want := `
# HELP webserver_connections Client connections by state (active is the sum of reading, writing and waiting).
# TYPE webserver_connections gauge
webserver_connections{revision="abc123",state="active"} 3
webserver_connections{revision="abc123",state="reading"} 0
webserver_connections{revision="abc123",state="waiting"} 2
webserver_connections{revision="abc123",state="writing"} 1
# HELP webserver_nginx_up 1 when nginx answered its status page at this scrape, else 0.
# TYPE webserver_nginx_up gauge
webserver_nginx_up{revision="abc123"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "webserver_connections", "webserver_nginx_up"); err != nil {
		t.Error(err)
	}
	srv.Close()
	down := "\n# HELP webserver_nginx_up 1 when nginx answered its status page at this scrape, else 0.\n# TYPE webserver_nginx_up gauge\nwebserver_nginx_up{revision=\"abc123\"} 0\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(down), "webserver_nginx_up"); err != nil {
		t.Error(err)
	}
}

// TestReceiveCountsEveryLine writes records into a real named pipe as nginx's workers do:
// several processes, each flushing a buffer of whole lines of at most PIPE_BUF bytes.
func TestReceiveCountsEveryLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.pipe")
	pipe, err := OpenLogPipe(path)
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	requests := NewRequests(reg, "r1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Receive(ctx, pipe, requests.ObserveLine, requests.Unreadable) }()

	const workers, perWorker = 4, 5000
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			w, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			if err != nil {
				t.Error(err)
				return
			}
			defer func() { _ = w.Close() }()
			var buf []byte
			for i := range perWorker {
				status := 200
				if i%10 == 0 {
					status = 404
				}
				line := fmt.Appendf(nil, `{"status":%d,"method":"GET","duration":0.002,"bytes":100}`+"\n", status)
				if len(buf)+len(line) > pipeBufAtomic {
					writeAll(t, w, buf)
					buf = buf[:0]
				}
				buf = append(buf, line...)
			}
			writeAll(t, w, buf)
		})
	}
	wg.Wait()
	w, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	writeAll(t, w, []byte("not a record\n"))
	writeAll(t, w, append(bytes.Repeat([]byte("x"), 2*maxLine), '\n'))
	_ = w.Close()

	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(requests.logErrors) < 2 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	const notFound = workers * perWorker / 10
	if got := testutil.ToFloat64(requests.total.WithLabelValues("200", "2xx", "GET")); got != workers*perWorker-notFound {
		t.Errorf("200s: got %v, want %d", got, workers*perWorker-notFound)
	}
	if got := testutil.ToFloat64(requests.total.WithLabelValues("404", "4xx", "GET")); got != notFound {
		t.Errorf("404s: got %v, want %d", got, notFound)
	}
	if got := testutil.ToFloat64(requests.bytes); got != 100*workers*perWorker {
		t.Errorf("bytes: got %v", got)
	}
	if got := testutil.ToFloat64(requests.logErrors); got != 2 {
		t.Errorf("unreadable lines: got %v, want 2 (not a record, too long)", got)
	}
	if got := testutil.CollectAndCount(requests.duration); got != 2 {
		t.Errorf("duration series: got %d, want 2 (2xx and 4xx)", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Receive: %v", err)
	}
}

// pipeBufAtomic is PIPE_BUF on Linux: a write of at most this many bytes is never
// interleaved with another process's.
const pipeBufAtomic = 4096

func writeAll(t *testing.T, w *os.File, b []byte) {
	t.Helper()
	if _, err := w.Write(b); err != nil {
		t.Error(err)
	}
}

// TestLogPipeSurvivesARestartOfTheReader: nginx keeps the pipe it opened at start, so a
// restarted metrics container must read that same pipe, not make a new one.
func TestLogPipeSurvivesARestartOfTheReader(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.pipe")
	first, err := OpenLogPipe(path)
	if err != nil {
		t.Fatal(err)
	}
	nginx, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = nginx.Close() }()
	_ = first.Close()

	second, err := OpenLogPipe(path)
	if err != nil {
		t.Fatal(err)
	}
	requests := NewRequests(prometheus.NewPedanticRegistry(), "r1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = Receive(ctx, second, requests.ObserveLine, requests.Unreadable) }()
	writeAll(t, nginx, []byte(`{"status":200,"method":"GET","duration":0.001,"bytes":10}`+"\n"))
	counted := func() float64 { return testutil.ToFloat64(requests.total.WithLabelValues("200", "2xx", "GET")) }
	deadline := time.Now().Add(5 * time.Second)
	for counted() < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := counted(); got != 1 {
		t.Errorf("after the restart: counted %v, want 1", got)
	}
}

func TestOpenLogPipeRefusesAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "requests.pipe")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLogPipe(path); err == nil || !strings.Contains(err.Error(), "not a named pipe") {
		t.Errorf("got %v, want an error saying it is not a named pipe", err)
	}
}

// BenchmarkObserveLine is the metrics container's work per request nginx logs.
func BenchmarkObserveLine(b *testing.B) {
	requests := NewRequests(prometheus.NewPedanticRegistry(), "r1")
	line := []byte(`{"status":200,"method":"GET","duration":0.004,"bytes":612}` + "\n")
	b.ReportAllocs()
	for b.Loop() {
		requests.ObserveLine(line)
	}
}
