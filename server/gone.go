package server

import (
	"errors"
	"net"
	"syscall"
)

// connClosed reports whether the peer of conn has closed it, without consuming data: it
// peeks one byte without blocking. A TCP connection that reads EOF is closed; one with no data
// (EAGAIN) or with data waiting (a pipelined request) is open. Connections without a socket
// (syscall.Conn) are reported open.
func connClosed(conn net.Conn) bool {
	sc, ok := conn.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	closed := false
	var buf [1]byte
	rerr := raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		switch {
		case n == 0 && err == nil:
			closed = true
		case err != nil && !errors.Is(err, syscall.EAGAIN) && !errors.Is(err, syscall.EINTR):
			closed = true
		}
		return true // never wait for readability
	})
	if rerr != nil && errors.Is(rerr, net.ErrClosed) {
		closed = true
	}
	return closed
}
