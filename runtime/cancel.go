package runtime

import (
	"bytes"
	"io"
	"sync"
	"time"
)

// Cancelling an upstream request whose client went away while it waited for the answer.
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
// client is gone, and closes the upstream connection of one that is. A Call is asked from
// the second tick it is registered at on, so within two watchEvery of its client leaving:
// most answers come sooner than that, and asking costs a system call per request asked. DoDeadline then fails
// at once, fasthttp drops the connection (the provider sees it close and can stop
// working), and doUpstream answers the attempt as a 499 from the provider would be, so
// that it is neither retried, nor sent to a fallback, nor counted by the breaker as the
// provider's failure.
//
// Cost in the common case: three short mutex sections per attempt; no copy of a request
// body that the call built itself (setBody), no allocation, no goroutine per request while
// traffic flows, and no question to the client's connection for an attempt answered within
// a watchEvery.

// watchEvery is how often the watcher polls the clients of requests in flight.
const watchEvery = 100 * time.Millisecond

// cancelledBody is the body of a cancelled attempt's answer, an OpenAI-shaped error.
const cancelledBody = `{"error":{"message":"the client closed the request","type":"client_closed_request","code":"client_closed_request"}}`

// watcher tracks the Calls waiting on a provider, in an intrusive list. Its mutex also
// guards each registered Call's up and cancelled.
type watcher struct {
	mu      sync.Mutex
	head    *Call
	running bool
}

// add registers c, starting the watcher's goroutine if it is not running.
func (w *watcher) add(c *Call) {
	w.mu.Lock()
	c.wprev, c.wnext, c.wseen = nil, w.head, false
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

// remove unregisters c and reports whether its request was cancelled. Once it returns, the
// watcher no longer touches c.
func (w *watcher) remove(c *Call) (cancelled bool) {
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
	cancelled = c.cancelled
	c.up, c.cancelled = nil, false
	w.mu.Unlock()
	return cancelled
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
			if !c.wseen {
				c.wseen = true // registered since the last tick: asked from the next one
				continue
			}
			if c.up != nil && !c.cancelled && c.Gone() {
				c.cancelled = true
				c.up.Conn.Close() //nolint:errcheck // the blocked read fails either way
			}
		}
		w.mu.Unlock()
	}
}

// bodyReader streams a Call's request body to fasthttp and publishes the connection the
// request went out on (see the comment at the top of this file).
type bodyReader struct {
	c         *Call
	r         bytes.Reader
	published bool
}

// Read reads the body, publishing the connection first.
func (b *bodyReader) Read(p []byte) (int, error) {
	b.publish()
	return b.r.Read(p)
}

// WriteTo writes the rest of the body to w in one call, publishing the connection first.
// fasthttp takes it in place of Read (its copy loop, with a pooled buffer, and
// bufio.Writer.ReadFrom): less code run per request.
func (b *bodyReader) WriteTo(w io.Writer) (int64, error) {
	b.publish()
	return b.r.WriteTo(w)
}

// publish tells the watcher, once, which connection the request went out on.
func (b *bodyReader) publish() {
	if b.published {
		return
	}
	b.published = true
	c := b.c
	if u := connOf(&c.resp); u != nil {
		c.watch.mu.Lock()
		c.up = u
		c.watch.mu.Unlock()
	}
}

// doUpstream sends c's request to p and reads the answer with DoDeadline, cancelling it
// when the client goes away meanwhile.
func (e *Engine) doUpstream(c *Call, p *providerState, until time.Time) error {
	body := c.req.Body()
	if c.Gone == nil || len(body) == 0 {
		return p.client.DoDeadline(&c.req, &c.resp, until)
	}
	if !c.ownsBody(body) {
		c.reqBody = append(c.reqBody[:0], body...)
		body = c.reqBody
	}
	// SetBodyStream drops the request's body; body is the call's own and outlives it.
	c.body = bodyReader{c: c}
	c.body.r.Reset(body)
	c.req.SetBodyStream(&c.body, len(body))
	c.watch = &e.watch
	e.watch.add(c)
	err := p.client.DoDeadline(&c.req, &c.resp, until)
	cancelled := e.watch.remove(c)
	c.req.SetBodyRaw(body) // for the next attempt, signed again
	if cancelled {
		// The provider's connection is closed. Answer as the provider would have, had it
		// seen the client go: a final 4xx, which the breaker does not count.
		c.resp.Reset()
		c.resp.SetStatusCode(499)
		c.resp.Header.SetContentType("application/json")
		c.resp.SetBodyString(cancelledBody)
		return nil
	}
	return err
}
