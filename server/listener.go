package server

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/bifrost-gw/bifrost/server/metrics"
)

// Accept's backoff after a resource error, as net/http's Server uses: 5 ms, doubling, at
// most 1 s.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// Listener wraps the gateway's net.Listener so that running out of resources does not end
// the server, and caps the connections it hands out.
//
// fasthttp's Serve returns on any accept error that is not a timeout, and bifrost-http
// then exits: out of file descriptors (EMFILE), a whole process stopped. Listener's Accept
// instead waits and tries again on the errors that pass (EMFILE, ENFILE, ENOBUFS, ENOMEM,
// ECONNABORTED, ...), backing off from 5 ms to 1 s as net/http does, and logs the first
// error of each run of failures. The pending connections wait in the kernel's backlog
// meanwhile and are served once descriptors free up.
//
// A connection beyond the caps (SetLimits) is answered at once with a short 503 (over the
// total) or 429 (over the per-address cap) in OpenAI's error shape and closed, so that the
// descriptors a flood can take are bounded. Each refusal and each failed accept is counted
// in bifrost_connections_refused_total.
type Listener struct {
	net.Listener
	*caps
	log     *slog.Logger
	metrics *metrics.Metrics
	// quiet says a connection over the caps is closed without an answer (Join).
	quiet bool

	closeOnce sync.Once
	closed    chan struct{}
}

// caps are the connection caps and counts that a Listener shares with those joined to it.
type caps struct {
	maxConns, maxPerIP atomic.Int64

	mu    sync.Mutex
	open  int64
	perIP map[netip.Addr]int64
	// byRemote holds the connections of quiet listeners by remote address (CloseConn).
	byRemote map[string]*conn

	// lastWarn is when a refusal over each cap was last logged (Unix nanoseconds).
	lastWarn [2]atomic.Int64
}

// NewListener wraps ln. log and m may be nil. It has no caps until SetLimits.
func NewListener(ln net.Listener, log *slog.Logger, m *metrics.Metrics) *Listener {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Listener{Listener: ln, caps: &caps{perIP: map[netip.Addr]int64{}, byRemote: map[string]*conn{}},
		log: log, metrics: m, closed: make(chan struct{})}
}

// Join wraps ln, another port of the same server (the gRPC API's), under l's caps: the
// connections of both count together against client.max_connections and
// client.max_connections_per_ip, and SetLimits on either sets both. A connection over
// the caps is closed without an answer, since its protocol need not be HTTP/1 (a gRPC
// client sees it as Unavailable and retries). Its connections can be closed by their
// remote address (CloseConn).
func (l *Listener) Join(ln net.Listener) *Listener {
	return &Listener{Listener: ln, caps: l.caps, log: l.log, metrics: l.metrics, quiet: true, closed: make(chan struct{})}
}

// SetLimits sets the caps on open connections, in total and per client IP address; 0 means
// no cap. Connections open beyond new, lower caps stay open; new ones wait for the count to
// fall. It is safe to call while serving (on a config reload).
func (l *Listener) SetLimits(maxConns, maxPerIP int) {
	l.maxConns.Store(int64(maxConns))
	l.maxPerIP.Store(int64(maxPerIP))
}

// Open returns the number of connections handed out and not yet closed, by l and the
// listeners joined to it.
func (l *Listener) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int(l.open)
}

// CloseConn closes the connection of a joined listener (Join) whose client is at remote,
// and reports whether there was one. The gRPC API uses it to cut a client that stopped
// reading a stream (client.stream_write_timeout_in_seconds).
func (l *Listener) CloseConn(remote net.Addr) bool {
	if remote == nil {
		return false
	}
	l.mu.Lock()
	c := l.byRemote[remote.String()]
	l.mu.Unlock()
	if c == nil {
		return false
	}
	c.Close() //nolint:errcheck // closing is all that is wanted
	return true
}

// Close closes the listener; an Accept waiting out a backoff returns at once.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// Accept waits for the next connection within the caps. It returns an error only when the
// listener is closed or fails for good.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryableAccept(err) {
				return nil, err
			}
			l.count(metrics.RefusedAcceptError)
			if delay == 0 {
				delay = acceptBackoffMin
				l.log.Warn("accept failed; retrying with backoff (raise the open file limit or lower client.max_connections)",
					"error", err.Error(), "open_connections", l.Open())
			} else if delay *= 2; delay > acceptBackoffMax {
				delay = acceptBackoffMax
			}
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			}
			continue
		}
		if delay != 0 {
			l.log.Info("accepting connections again", "open_connections", l.Open())
			delay = 0
		}
		if tc, ok := l.admit(c); ok {
			return tc, nil
		}
	}
}

// admit registers c under the caps and returns it wrapped, or refuses and closes it.
func (l *Listener) admit(c net.Conn) (net.Conn, bool) {
	var ip netip.Addr // the zero Addr, which no per-address cap applies to, off TCP
	if ta, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		ip = ta.AddrPort().Addr().Unmap()
	}
	maxConns, maxPerIP := l.maxConns.Load(), l.maxPerIP.Load()
	l.mu.Lock()
	switch {
	case maxConns > 0 && l.open >= maxConns:
		l.mu.Unlock()
		l.refuse(c, metrics.RefusedOverLimit, l.answer(overLimitResponse))
		l.warn(0, "connection refused: client.max_connections reached", "max_connections", maxConns)
		return nil, false
	case maxPerIP > 0 && ip.IsValid() && l.perIP[ip] >= maxPerIP:
		l.mu.Unlock()
		l.refuse(c, metrics.RefusedPerIP, l.answer(perIPResponse))
		l.warn(1, "connection refused: client.max_connections_per_ip reached", "max_connections_per_ip", maxPerIP)
		return nil, false
	}
	l.open++
	if ip.IsValid() {
		l.perIP[ip]++
	}
	tc := &conn{Conn: c, l: l, ip: ip}
	if l.quiet {
		tc.remote = c.RemoteAddr().String()
		l.byRemote[tc.remote] = tc
	}
	l.mu.Unlock()
	return tc, true
}

// answer is resp, or nil for a quiet listener (Join).
func (l *Listener) answer(resp []byte) []byte {
	if l.quiet {
		return nil
	}
	return resp
}

// release forgets a closed connection.
func (l *Listener) release(c *conn) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c.remote != "" && l.byRemote[c.remote] == c {
		delete(l.byRemote, c.remote)
	}
	ip := c.ip
	l.open--
	if ip.IsValid() {
		if n := l.perIP[ip] - 1; n > 0 {
			l.perIP[ip] = n
		} else {
			delete(l.perIP, ip)
		}
	}
}

// warn logs a refusal, at most once a minute for each cap (bifrost_connections_refused_total
// counts them all).
func (l *Listener) warn(i int, msg string, key string, limit int64) {
	now := time.Now().UnixNano()
	last := l.lastWarn[i].Load()
	if now-last < int64(time.Minute) || !l.lastWarn[i].CompareAndSwap(last, now) {
		return
	}
	l.log.Warn(msg+" (logged at most once a minute; see bifrost_connections_refused_total)", key, limit)
}

func (l *Listener) count(reason int) {
	if l.metrics != nil {
		l.metrics.Refused(reason)
	}
}

// refuse answers c with resp (none when nil) and closes it. The answer is short enough for the socket's
// send buffer, and a deadline keeps a stuck peer from holding the accept loop.
func (l *Listener) refuse(c net.Conn, reason int, resp []byte) {
	l.count(reason)
	if resp != nil {
		c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)) //nolint:errcheck // best effort
		c.Write(resp)                                              //nolint:errcheck // best effort: the connection is refused either way
	}
	c.Close() //nolint:errcheck
}

var (
	overLimitResponse = refusal(503, "Service Unavailable", "too_many_connections",
		"the gateway holds as many connections as it allows (client.max_connections): retry later")
	perIPResponse = refusal(429, "Too Many Requests", "too_many_connections_per_ip",
		"too many connections from your address (client.max_connections_per_ip): reuse a connection or retry later")
)

// refusal is a whole HTTP response with an OpenAI-shaped error body, for a connection the
// gateway will not serve.
func refusal(status int, reason, code, msg string) []byte {
	body := `{"error":{"message":"` + msg + `","type":"server_error","param":null,"code":"` + code + `"}}`
	return []byte("HTTP/1.1 " + strconv.Itoa(status) + " " + reason + "\r\nContent-Type: application/json\r\n" +
		"Retry-After: 1\r\nConnection: close\r\nContent-Length: " + strconv.Itoa(len(body)) + "\r\n\r\n" + body)
}

// retryableAccept reports whether an accept error passes: a lack of resources (file
// descriptors, buffers, memory), a connection that went away before it was accepted, or a
// timeout. A closed listener and anything else are final.
func retryableAccept(err error) bool {
	if errors.Is(err, net.ErrClosed) {
		return false
	}
	for _, e := range [...]syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET, syscall.EINTR, syscall.EAGAIN, syscall.EPROTO} {
		if errors.Is(err, e) {
			return true
		}
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// conn is a connection handed out by Listener; closing it frees its place under the caps.
type conn struct {
	net.Conn
	l      *Listener
	ip     netip.Addr
	remote string // the remote address, on a quiet listener (CloseConn)
	closed atomic.Bool
}

// Close closes the connection and frees its place, once.
func (c *conn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.l.release(c)
	}
	return c.Conn.Close()
}

// SyscallConn gives the underlying connection's raw access, so that checks such as
// connClosed still see the socket.
func (c *conn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

// NetConn returns the accepted connection under the wrapper, so that a stream's write
// deadline (streamwrite.go) reaches the socket.
func (c *conn) NetConn() net.Conn { return c.Conn }
