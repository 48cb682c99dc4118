package runtime

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// run sends the call's request to its targets in order: each target with its retries, then
// the next target when the failure is one worth falling back on. On success the provider's
// response is in c.resp (for a stream, its body is still open and c holds a slot).
func (e *Engine) run(c *Call) *Error {
	var err *Error
	for i := 0; i < c.nTargets; i++ {
		if i > 0 {
			if c.gone() {
				return c.Err.set(499, schemas.ErrInvalidRequest, "client_closed_request", "", "the client closed the request")
			}
			c.Fallbacks++
		}
		err = e.try(c, c.targets[i])
		if err == nil || !err.Retryable {
			return err
		}
	}
	return err
}

// try sends the request to one target, retrying as its provider's config says.
func (e *Engine) try(c *Call, t target) *Error {
	p := t.p
	c.cur, c.Provider, c.Model = t, p.name, t.model
	op := c.op
	url := p.urls[op]
	if url == "" {
		err := c.Err.set(400, schemas.ErrInvalidRequest, "unsupported_operation", "model",
			"provider "+p.name+" does not support "+opName[op])
		err.Provider, err.Retryable = p.name, true
		return err
	}
	c.key = -1
	if len(p.keys) > 0 {
		c.key = p.pickKey(t.model, -1)
		if c.key < 0 {
			err := c.Err.set(404, schemas.ErrNotFound, "model_not_found", "model",
				"model \""+t.model+"\" is not allowed by any key of provider "+p.name)
			err.Provider, err.Retryable = p.name, true
			return err
		}
	}

	// Admission: the slot is held for the whole try (and, for a stream, until it closes).
	q0 := time.Now()
	switch p.adm.acquire(q0.Add(p.timeout), e.snapshot().dropExcess, c.Gone) {
	case queueFull:
		err := c.Err.set(429, schemas.ErrRateLimit, "queue_full", "",
			"provider "+p.name+" is at capacity: "+strconv.Itoa(cap(p.adm.slots))+" requests in flight and "+
				strconv.Itoa(cap(p.adm.queue)-cap(p.adm.slots))+" queued (concurrency_and_buffer_size); retry later")
		err.Provider, err.Retryable = p.name, true
		return err
	case timedOut:
		err := c.Err.set(503, schemas.ErrServer, "queue_timeout", "", "provider "+p.name+" had no free slot before the request timed out")
		err.Provider, err.Retryable = p.name, true
		return err
	case clientGone:
		return c.Err.set(499, schemas.ErrInvalidRequest, "client_closed_request", "", "the client closed the request")
	}
	c.Queued += time.Since(q0)
	release := true
	defer func() {
		if release {
			p.adm.release()
		}
	}()

	e0 := time.Now()
	err := e.buildRequest(c, p, url, t.model)
	c.Encode += time.Since(e0)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		c.setKey(p)
		c.resp.StreamBody = c.streaming
		c.Attempts++
		t0 := time.Now()
		doErr := p.client.DoDeadline(&c.req, &c.resp, t0.Add(p.timeout))
		c.Upstream += time.Since(t0)
		err := c.classify(p, doErr)
		if err == nil {
			if c.streaming {
				release = false
				c.adm = p.adm
			}
			return nil
		}
		if !err.Retryable || attempt >= p.retries || c.gone() {
			return err
		}
		wait := backoff(p, attempt)
		if ra := time.Duration(err.RetryAfterSec) * time.Second; ra > wait {
			if ra > p.backoff.max {
				return err // the provider asks for longer than we may wait: let a fallback serve
			}
			wait = ra
		}
		if !sleep(wait, c.Gone) {
			return c.Err.set(499, schemas.ErrInvalidRequest, "client_closed_request", "", "the client closed the request")
		}
		c.Upstream += wait
		if s := c.resp.StatusCode(); (s == 401 || s == 403 || s == 429) && len(p.keys) > 1 {
			c.key = p.pickKey(t.model, c.key)
		}
	}
}

// buildRequest encodes the provider request once; retries resend it.
func (e *Engine) buildRequest(c *Call, p *providerState, url, model string) *Error {
	c.req.Reset()
	c.req.Header.SetMethod(fasthttp.MethodPost)
	if c.op == provider.OpModels {
		c.req.Header.SetMethod(fasthttp.MethodGet)
	}
	c.req.SetRequestURI(url)
	c.req.Header.SetContentType("application/json")
	if c.streaming {
		c.req.Header.Set("Accept", "text/event-stream")
	} else {
		c.req.Header.Set("Accept", "application/json")
	}
	for _, h := range p.headers {
		c.req.Header.Set(h.Name, h.Value)
	}
	if c.op == provider.OpModels {
		return nil
	}
	c.w.Buffer.Buf = c.wbuf[:0]
	c.w.Error = nil
	var err error
	switch c.op {
	case provider.OpChat, provider.OpChatStream:
		c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, "", nil
		err = p.adapter.EncodeChat(&c.w, &c.Chat)
	case provider.OpText, provider.OpTextStream:
		c.Text.Model, c.Text.Provider, c.Text.Fallbacks = model, "", nil
		err = p.adapter.EncodeText(&c.w, &c.Text)
	case provider.OpEmbedding:
		c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks = model, "", nil
		err = p.adapter.EncodeEmbedding(&c.w, &c.Embedding)
	}
	if err == nil {
		err = c.w.Error
	}
	body := c.encoded()
	if err != nil {
		return c.Err.set(400, schemas.ErrInvalidRequest, "encode_failed", "", "cannot build the request for provider "+p.name+": "+err.Error())
	}
	c.req.SetBody(body)
	return nil
}

// setKey puts the current key's auth header on the request.
func (c *Call) setKey(p *providerState) {
	if c.key >= 0 && p.info.Auth.Header != "" {
		c.req.Header.Set(p.info.Auth.Header, p.keys[c.key].auth)
	}
}

// classify turns the outcome of one upstream request into nil (a 2xx response) or an error
// with its retry class. Error bodies are decoded by the adapter and scrubbed of keys.
func (c *Call) classify(p *providerState, doErr error) *Error {
	if doErr != nil {
		switch {
		case errors.Is(doErr, fasthttp.ErrTimeout), errors.Is(doErr, fasthttp.ErrDialTimeout):
			err := c.Err.set(504, schemas.ErrTimeout, "upstream_timeout", "", "provider "+p.name+" did not answer within "+p.timeout.String())
			err.Provider, err.Retryable = p.name, true
			return err
		default:
			err := c.Err.set(502, schemas.ErrUpstream, "upstream_unreachable", "", "cannot reach provider "+p.name+": "+scrub(doErr.Error(), p))
			err.Provider, err.Retryable = p.name, true
			return err
		}
	}
	status := c.resp.StatusCode()
	if status >= 200 && status < 300 {
		return nil
	}
	c.Err = Error{Status: status, Provider: p.name, Retryable: retryableStatus(status)}
	p.adapter.DecodeError(status, c.resp.Body(), &c.Err.Body)
	c.Err.Body.Message = "provider " + p.name + ": " + scrub(c.Err.Body.Message, p)
	c.Err.Body.Param = schemas.NullString(scrub(string(c.Err.Body.Param), p))
	if ra := c.resp.Header.Peek("Retry-After"); len(ra) > 0 {
		c.Err.RetryAfterSec = parseRetryAfter(ra)
	}
	if c.streaming {
		c.resp.CloseBodyStream() //nolint:errcheck // the body was read in full
	}
	return &c.Err
}

// scrub removes every configured key of p from s, and the masked forms providers echo
// ("sk-abc...wxyz"): the last four characters of a key are enough to identify it.
func scrub(s string, p *providerState) string {
	for i := range p.keys {
		k := p.keys[i].value
		if k == "" {
			continue
		}
		if idx := indexOf(s, k); idx >= 0 {
			s = s[:idx] + "[REDACTED]" + s[idx+len(k):]
		}
		if len(k) >= 12 {
			if idx := indexOf(s, k[len(k)-4:]); idx >= 0 {
				s = s[:idx] + "****" + s[idx+4:]
			}
		}
	}
	return s
}

func indexOf(s, sub string) int { return strings.Index(s, sub) }

// parseRetryAfter reads Retry-After as seconds or an HTTP date; 0 when absent or invalid.
func parseRetryAfter(v []byte) int {
	if n, err := strconv.Atoi(string(bytes.TrimSpace(v))); err == nil {
		if n < 0 {
			return 0
		}
		return n
	}
	if t, err := time.Parse(time.RFC1123, string(v)); err == nil {
		if d := time.Until(t); d > 0 {
			return int(d/time.Second) + 1
		}
	}
	return 0
}

// backoff returns the delay before retry number attempt+1: exponential from the initial
// backoff, capped at the maximum, with equal jitter (half fixed, half random).
func backoff(p *providerState, attempt int) time.Duration {
	d := p.backoff.initial
	for i := 0; i < attempt && d < p.backoff.max; i++ {
		d *= 2
	}
	if d > p.backoff.max {
		d = p.backoff.max
	}
	half := d / 2
	if half <= 0 {
		return d
	}
	return half + time.Duration(rand.Int64N(int64(half)+1))
}

// sleep waits d, polling gone; it returns false when the client went away.
func sleep(d time.Duration, gone func() bool) bool {
	const poll = 50 * time.Millisecond
	end := time.Now().Add(d)
	for {
		left := time.Until(end)
		if left <= 0 {
			return true
		}
		if gone != nil && gone() {
			return false
		}
		if left > poll {
			left = poll
		}
		time.Sleep(left)
	}
}
