package server

import (
	"bufio"
	"crypto/tls"
	"net"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

// A stream's writes to its client are bounded by client.stream_write_timeout_in_seconds.
// fasthttp runs the stream writer on its own goroutine, which writes into a pipe; the
// server's goroutine copies the pipe to the connection. A client that stops reading blocks
// that copy in the connection's Write once the socket buffers are full, then the pipe fills
// and the stream writer blocks too, holding the Call, the upstream stream and its
// provider's admission slot. So before each flush the stream writer moves the connection's
// write deadline ahead by the timeout: a client that reads keeps pushing it ahead, one that
// stalls lets it pass, the blocked Write fails, fasthttp closes the connection and the
// pipe, the stream writer's flush fails, and the stream ends (status 499) and frees
// everything it holds. Setting a deadline allocates nothing.

// holdConn keeps ctx's connection for the stream's write deadlines, and the timeout that
// applies; call it before letting go of ctx.
func (x *exchange) holdConn(ctx *fasthttp.RequestCtx) {
	x.conn = deadlineConn(ctx.Conn())
	x.writeTimeout = x.s.access.Load().streamWrite
	if x.writeTimeout <= 0 {
		x.writeTimeout = config.DefaultStreamWriteTimeout
	}
}

// flush sends what w holds to the client, first moving the write deadline ahead.
func (x *exchange) flush(w *bufio.Writer) error {
	if x.conn != nil {
		x.conn.SetWriteDeadline(time.Now().Add(x.writeTimeout)) //nolint:errcheck // a closed conn fails the flush
	}
	return w.Flush()
}

// letConn clears the write deadline before the connection goes on to its next request.
// The stream writer has not returned yet, so the server is still waiting for the rest of
// this response and has set no deadline of its own.
func (x *exchange) letConn() {
	if x.conn != nil {
		x.conn.SetWriteDeadline(time.Time{}) //nolint:errcheck // a closed conn needs none
		x.conn = nil
	}
}

// deadlineConn returns the connection whose write deadline bounds c's writes: c when it is
// a socket or TLS, the socket under wrappers that expose it (NetConn), or nil when there
// is none, as for the in-memory request contexts that fasthttp.RequestCtx.Init makes.
func deadlineConn(c net.Conn) net.Conn {
	for c != nil {
		switch c.(type) {
		case *net.TCPConn, *net.UnixConn, *tls.Conn:
			return c
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		c = u.NetConn()
	}
	return nil
}
