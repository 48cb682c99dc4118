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
// the next target when the failure is one worth falling back on (a retryable one, or any 4xx
// with client.fallback_on_client_errors). Nothing goes to a fallback once the client is gone.
// On success the provider's response is in c.resp (for a stream, its body is still open and c
// holds a slot).
func (e *Engine) run(c *Call, s *snapshot) *Error {
	var err *Error
	for i := 0; i < c.nTargets; i++ {
		if i > 0 {
			if c.gone() {
				return c.clientGone()
			}
			c.Fallbacks++
		}
		err = e.try(c, c.targets[i], s)
		if err == nil || !fallsBack(err, s) {
			return err
		}
	}
	return err
}

// fallsBack reports whether a target's failure sends the request to the next target.
func fallsBack(err *Error, s *snapshot) bool {
	if err.Status == 499 {
		return false // the client is gone
	}
	return err.Retryable || s.fallbackOn4xx && err.Status >= 400 && err.Status < 500
}

func (c *Call) clientGone() *Error {
	return c.Err.set(499, schemas.ErrInvalidRequest, "client_closed_request", "", "the client closed the request")
}

// try sends the request to one target, retrying as its provider's config says.
//
// All attempts and the waits between them fit in the provider's request timeout, counted from
// the start of the try; each attempt is also bounded by the response-header timeout. A retry
// waits an exponential backoff with jitter, or the provider's Retry-After when that is longer
// (and not beyond retry_backoff_max; a longer one ends the try so a fallback can serve). A
// 401, 403 or 429 puts the key into cooldown and the retry goes at once to another key when
// one is usable. A 403 or 404 that refuses the model for this key (modelDenied) cools
// nothing: the (key, model) pair is remembered for the auth cooldown, and the retry goes at
// once to a key that has not refused the model, or none is made. A request that failed on
// a stale pooled connection goes out again at once on a new connection, once per try,
// without counting as a retry. At most max_retries retries follow the first attempt, and
// none once the client is gone.
//
// The model's circuit breaker (see breakerSet) counts the try once, when it ends: as a
// failure when no attempt succeeded and at least one failed the provider's way
// (breakerFailure), however many attempts were made.
func (e *Engine) try(c *Call, t target, s *snapshot) *Error {
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
	begin := time.Now()
	deadline := begin.Add(p.timeout)
	now := begin.UnixNano()
	br := p.breaker.lookup(t.model) // nil: the model has no breaker yet, or breakers are off
	ok, probe := br.allow(now)
	if !ok {
		return c.circuitOpen(p, br, t.model, now)
	}
	// sent: an attempt got an outcome; succeeded: one got a 2xx; failed: one failed the
	// provider's way. A try that sent nothing counts nothing, and hands a probe back.
	var sent, succeeded, failed bool
	defer func() {
		switch {
		case sent:
			p.breaker.record(t.model, br, time.Now().UnixNano(), failed && !succeeded, probe)
		case probe:
			br.abandon()
		}
	}()
	c.key = -1
	if c.DirectKey != "" && p.info.Auth.Scheme != provider.AuthStatic {
		err := c.Err.set(400, schemas.ErrInvalidRequest, "direct_key_unsupported", "",
			"provider "+p.name+" signs its requests from its key config (AWS SigV4 or a Google service account): a client's own key cannot be used")
		err.Provider = p.name
		return err
	}
	// With a client's own key, a configured key is still chosen when the URL depends on it
	// (Azure endpoint, region, project); only its credential is replaced.
	if (c.DirectKey == "" || p.templated) && len(p.keys) > 0 {
		k, soonest, auth := p.pickKey(t.model, -1, now)
		switch k {
		case noKeyForModel:
			err := c.Err.set(404, schemas.ErrNotFound, "model_not_found", "model",
				"model \""+t.model+"\" is not allowed by any key of provider "+p.name)
			err.Provider, err.Retryable = p.name, true
			return err
		case allKeysCool:
			return c.keysCooling(p, t.model, soonest, auth, now)
		}
		c.key = k
	}

	// Admission: the slot is held for the whole try (and, for a stream, until it closes).
	switch p.adm.acquire(deadline, s.dropExcess, c.Gone) {
	case queueFull:
		p.stats.dropped.Add(1)
		err := c.Err.set(429, schemas.ErrRateLimit, "queue_full", "",
			"provider "+p.name+" is at capacity: "+strconv.Itoa(p.adm.concurrency())+" requests in flight and "+
				strconv.Itoa(p.adm.buffer())+" queued (concurrency_and_buffer_size); retry later")
		err.Provider, err.Retryable = p.name, true
		return err
	case timedOut:
		p.stats.dropped.Add(1)
		err := c.Err.set(503, schemas.ErrServer, "queue_timeout", "", "provider "+p.name+" had no free slot before the request timed out")
		err.Provider, err.Retryable = p.name, true
		return err
	case clientGone:
		return c.clientGone()
	}
	c.Queued += time.Since(begin)
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
	resent := false // the one free resend after a stale connection is used
	for attempt := 0; ; {
		if err := c.setKey(p, t.model); err != nil {
			return err
		}
		c.resp.StreamBody = c.streaming
		c.Attempts++
		t0 := time.Now()
		c.observeStart(p, attempt, t0)
		until := t0.Add(p.headerTimeout)
		if until.After(deadline) {
			until = deadline
		}
		doErr := e.doUpstream(c, p, until) // DoDeadline, cancelled if the client leaves
		t1 := time.Now()
		c.Upstream += t1.Sub(t0)
		if doErr != nil && !resent && staleConn(&c.resp, doErr) {
			resent = true
			c.Reconnects++
			c.observeEnd(0, nil, true)
			continue
		}
		err := c.classify(p, doErr, until.Sub(t0))
		now = t1.UnixNano()
		status := 0
		if doErr == nil {
			status = c.resp.StatusCode()
		}
		sent = true
		c.observeEnd(status, err, false)
		if err == nil {
			succeeded = true
			if c.streaming {
				release = false
				c.adm = p.adm
				if u := connOf(&c.resp); u != nil {
					u.idle.Store(int64(p.idle)) // from now on only the idle timeout applies
					c.conn = u
				}
			}
			return nil
		}
		// By the error's status, not the response's: a 2xx that is no answer counts too.
		failed = failed || breakerFailure(doErr != nil, err.Status)
		ours := c.key >= 0 && c.DirectKey == "" // a configured key, not the client's own
		denied := ours && modelDenied(status, &err.Body)
		keyFailed := ours && !denied && (status == 401 || status == 403 || status == 429)
		switch {
		case denied:
			p.denyModel(c.key, t.model, now)
		case keyFailed:
			p.coolKey(c.key, status, err.RetryAfterSec, now)
			e.sharedCooldown(p, c.key)
		}
		if attempt >= p.retries || c.gone() {
			return err
		}
		next, wait := c.key, time.Duration(0)
		if (keyFailed || denied) && len(p.keys) > 1 {
			if k, _, _ := p.pickKey(t.model, c.key, now); k >= 0 && k != c.key && !p.deniedModel(k, t.model, now) {
				next = k // another key may serve at once
			}
		}
		if next == c.key {
			if !err.Retryable {
				return err
			}
			wait = backoff(p, attempt)
			if ra := time.Duration(err.RetryAfterSec) * time.Second; ra > wait {
				if ra > p.backoff.max {
					return err // the provider asks for longer than we may wait: let a fallback serve
				}
				wait = ra
			}
		}
		if time.Now().Add(wait).After(deadline) {
			return err // no time left for another attempt
		}
		if wait > 0 {
			if !sleep(wait, c.Gone) {
				return c.clientGone()
			}
			c.Upstream += wait
		}
		now = time.Now().UnixNano()
		if !probe && p.breaker.lookup(t.model).State() != BreakerClosed {
			return err // the model's breaker opened meanwhile: a fallback serves
		}
		if next >= 0 && p.keys[next].cool.until.Load() > now {
			if k, _, _ := p.pickKey(t.model, next, now); k >= 0 {
				next = k // the key is still cooling and another is not
			}
		}
		c.key = next
		attempt++
	}
}

// circuitOpen is the error for a model whose breaker b is open; it falls back.
func (c *Call) circuitOpen(p *providerState, b *breaker, model string, now int64) *Error {
	secs := int(b.retryIn(now) / time.Second)
	err := c.Err.set(503, schemas.ErrServer, "circuit_open", "",
		"provider "+p.name+" is failing for model \""+model+"\" and its circuit breaker is open; the next probe goes out in "+strconv.Itoa(secs)+"s")
	err.Provider, err.Retryable, err.RetryAfterSec = p.name, true, secs
	return err
}

// buildRequest encodes the provider request once; retries resend it.
func (e *Engine) buildRequest(c *Call, p *providerState, url, model string) *Error {
	c.req.Reset()
	c.req.Header.SetMethod(fasthttp.MethodPost)
	if c.op == provider.OpModels {
		c.req.Header.SetMethod(fasthttp.MethodGet)
	}
	if !p.templated {
		c.req.SetRequestURI(url) // else set per attempt, for the attempt's key
	}
	c.req.Header.SetContentType("application/json")
	switch {
	case c.streaming && p.info.Framing == provider.FramingAWSEventStream:
		c.req.Header.Set("Accept", "application/vnd.amazon.eventstream")
	case c.streaming:
		c.req.Header.Set("Accept", "text/event-stream")
	default:
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

// setKey addresses and authorizes the request for the current key: the URL, when the
// provider's URLs depend on the key or the model, and the key's credentials (or the client's
// own key, with allow_direct_keys).
func (c *Call) setKey(p *providerState, model string) *Error {
	if p.templated {
		r := p.route(model, c.op) // a model route (model_paths), or -1 for the default URL
		t := &p.tmpl[c.op]
		if r >= 0 && r < len(p.tmplRoutes) { // tmplRoutes: a provider without keys
			t = &p.tmplRoutes[r][c.op]
		}
		var deployments map[string]string
		if c.key >= 0 {
			k := &p.keys[c.key]
			t, deployments = &k.urls[c.op], k.deployments
			if r >= 0 {
				t = &k.routeURLs[r][c.op]
			}
		}
		c.url = t.appendURL(c.url[:0], model, deployments)
		c.req.SetRequestURIBytes(c.url)
	}
	if c.DirectKey != "" {
		c.setDirectKey(p)
		return nil
	}
	if c.key < 0 {
		return nil
	}
	k := &p.keys[c.key]
	if k.authz != nil {
		if err := k.authz.authorize(&c.req, time.Now()); err != nil {
			e := c.Err.set(502, schemas.ErrUpstream, "auth_failed", "", "provider "+p.name+": cannot authorize the request: "+c.scrub(err.Error()))
			e.Provider, e.Retryable = p.name, true
			return e
		}
		return nil
	}
	if p.info.Auth.Header != "" {
		c.req.Header.Set(p.info.Auth.Header, k.auth)
	}
	return nil
}

// authorizer adds credentials that a static header cannot carry: an AWS SigV4 signature
// over the request, or an OAuth2 token that expires. It runs before every attempt.
type authorizer interface {
	authorize(req *fasthttp.Request, now time.Time) error
}

// classify turns the outcome of one upstream request into nil (a 2xx response) or an error
// with its retry class, once: network failures and timeouts are retryable, and so are 408,
// 429, 500, 502, 503, 504 and 529; other statuses are final. Error bodies are decoded by the
// adapter and every member scrubbed of keys (see secret); a network error is said in plain
// words, without addresses (netMessage). limit is the attempt's time limit, for the message.
func (c *Call) classify(p *providerState, doErr error, limit time.Duration) *Error {
	if doErr != nil {
		var te interface{ Timeout() bool }
		switch {
		case errors.Is(doErr, errConnectTimeout), errors.Is(doErr, fasthttp.ErrDialTimeout):
			err := c.Err.set(504, schemas.ErrTimeout, "connect_timeout", "", "cannot connect to provider "+p.name+": connect timeout")
			err.Provider, err.Retryable = p.name, true
			return err
		case errors.Is(doErr, fasthttp.ErrTimeout), errors.As(doErr, &te) && te.Timeout():
			err := c.Err.set(504, schemas.ErrTimeout, "upstream_timeout", "", "provider "+p.name+" did not answer within "+limit.Round(time.Millisecond).String())
			err.Provider, err.Retryable = p.name, true
			return err
		case errors.Is(doErr, fasthttp.ErrBodyTooLarge):
			return c.tooLarge(p)
		default:
			err := c.Err.set(502, schemas.ErrUpstream, "upstream_unreachable", "", "cannot reach provider "+p.name+": "+c.netMessage("upstream request failed", p.name, doErr))
			err.Provider, err.Retryable = p.name, true
			return err
		}
	}
	status := c.resp.StatusCode()
	if status >= 200 && status < 300 {
		return c.decodeAnswer(p) // a 2xx that is no answer is a retryable 502
	}
	c.Err = Error{Status: status, Provider: p.name, Retryable: retryableStatus(status)}
	p.adapter.DecodeError(status, c.resp.Body(), &c.Err.Body)
	c.scrubBody(&c.Err.Body) // every member: a provider may echo a key into any of them
	c.Err.Body.Message = "provider " + p.name + ": " + c.Err.Body.Message
	if ra := c.resp.Header.Peek("Retry-After"); len(ra) > 0 {
		c.Err.RetryAfterSec = parseRetryAfter(ra)
	}
	if c.streaming {
		c.resp.CloseBodyStream() //nolint:errcheck // the body was read in full
	}
	return &c.Err
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
