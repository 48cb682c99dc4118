package runtime

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"time"
)

// Cancelling an upstream request whose client went away while it waited for the response.
//
// fasthttp's DoDeadline cannot be cancelled, and the connection a request went out on is
// known only inside it. So each attempt of a request whose client can go away (Call.Gone
// set) is sent through doUpstream, which:
//
//   - sends the request body through the Call's bodyReader: fasthttp reads it on the
//     request's goroutine after binding the connection to the response, so the reader can
//     learn the connection (Response.LocalAddr, see connOf) without a data race and publish
//     it in Call.up;
//   - registers the Call with the engine's watcher for the time of DoDeadline.
//
// The watcher is one goroutine per engine, running while requests are in flight (it ends
// after a second with none): every watchEvery it asks each registered Call whether its
// client is gone, and cancels the upstream request of one that is. A request still waiting
// for its response's first byte is cancelled cleanly: its blocked read is interrupted and
// answered with cancelledResponse, a 499 with "Connection: close", so that DoDeadline
// returns, fasthttp closes the connection (the provider sees it go and can stop working),
// and the attempt counts as neither a provider failure for the breaker nor a retry. One
// whose response had started arriving has its connection closed.
//
// Cost in the common case: two short mutex sections per attempt, a copy of the request
// body, no allocation and no goroutine per request.

// watchEvery is how often the watcher polls the clients of requests in flight.
const watchEvery = 100 * time.Millisecond

// cancelledBody is the body of cancelledResponse, an OpenAI-shaped error.
const cancelledBody = `{"error":{"message":"the client closed the request","type":"client_closed_request","code":"client_closed_request"}}`

// cancelledResponse is what a cancelled request reads instead of the provider's answer.
var cancelledResponse = []byte("HTTP/1.1 499 Client Closed Request\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: " +
	strconv.Itoa(len(cancelledBody)) + "\r\n\r\n" + cancelledBody)

// watcher tracks the Calls waiting on a provider, in an intrusive list.
type watcher struct {
	mu      sync.Mutex
	head    *Call
	running bool
}

// add registers c, starting the watcher's goroutine if it is not running.
func (w *watcher) add(c *Call) {
	w.mu.Lock()
	c.wprev, c.wnext = nil, w.head
	if w.head != nil {
		w.head.wprev = c
	}
	w.head = c
	if !w.running {
		w.running = true
		go w.run()
	}
	w.mu.Unlock()
}

// remove unregisters c; once it returns, the watcher no longer touches c or its connection.
func (w *watcher) remove(c *Call) {
	w.mu.Lock()
	if c.wprev != nil {
		c.wprev.wnext = c.wnext
	} else {
		w.head = c.wnext
	}
	if c.wnext != nil {
		c.wnext.wprev = c.wprev
	}
	c.wprev, c.wnext = nil, nil
	w.mu.Unlock()
}

// run polls the registered Calls until none has been registered for a second.
func (w *watcher) run() {
	t := time.NewTicker(watchEvery)
	defer t.Stop()
	idle := 0
	for range t.C {
		w.mu.Lock()
		if w.head == nil {
			if idle++; idle >= int(time.Second/watchEvery) {
				w.running = false
				w.mu.Unlock()
				return
			}
		} else {
			idle = 0
		}
		for c := w.head; c != nil; c = c.wnext {
			if u := c.up; u != nil && !u.cancel.Load() && c.Gone() {
				u.cancelRead()
			}
		}
		w.mu.Unlock()
	}
}

// bodyReader streams a Call's request body to fasthttp and publishes the connection the
// request went out on (see the comment at the top of this file).
type bodyReader struct {
	c *Call
	r bytes.Reader
}

func (b *bodyReader) Read(p []byte) (int, error) {
	c := b.c
	if c.up == nil {
		if u := connOf(&c.resp); u != nil {
			c.watch.mu.Lock() // the watcher reads c.up under it
			c.up = u
			c.watch.mu.Unlock()
		}
	}
	return b.r.Read(p)
}

// doUpstream sends c's request to p and reads the answer, by DoDeadline, cancelling it when
// the client goes away meanwhile.
func (e *Engine) doUpstream(c *Call, p *providerState, until time.Time) error {
	body := c.req.Body()
	if c.Gone == nil || len(body) == 0 {
		return p.client.DoDeadline(&c.req, &c.resp, until)
	}
	c.reqBody = append(c.reqBody[:0], body...)
	c.body.c = c
	c.body.r.Reset(c.reqBody)
	c.req.SetBodyStream(&c.body, len(c.reqBody))
	c.watch, c.up = &e.watch, nil
	e.watch.add(c)
	err := p.client.DoDeadline(&c.req, &c.resp, until)
	e.watch.remove(c)
	if c.up != nil {
		c.up.cancel.Store(false) // a cancel that came too late must not outlive the request
		c.up = nil
	}
	c.req.SetBody(c.reqBody) // for the next attempt, signed again
	return err
}

// cancelRead cancels the request in flight on u: a read still waiting for the response's
// first byte is interrupted and answered with cancelledResponse; a response already
// arriving is cut by closing the connection.
func (u *upConn) cancelRead() {
	if u.nread.Load() != u.mark.Load() {
		u.Conn.Close() //nolint:errcheck // the read fails either way
		return
	}
	u.coff.Store(0)
	u.cancel.Store(true)
	u.Conn.SetReadDeadline(time.Now()) //nolint:errcheck // a closed conn fails the read anyway
}

// readCancelled serves cancelledResponse, then io.EOF.
func (u *upConn) readCancelled(b []byte) (int, error) {
	off := u.coff.Load()
	if int(off) >= len(cancelledResponse) {
		return 0, io.EOF
	}
	n := copy(b, cancelledResponse[off:])
	u.coff.Add(int64(n))
	return n, nil
}
