package sidecar

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"syscall"

	"golang.org/x/net/ipv4"
)

// maxMessage holds any record nginx sends (its syslog messages are at most 4 KiB).
const maxMessage = 8192

// receiveBuffer lets a burst of datagrams wait while the reader is busy; the kernel grants
// at most net.core.rmem_max, and what still overflows is counted, not hidden.
const receiveBuffer = 4 << 20

// ListenLog opens the UDP socket nginx sends its request log to, with a large receive
// buffer and the kernel's count of datagrams dropped on overflow switched on.
func ListenLog(addr string) (*net.UDPConn, error) {
	udpAddr, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("log address: %w", err)
	}
	conn, err := net.ListenUDP("udp", udpAddr)
	if err != nil {
		return nil, fmt.Errorf("listening for nginx's log: %w", err)
	}
	_ = conn.SetReadBuffer(receiveBuffer)
	raw, err := conn.SyscallConn()
	if err == nil {
		_ = raw.Control(func(fd uintptr) {
			err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RXQ_OVFL, 1)
		})
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("counting dropped log datagrams: %w", err)
	}
	return conn, nil
}

// batchSize is how many datagrams one system call (recvmmsg) reads when they queue up.
const batchSize = 64

// Receive reads syslog datagrams from conn until ctx ends, handing each to observe and the
// kernel's running count of datagrams it dropped to dropped. Under load it reads them in
// batches, so a request costs the metrics container a fraction of a system call.
func Receive(ctx context.Context, conn *net.UDPConn, observe func([]byte), dropped func(uint32)) error {
	go func() {
		<-ctx.Done()
		_ = conn.Close()
	}()
	batch := make([]ipv4.Message, batchSize)
	for i := range batch {
		batch[i].Buffers = [][]byte{make([]byte, maxMessage)}
		batch[i].OOB = make([]byte, syscall.CmsgSpace(4))
	}
	pc := ipv4.NewPacketConn(conn)
	for {
		n, err := pc.ReadBatch(batch, 0)
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		for _, m := range batch[:n] {
			if count, ok := overflowCount(m.OOB[:m.NN]); ok {
				dropped(count)
			}
			observe(m.Buffers[0][:m.N])
		}
	}
}

// overflowCount reads the SO_RXQ_OVFL control message, present once a drop happened.
func overflowCount(oob []byte) (uint32, bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.SOL_SOCKET && m.Header.Type == syscall.SO_RXQ_OVFL && len(m.Data) >= 4 {
			return binary.NativeEndian.Uint32(m.Data), true
		}
	}
	return 0, false
}
