package server

import (
	"net"
	"testing"
)

// TestDeadlineConnThroughListener checks that a stream's write deadline reaches the socket
// of a connection accepted by Listener (which bifrost-http serves on): without it the
// stream write timeout would silently not apply in production.
func TestDeadlineConnThroughListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := NewListener(ln, nil, nil)
	defer l.Close()
	client, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, ok := deadlineConn(c).(*net.TCPConn); !ok {
		t.Fatalf("deadlineConn(%T) = %T, want the *net.TCPConn under the wrapper", c, deadlineConn(c))
	}
}
