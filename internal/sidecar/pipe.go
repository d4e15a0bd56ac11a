package sidecar

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// pipeBuffer lets a burst of records wait while the reader is busy (Linux grants an
// unprivileged process up to fs.pipe-max-size, 1 MiB by default).
const pipeBuffer = 1 << 20

// maxLine holds any record LogFormat writes; a longer line is counted as an error.
const maxLine = 64 << 10

// OpenLogPipe makes the named pipe nginx writes its request log to, unless it exists (after
// a restart of this container nginx still writes into the one it opened), and opens it for
// reading and writing: holding the write end too, the reader never sees end-of-file.
func OpenLogPipe(path string) (*os.File, error) {
	if err := unix.Mkfifo(path, 0o600); err != nil && !errors.Is(err, fs.ErrExist) {
		return nil, fmt.Errorf("making the log pipe %s: %w", path, err)
	}
	info, err := os.Lstat(path)
	if err != nil {
		return nil, fmt.Errorf("log pipe: %w", err)
	}
	if info.Mode().Type() != fs.ModeNamedPipe {
		return nil, fmt.Errorf("%s is not a named pipe but %v", path, info.Mode().Type())
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening the log pipe: %w", err)
	}
	// SyscallConn rather than Fd, which would switch the file to blocking reads.
	if raw, err := f.SyscallConn(); err == nil {
		_ = raw.Control(func(fd uintptr) { _, _ = unix.FcntlInt(fd, unix.F_SETPIPE_SZ, pipeBuffer) })
	}
	return f, nil
}

// Receive reads the log pipe line by line until ctx ends, handing each line to observe and
// each line too long to be a record to overlong.
func Receive(ctx context.Context, pipe *os.File, observe func([]byte), overlong func()) error {
	go func() {
		<-ctx.Done()
		_ = pipe.Close()
	}()
	r := bufio.NewReaderSize(&gatheringReader{pipe}, maxLine)
	for {
		line, err := r.ReadSlice('\n')
		switch {
		case err == nil:
			observe(line)
		case errors.Is(err, bufio.ErrBufferFull):
			overlong()
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = r.ReadSlice('\n')
			}
			if err != nil {
				return closedOr(ctx, err)
			}
		default:
			return closedOr(ctx, err)
		}
	}
}

// closedOr is nil when err only says ctx ended and the pipe was closed for it.
func closedOr(ctx context.Context, err error) error {
	if ctx.Err() != nil || errors.Is(err, fs.ErrClosed) {
		return nil
	}
	return err
}

// gatherPause is how long the reader waits after a read that found the pipe nearly empty:
// records gather meanwhile (the pipe holds far more than arrive in this time), so under
// load one read takes many of them, not a few per wake-up.
const gatherPause = 50 * time.Millisecond

type gatheringReader struct{ pipe *os.File }

func (g *gatheringReader) Read(p []byte) (int, error) {
	n, err := g.pipe.Read(p)
	if err == nil && n < len(p)/2 {
		time.Sleep(gatherPause)
	}
	return n, err
}
