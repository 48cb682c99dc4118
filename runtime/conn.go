package runtime

import (
	"errors"
	"fmt"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"
)

// upConn wraps every upstream connection. It gives the engine three things fasthttp does
// not: a stream's idle timeout (with idle set, every read pushes the read deadline idle
// ahead, so a stream that keeps sending is never cut while a silent one is), knowing
// whether a failed request went out on a reused connection that the provider had already
// closed, and a bound on what one response may send (limit), which fasthttp does not apply
// to a streamed body: an error body sent in place of a stream is read whole by
// Response.Body.
//
// The engine finds the upConn of a response through Response.LocalAddr, which fasthttp takes
// from the connection (through a *tls.Conn too): LocalAddr returns the upConn's own addr.
type upConn struct {
	net.Conn
	addr  connAddr
	idle  atomic.Int64 // ns; 0: reads keep the deadline fasthttp set
	nread atomic.Int64 // bytes read over the connection's life
	mark  atomic.Int64 // nread when the current request was written
	// limit is the most bytes one response (headers, framing and body) may take, counted
	// from the request's write; 0: no limit (an open stream, whose events are bounded
	// one by one instead).
	limit atomic.Int64
}

// errResponseTooLarge is a read past an upConn's limit. It matches fasthttp.ErrBodyTooLarge
// (errors.Is), which is what fasthttp returns for a plain body over MaxResponseBodySize, so
// that both are classified alike.
var errResponseTooLarge = fmt.Errorf("upstream response over the gateway's limit: %w", fasthttp.ErrBodyTooLarge)

// connAddr is an upConn's local address, pointing back to it.
type connAddr struct {
	net.Addr
	c *upConn
}

func newUpConn(c net.Conn, limit int64) *upConn {
	u := &upConn{Conn: c}
	u.addr = connAddr{Addr: c.LocalAddr(), c: u}
	u.limit.Store(limit)
	return u
}

func (u *upConn) LocalAddr() net.Addr { return &u.addr }

func (u *upConn) Read(b []byte) (int, error) {
	if d := u.idle.Load(); d > 0 {
		u.Conn.SetReadDeadline(time.Now().Add(time.Duration(d))) //nolint:errcheck // a closed conn fails the read below
	}
	if l := u.limit.Load(); l > 0 && u.nread.Load()-u.mark.Load() > l {
		return 0, errResponseTooLarge
	}
	n, err := u.Conn.Read(b)
	u.nread.Add(int64(n))
	return n, err
}

func (u *upConn) Write(b []byte) (int, error) {
	u.mark.Store(u.nread.Load())
	return u.Conn.Write(b)
}

// connOf returns the upConn that carried resp, or nil.
func connOf(resp *fasthttp.Response) *upConn {
	if a, ok := resp.LocalAddr().(*connAddr); ok {
		return a.c
	}
	return nil
}

// staleConn reports whether err means the request went out on a pooled connection that the
// provider had closed while it was idle: the connection had served earlier responses, and it
// failed (closed, reset, broken pipe) before this response's first byte. Such a request never
// reached the provider and may be sent again at once on a new connection.
func staleConn(resp *fasthttp.Response, err error) bool {
	if !errors.Is(err, fasthttp.ErrConnectionClosed) && !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		return false
	}
	u := connOf(resp)
	if u == nil {
		return false
	}
	mark := u.mark.Load()
	return mark > 0 && u.nread.Load() == mark
}

// errConnectTimeout is returned when opening a connection takes longer than connect_timeout.
type connectTimeoutError struct{}

func (connectTimeoutError) Error() string { return "connect timeout" }
func (connectTimeoutError) Timeout() bool { return true }

var errConnectTimeout error = connectTimeoutError{}

// dialer returns the provider's dial function: base (a proxy dialer or the engine's Dial
// option) or TCP, bounded by timeout, wrapping each connection in an upConn whose responses
// may take up to limit bytes (0: no limit).
func dialer(base fasthttp.DialFunc, timeout time.Duration, limit int64) fasthttp.DialFunc {
	return func(addr string) (net.Conn, error) {
		var c net.Conn
		var err error
		if base == nil {
			c, err = fasthttp.DialTimeout(addr, timeout)
		} else {
			c, err = dialWithin(base, addr, timeout)
		}
		if err != nil {
			// fasthttp reports a dial that ran out of time as ErrDialTimeout or, when the
			// socket's own deadline fires first, as the net package's i/o timeout.
			var te interface{ Timeout() bool }
			if errors.Is(err, fasthttp.ErrDialTimeout) || errors.As(err, &te) && te.Timeout() {
				err = errConnectTimeout
			}
			return nil, err
		}
		return newUpConn(c, limit), nil
	}
}

// dialWithin runs dial with a time limit. Dialing is off the steady-state path (connections
// are pooled), so a goroutine and a timer per dial are fine. A connection that comes after
// the limit is closed.
func dialWithin(dial fasthttp.DialFunc, addr string, timeout time.Duration) (net.Conn, error) {
	type result struct {
		c   net.Conn
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := dial(addr)
		ch <- result{c, err}
	}()
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-t.C:
		go func() {
			if r := <-ch; r.c != nil {
				r.c.Close()
			}
		}()
		return nil, errConnectTimeout
	}
}
