package runtime

import (
	"errors"
	"strconv"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// run sends the call's request to its targets in order: each target with its retries, then
// the next target when the failure is one worth falling back on (a retryable one, or any 4xx
// with client.fallback_on_client_errors). Nothing goes to a fallback once the client is gone.
// On success the provider's response is in c.resp (for a stream, its body is still open and c
// holds a slot). now is the time of the engine's clock when the request was routed: the
// first try's beginning.
func (e *Engine) run(c *Call, s *snapshot, now time.Time) *Error {
	var err *Error
	for i := 0; i < c.nTargets; i++ {
		if i > 0 {
			if c.gone() {
				return c.clientGone()
			}
			c.Fallbacks++
			now = c.clk.Now()
		}
		if c.Gate != nil {
			if err = c.Gate.EnterTarget(c, c.targets[i].p.name); err != nil {
				if !fallsBack(err, s) {
					return err
				}
				continue
			}
			now = c.clk.Now() // the gate may have waited on shared state
		}
		err = e.try(c, c.targets[i], s, now)
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
//
// The steps, each a function of its own: the breaker lets the try through (here), a key is
// chosen (chooseKey), a slot taken (admit), the request encoded once (buildRequest), then
// per attempt: the key set (setKey), one upstream exchange (attempt), its outcome classified
// (outcome), and the next attempt decided (nextAttempt); the breaker is told at the end
// (settle). begin is the time of the engine's clock at which the try begins.
//
// The clock is read once per step and each reading serves the next step too (the end of
// the admission wait begins the encoding, the end of the encoding begins the first
// attempt, the end of an attempt begins the decoding): on the common path, where a slot is
// free at once, a try reads it twice.
func (e *Engine) try(c *Call, t target, s *snapshot, begin time.Time) *Error {
	p := t.p
	c.cur, c.Provider, c.Model = t, p.name, t.model
	url := p.urls[c.op]
	if url == "" {
		err := c.Err.set(400, schemas.ErrInvalidRequest, "unsupported_operation", "model",
			"provider "+p.name+" does not support "+opName[c.op])
		err.Provider, err.Retryable = p.name, true
		return err
	}
	tr := tryState{p: p, model: t.model, begin: begin, deadline: begin.Add(p.timeout), now: begin.UnixNano()}
	tr.br = p.breaker.lookup(t.model) // nil: the model has no breaker yet, or breakers are off
	ok, probe := tr.br.allow(tr.now)
	if !ok {
		return c.circuitOpen(p, tr.br, t.model, tr.now)
	}
	tr.probe = probe
	err := e.send(c, &tr, s.dropExcess, url)
	if tr.holding {
		p.adm.release()
	}
	tr.settle()
	return err
}

// tryState is what the steps of one try share.
type tryState struct {
	p     *providerState
	model string
	// begin and deadline bound the try: the provider's request timeout from begin.
	begin, deadline time.Time
	now             int64         // the time at the latest step, unix ns
	answered        time.Time     // when the latest attempt ended (answer or failure)
	admitted        time.Time     // when the admission slot was taken
	br              *breaker      // the model's breaker when the try began; nil: none
	probe           bool          // the try is the half-open breaker's one probe
	verdict         verdict       // what the breaker is told when the try ends
	holding         bool          // the try holds an admission slot, to release when it ends
	retries         int           // retries made so far
	resent          bool          // the one free resend after a stale connection is used
	limit           time.Duration // the latest attempt's time limit
	status          int           // the latest attempt's status; 0 after a network error
}

// verdict is what a try tells its model's breaker when it ends.
type verdict uint8

const (
	unsent  verdict = iota // no attempt got an outcome: nothing counts, a probe is handed back
	healthy                // no attempt failed the provider's way, or one succeeded
	failing                // no attempt succeeded and one failed the provider's way
)

// settle tells the model's breaker how the try went, as of its latest step (tr.now: the
// end of its last attempt, or of the wait after it).
func (tr *tryState) settle() {
	if tr.verdict == unsent {
		if tr.probe {
			tr.br.abandon()
		}
		return
	}
	tr.p.breaker.record(tr.model, tr.br, tr.now, tr.verdict == failing, tr.probe)
}

// send runs a try that its breaker let through: it chooses a key, takes a slot, encodes
// the request and makes attempts until one succeeds or nextAttempt ends the try.
func (e *Engine) send(c *Call, tr *tryState, dropExcess bool, url string) *Error {
	if err := c.chooseKey(tr); err != nil {
		return err
	}
	if err := c.admit(tr, dropExcess); err != nil {
		return err
	}
	// Encoding counts from the slot taken (from the try's beginning when a slot was free at
	// once, key selection included) to the request ready for its first attempt: built
	// once, then addressed and authorized for the first key.
	err := e.buildRequest(c, tr.p, url, tr.model)
	if err == nil {
		err = c.setKey(tr.p, tr.model)
	}
	t0 := c.clk.Now()
	c.Encode += t0.Sub(tr.admitted)
	if err != nil {
		return err
	}
	for {
		doErr := e.attempt(c, tr, t0)
		if doErr != nil && !tr.resent && staleConn(&c.resp, doErr) {
			tr.resent = true // again at once, on a new connection; not a retry
			c.Reconnects++
			c.observeEnd(0, nil, true)
		} else {
			err := c.outcome(tr, doErr)
			c.observeEnd(tr.status, err, false)
			if err == nil {
				return nil
			}
			if err = e.nextAttempt(c, tr, err); err != nil {
				return err
			}
		}
		if err := c.setKey(tr.p, tr.model); err != nil {
			return err
		}
		t0 = c.clk.Now()
	}
}

// chooseKey sets c.key to the configured key of the first attempt, or to -1: no key (the
// provider has none, or the client's own key is used).
func (c *Call) chooseKey(tr *tryState) *Error {
	p := tr.p
	c.key = -1
	if c.DirectKey != "" && p.info.Auth.Scheme != provider.AuthStatic {
		err := c.Err.set(400, schemas.ErrInvalidRequest, "direct_key_unsupported", "",
			"provider "+p.name+" signs its requests from its key config (AWS SigV4 or a Google service account): a client's own key cannot be used")
		err.Provider = p.name
		return err
	}
	// With a client's own key, a configured key is still chosen when the URL depends on it
	// (Azure endpoint, region, project); only its credential is replaced.
	if c.DirectKey != "" && !p.templated || len(p.keys) == 0 {
		return nil
	}
	k, soonest, auth := p.pickKey(tr.model, -1, tr.now)
	switch k {
	case noKeyForModel:
		err := c.Err.set(404, schemas.ErrNotFound, "model_not_found", "model",
			"model \""+tr.model+"\" is not allowed by any key of provider "+p.name)
		err.Provider, err.Retryable = p.name, true
		return err
	case allKeysCool:
		return c.keysCooling(p, tr.model, soonest, auth, tr.now)
	}
	c.key = k
	return nil
}

// admit takes one of the provider's admission slots, waiting in its queue within the
// try's deadline. The slot is held for the whole try (and, for a stream, until it closes).
func (c *Call) admit(tr *tryState, dropExcess bool) *Error {
	p := tr.p
	r, waited := p.adm.acquire(c.clk, tr.deadline, dropExcess, c.Gone)
	switch r {
	case admitted:
		tr.holding = true
		tr.admitted = tr.begin
		if waited {
			tr.admitted = c.clk.Now()
			c.Queued += tr.admitted.Sub(tr.begin)
		}
		return nil
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
	}
	return c.clientGone()
}

// attempt makes one upstream exchange: it sends the request, as addressed and authorized
// for the current key, and reads the answer (for a stream, up to its body) within the
// response-header timeout and the try's deadline, cancelled if the client leaves. t0 is
// when it begins. It returns the network error, if any; the answer is in c.resp.
func (e *Engine) attempt(c *Call, tr *tryState, t0 time.Time) error {
	c.resp.StreamBody = c.streaming
	c.Attempts++
	c.observeStart(tr.p, tr.retries, t0)
	tr.limit = min(tr.p.headerTimeout, tr.deadline.Sub(t0))
	doErr := e.doUpstream(c, tr.p, wallDeadline(c.clk, t0, tr.limit))
	t1 := c.clk.Now()
	c.Upstream += t1.Sub(t0)
	tr.now, tr.answered = t1.UnixNano(), t1
	return doErr
}

// outcome classifies the attempt's outcome (see classify) and keeps the breaker's verdict.
// On success it returns nil, and a stream keeps its slot and connection.
func (c *Call) outcome(tr *tryState, doErr error) *Error {
	err := c.classify(tr.p, doErr, tr.limit, tr.answered)
	tr.status = 0
	if doErr == nil {
		tr.status = c.resp.StatusCode()
	}
	switch {
	case err == nil:
		tr.verdict = healthy
		if c.streaming {
			c.keepStream(tr.p)
			tr.holding = false
		}
	case breakerFailure(doErr != nil, err.Status): // the error's status: a 2xx that is no answer counts
		tr.verdict = failing
	case tr.verdict == unsent:
		tr.verdict = healthy
	}
	return err
}

// keepStream hands the try's admission slot and connection to the open stream.
func (c *Call) keepStream(p *providerState) {
	c.adm = p.adm
	if u := connOf(&c.resp); u != nil {
		u.idle.Store(int64(p.idle)) // from now on only the idle timeout applies
		c.conn = u
	}
}

// nextAttempt decides what follows a failed attempt: it blames the key (blameKey), then
// chooses the next attempt's key and waits the backoff, if another attempt may go. It
// returns nil when the next attempt is to go, else the error that ends the try: err, or
// the client's departure.
func (e *Engine) nextAttempt(c *Call, tr *tryState, err *Error) *Error {
	p := tr.p
	blamed := e.blameKey(c, tr, err)
	if tr.retries >= p.retries || c.gone() {
		return err
	}
	next, wait := c.key, time.Duration(0)
	if blamed {
		next = tr.otherKey(c.key) // another key may serve at once
	}
	if next == c.key {
		var ok bool
		if wait, ok = backoffWait(p, tr.retries, err); !ok {
			return err
		}
	}
	if c.clk.Now().Add(wait).After(tr.deadline) {
		return err // no time left for another attempt
	}
	if wait > 0 {
		if !sleep(c.clk, wait, c.Gone) {
			return c.clientGone()
		}
		c.Upstream += wait
	}
	tr.now = c.clk.Now().UnixNano()
	if !tr.probe && p.breaker.lookup(tr.model).State() != BreakerClosed {
		return err // the model's breaker opened meanwhile: a fallback serves
	}
	if next >= 0 && p.keys[next].cool.until.Load() > tr.now {
		if k, _, _ := p.pickKey(tr.model, next, tr.now); k >= 0 {
			next = k // the key is still cooling and another is not
		}
	}
	c.key = next
	tr.retries++
	return nil
}

// blameKey puts the attempt's key into cooldown after a 401, 403 or 429, or remembers that
// it refused the model (modelDenied), and reports whether it did either. A client's own key
// is not the engine's to cool.
func (e *Engine) blameKey(c *Call, tr *tryState, err *Error) bool {
	if c.key < 0 || c.DirectKey != "" {
		return false
	}
	p, status := tr.p, tr.status
	switch {
	case modelDenied(status, &err.Body):
		p.denyModel(c.key, tr.model, tr.now)
	case status == 401 || status == 403 || status == 429:
		p.coolKey(c.key, status, err.RetryAfterSec, tr.now)
		e.sharedCooldown(p, c.key)
	default:
		return false
	}
	return true
}

// otherKey returns a key other than k that may serve the model now and has not refused
// it, or k when there is none.
func (tr *tryState) otherKey(k int) int {
	p := tr.p
	if len(p.keys) < 2 {
		return k
	}
	if n, _, _ := p.pickKey(tr.model, k, tr.now); n >= 0 && n != k && !p.deniedModel(n, tr.model, tr.now) {
		return n
	}
	return k
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
	if c.streaming {
		c.req.Header.Set("Accept", p.framing.Accept) // the spec's stream framing's media type
	} else {
		c.req.Header.Set("Accept", "application/json")
	}
	for _, h := range p.headers {
		c.req.Header.Set(h.Name, h.Value)
	}
	c.forwardHeaders(p, model)
	if c.pass.lookupMethod != "" {
		c.lookupRequest(url, p.templated)
		return nil
	}
	if c.op == provider.OpModels {
		return nil
	}
	if c.pass.on {
		c.passRequest(c.passModel(p, model))
		return nil
	}
	c.w.Buffer.Buf = c.wbuf[:0]
	c.w.Error = nil
	var err error
	switch c.op {
	case provider.OpChat, provider.OpChatStream:
		c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, "", nil
		err = encodeChat(p.chatCodec(model), &c.w, &c.Chat, c.Headers)
	case provider.OpText, provider.OpTextStream:
		c.Text.Model, c.Text.Provider, c.Text.Fallbacks = model, "", nil
		err = p.adapter.EncodeText(&c.w, &c.Text)
	case provider.OpEmbedding:
		c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks = model, "", nil
		err = p.adapter.EncodeEmbedding(&c.w, &c.Embedding)
	case provider.OpCountTokens:
		c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, "", nil
		err = encodeCountTokens(p.adapter, &c.w, &c.Chat)
	}
	if err == nil {
		err = c.w.Error
	}
	body := c.encoded()
	if err != nil {
		return c.Err.set(400, schemas.ErrInvalidRequest, "encode_failed", "", "cannot build the request for provider "+p.name+": "+err.Error())
	}
	c.setBody(body)
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
		c.url = append(t.appendURL(c.url[:0], model, deployments), c.pass.lookupSuffix...) // the suffix: ResponsesLookup
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
		// The system clock, not the engine's: a signature's date and a token's lifetime are
		// read by the provider.
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
// words, without addresses (netMessage). limit is the attempt's time limit, for the message;
// answered is when the attempt ended (a time of c.clk), where decoding its answer begins.
func (c *Call) classify(p *providerState, doErr error, limit time.Duration, answered time.Time) *Error {
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
		if c.pass.on && !c.streaming {
			return c.passAnswer(p, answered)
		}
		return c.decodeAnswer(p, answered) // a 2xx that is no answer is a retryable 502
	}
	c.Err = Error{Status: status, Provider: p.name, Retryable: retryableStatus(status)}
	p.chatCodec(c.cur.model).DecodeError(status, c.resp.Body(), &c.Err.Body)
	c.scrubBody(&c.Err.Body) // every member: a provider may echo a key into any of them
	c.Err.Body.Message = "provider " + p.name + ": " + c.Err.Body.Message
	if ra := c.resp.Header.Peek("Retry-After"); len(ra) > 0 {
		c.Err.RetryAfterSec = parseRetryAfter(ra, c.clk.Now())
	}
	if c.streaming {
		c.resp.CloseBodyStream() //nolint:errcheck // the body was read in full
	}
	return &c.Err
}
