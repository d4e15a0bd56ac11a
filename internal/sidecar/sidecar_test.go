package sidecar

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
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
		{name: "nginx syslog message", msg: `<190>Dec  2 14:50:54 nginx: {"status":200,"method":"GET","duration":0.004,"bytes":612}`,
			want: Record{Status: 200, Method: "GET", Duration: 0.004, Bytes: 612}},
		{name: "trailing newline", msg: "<190>nginx: {\"status\":404,\"method\":\"HEAD\",\"duration\":0.000,\"bytes\":0}\n",
			want: Record{Status: 404, Method: "HEAD", Bytes: 0}},
		{name: "escaped method", msg: `<190>nginx: {"status":400,"method":"\"GET","duration":0.001,"bytes":150}`,
			want: Record{Status: 400, Method: `"GET`, Duration: 0.001, Bytes: 150}},
		{name: "slow request", msg: `<190>nginx: {"status":504,"method":"POST","duration":61.020,"bytes":494}`,
			want: Record{Status: 504, Method: "POST", Duration: 61.02, Bytes: 494}},
		{name: "unknown method", msg: `<190>nginx: {"status":405,"method":"PROPFIND","duration":0.000,"bytes":157}`,
			want: Record{Status: 405, Method: "PROPFIND", Bytes: 157}},
		{name: "no record", msg: "<190>nginx: something else", wantErr: true},
		{name: "truncated", msg: `<190>nginx: {"status":200,"meth`, wantErr: true},
		{name: "status out of range", msg: `<190>nginx: {"status":0,"method":"GET","duration":0,"bytes":0}`, wantErr: true},
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

// TestDroppedFollowsTheKernelsCount: the kernel reports a running total.
func TestDroppedFollowsTheKernelsCount(t *testing.T) {
	requests := NewRequests(prometheus.NewPedanticRegistry(), "r1")
	for _, count := range []uint32{3, 3, 10} {
		requests.Dropped(count)
	}
	if got := testutil.ToFloat64(requests.dropped); got != 10 {
		t.Errorf("dropped: got %v, want 10", got)
	}
}

// TestReceiveCountsEveryDatagram sends records over a real UDP socket, as nginx does.
func TestReceiveCountsEveryDatagram(t *testing.T) {
	conn, err := ListenLog("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	requests := NewRequests(reg, "r1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Receive(ctx, conn, requests.ObserveMessage, requests.Dropped) }()

	sender, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	const ok, notFound = 900, 100
	for i := range ok + notFound {
		status := 200
		if i%10 == 0 {
			status = 404
		}
		msg := fmt.Sprintf(`<190>Dec  2 14:50:54 nginx: {"status":%d,"method":"GET","duration":0.002,"bytes":100}`, status)
		if _, err := sender.Write([]byte(msg)); err != nil {
			t.Fatal(err)
		}
	}
	_, _ = sender.Write([]byte("<190>nginx: not a record"))

	deadline := time.Now().Add(5 * time.Second)
	for testutil.ToFloat64(requests.logErrors) < 1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := testutil.ToFloat64(requests.total.WithLabelValues("200", "2xx", "GET")); got != ok {
		t.Errorf("200s: got %v, want %d", got, ok)
	}
	if got := testutil.ToFloat64(requests.total.WithLabelValues("404", "4xx", "GET")); got != notFound {
		t.Errorf("404s: got %v, want %d", got, notFound)
	}
	if got := testutil.ToFloat64(requests.bytes); got != 100*(ok+notFound) {
		t.Errorf("bytes: got %v", got)
	}
	if got := testutil.ToFloat64(requests.dropped); got != 0 {
		t.Errorf("dropped: got %v, want 0", got)
	}
	if got := testutil.CollectAndCount(requests.duration); got != 2 {
		t.Errorf("duration series: got %d, want 2 (2xx and 4xx)", got)
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Receive: %v", err)
	}
}

// TestReceiveReportsWhatTheKernelDropped overflows a small receive buffer before reading:
// what is not counted as a request is counted as dropped.
func TestReceiveReportsWhatTheKernelDropped(t *testing.T) {
	conn, err := ListenLog("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.SetReadBuffer(4096); err != nil {
		t.Fatal(err)
	}
	sender, err := net.DialUDP("udp", nil, conn.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	const sent = 500
	for range sent {
		if _, err := sender.Write([]byte(`<190>nginx: {"status":200,"method":"GET","duration":0.001,"bytes":10}`)); err != nil {
			t.Fatal(err)
		}
	}
	requests := NewRequests(prometheus.NewPedanticRegistry(), "r1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { _ = Receive(ctx, conn, requests.ObserveMessage, requests.Dropped) }()
	// The drop count arrives with the next datagram read after the drops.
	time.Sleep(100 * time.Millisecond)
	if _, err := sender.Write([]byte(`<190>nginx: {"status":200,"method":"GET","duration":0.001,"bytes":10}`)); err != nil {
		t.Fatal(err)
	}
	counted := func() float64 { return testutil.ToFloat64(requests.total.WithLabelValues("200", "2xx", "GET")) }
	deadline := time.Now().Add(5 * time.Second)
	for counted()+testutil.ToFloat64(requests.dropped) < sent+1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	got, dropped := counted(), testutil.ToFloat64(requests.dropped)
	if dropped == 0 || got+dropped != sent+1 {
		t.Errorf("counted %v and dropped %v of %d", got, dropped, sent+1)
	}
}

// BenchmarkObserveMessage is the metrics container's work per request nginx logs.
func BenchmarkObserveMessage(b *testing.B) {
	requests := NewRequests(prometheus.NewPedanticRegistry(), "r1")
	msg := []byte(`<190>Dec  2 14:50:54 nginx: {"status":200,"method":"GET","duration":0.004,"bytes":612}`)
	b.ReportAllocs()
	for b.Loop() {
		requests.ObserveMessage(msg)
	}
}
