package canary

import (
	"context"
	"fmt"
	"io"
	"net/http"
)

// drainLimit bounds what is read of a body only so the connection can be reused.
const drainLimit = 64 << 10

// Check sends n GET requests to url, one after the other, and counts those that fail: a transport
// error or a status of 400 or more. It stops when ctx ends; a request cut short by that is not
// the canary's failure and is not counted. A nil client is http.DefaultClient.
func Check(ctx context.Context, client *http.Client, url string, n int) Synthetic {
	if client == nil {
		client = http.DefaultClient
	}
	var s Synthetic
	for range n {
		if ctx.Err() != nil {
			break
		}
		err := get(ctx, client, url)
		if err != nil && ctx.Err() != nil {
			break
		}
		s.Sent++
		if err != nil {
			s.Failed++
			if s.FirstFailure == "" {
				s.FirstFailure = err.Error()
			}
		}
	}
	return s
}

func get(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, drainLimit))
	if resp.StatusCode >= http.StatusBadRequest {
		return fmt.Errorf("GET %s answered %d", url, resp.StatusCode)
	}
	return nil
}
