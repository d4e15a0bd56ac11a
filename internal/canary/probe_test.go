package canary

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    int
		// answer is the status of the i-th request (from 1); nil is a server that is gone.
		answer func(i int64, cancel context.CancelFunc, r *http.Request) int
		// cancelFirst ends the context before the first request.
		cancelFirst  bool
		want         Synthetic
		firstFailure []string
	}{
		{name: "all answered", n: 3, answer: func(int64, context.CancelFunc, *http.Request) int { return http.StatusOK },
			want: Synthetic{Sent: 3}},
		{name: "200 then 500", n: 5, answer: func(i int64, _ context.CancelFunc, _ *http.Request) int {
			if i <= 2 {
				return http.StatusOK
			}
			return http.StatusInternalServerError
		}, want: Synthetic{Sent: 5, Failed: 3}, firstFailure: []string{"GET http://", "answered 500"}},
		{name: "client errors fail too", n: 2, answer: func(int64, context.CancelFunc, *http.Request) int { return http.StatusNotFound },
			want: Synthetic{Sent: 2, Failed: 2}, firstFailure: []string{"answered 404"}},
		{name: "server gone", n: 3, want: Synthetic{Sent: 3, Failed: 3}, firstFailure: []string{`Get "http://`}},
		{name: "cancelled before", n: 3, cancelFirst: true, answer: func(int64, context.CancelFunc, *http.Request) int { return http.StatusOK }},
		{name: "cancelled during the third", n: 5, answer: func(i int64, cancel context.CancelFunc, r *http.Request) int {
			if i == 3 {
				cancel()
				<-r.Context().Done()
			}
			return http.StatusOK
		}, want: Synthetic{Sent: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tc.answer(requests.Add(1), cancel, r))
				_, _ = w.Write([]byte("body to drain"))
			}))
			defer srv.Close()
			if tc.answer == nil {
				srv.Close()
			}
			if tc.cancelFirst {
				cancel()
			}

			got := Check(ctx, srv.Client(), srv.URL, tc.n)
			first := got.FirstFailure
			got.FirstFailure = ""
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
			if (first == "") != (len(tc.firstFailure) == 0) {
				t.Errorf("first failure %q, want one containing %q", first, tc.firstFailure)
			}
			for _, part := range tc.firstFailure {
				if !strings.Contains(first, part) {
					t.Errorf("first failure %q does not contain %q", first, part)
				}
			}
		})
	}
}
