package grpcapi

import (
	"net"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"google.golang.org/grpc/peer"
)

// A stream's sends to its client are bounded by client.stream_write_timeout_in_seconds,
// as on HTTP (server/streamwrite.go). A client that stops reading a stream blocks its
// Send once HTTP/2 flow control and the transport's buffers are full, and the blocked
// Send would hold the Call, the upstream stream and its provider's admission slot. gRPC
// gives a handler no way to reset one stream whose Send is blocked, so a Send that does
// not finish within the timeout has the client's connection closed (SetConnCloser): every
// call on it ends, the blocked Send fails, and the stream ends (status 499) and frees what
// it holds, as on HTTP, where the connection is closed too. The connection is the client's
// HTTP/2 connection: its other calls end with it (Unavailable), and the client reconnects.

// SetConnCloser gives the service the means to close a client's connection by its remote
// address (server.Listener.CloseConn of the gRPC port's listener), for the stream write
// timeout. Without it a stalled stream waits for its client. Call it before serving.
func (s *Service) SetConnCloser(closeConn func(remote net.Addr) bool) { s.closeConn = closeConn }

// watchdog closes a stream's connection when a send outlasts the write timeout.
type watchdog struct {
	t     *time.Timer
	d     time.Duration
	fired atomic.Bool
}

// newWatchdog returns the watchdog of x's stream, or nil without a connection closer.
func (x *call) newWatchdog() *watchdog {
	closeConn := x.svc.closeConn
	p, ok := peer.FromContext(x.ctx)
	if closeConn == nil || !ok {
		return nil
	}
	w := &watchdog{d: x.svc.srv.StreamWriteTimeout()}
	remote := p.Addr
	w.t = time.AfterFunc(time.Hour, func() {
		w.fired.Store(true)
		closeConn(remote)
	})
	w.t.Stop()
	return w
}

// arm starts the timeout of one send.
func (w *watchdog) arm() {
	if w != nil {
		w.t.Reset(w.d)
	}
}

// disarm stops it when the send is done.
func (w *watchdog) disarm() {
	if w != nil {
		w.t.Stop()
	}
}

// timedOut reports whether the watchdog cut the connection.
func (w *watchdog) timedOut() bool { return w != nil && w.fired.Load() }

// writeTimeout is the stream's end when its client stopped reading: 499 in the metrics, as
// on HTTP, and a DeadlineExceeded status (which the client, its connection closed, does
// not see).
func (x *call) writeTimeout() error {
	err := statusError(408, &schemas.ErrorBody{Type: schemas.ErrTimeout, Code: "stream_write_timeout",
		Message: "the client did not read the stream within client.stream_write_timeout_in_seconds"}, 0)
	x.status = 499
	return err
}
