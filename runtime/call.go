package runtime

import (
	"bufio"
	"log/slog"
	"math/rand/v2"
	"time"
	"unsafe"

	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// Gate admits a call to a target's provider; see Call.Gate.
type Gate interface {
	EnterTarget(c *Call, provider string) *Error
}

// maxTargets bounds the providers one request may try: the first plus fallbacks.
const maxTargets = 8

// Call is the state of one gateway request, pooled by the Engine. Decode the client's request
// into the field of its kind (Chat, Text or Embedding), run it with the Engine method of that
// kind, then read the result (ChatResp, TextResp, EmbeddingResp, or the stream's chunks) or
// Err. Everything a Call holds is valid until ReleaseCall.
type Call struct {
	Chat          schemas.ChatRequest
	ChatResp      schemas.ChatResponse
	Chunk         schemas.ChatStreamChunk
	Text          schemas.TextRequest
	TextResp      schemas.TextResponse
	Embedding     schemas.EmbeddingRequest
	EmbeddingResp schemas.EmbeddingResponse

	// Err holds the failure when a run returns an error; the returned *Error points here.
	Err Error

	// DirectKey, if set, is a provider key the client sent (client.allow_direct_keys): it
	// is used for this request instead of the configured keys, and scrubbed from errors.
	DirectKey string

	// Headers are client request headers that a provider may take as they are (Anthropic's
	// anthropic-beta): each goes on to the providers whose adapter forwards it
	// (provider.HeaderForwarder). Names are lower case; values may borrow from the client's
	// request until the Call is released.
	Headers []provider.Header

	// Gone, if set, reports whether the client has gone away. The engine polls it before a
	// retry or a fallback and while waiting for a slot, and gives up when it returns true;
	// while a request waits on a provider, the engine's watcher polls it from another
	// goroutine and cancels the upstream request when it returns true (cancel.go), so it
	// must be safe to call concurrently with the request.
	Gone func() bool

	// Gate, if set, is asked before each target is tried (the first and each fallback);
	// an error skips the target, and ends the run unless it is one to fall back on.
	// Governance uses it to move a provider's reservation to the provider tried.
	Gate Gate

	// Provider and Model name the target that answered (or the last one tried).
	Provider, Model string
	// Attempts counts requests sent upstream; Fallbacks counts fallback targets tried.
	// Reconnects counts the requests among Attempts that were sent again at once because
	// a pooled connection had gone stale; they are not retries.
	Attempts, Fallbacks, Reconnects int
	// Upstream is the time spent waiting on providers, backoff included.
	Upstream time.Duration
	// Queued is the time spent waiting for an admission slot.
	Queued time.Duration
	// Route, Encode and Decode are the time spent resolving the targets (and picking keys),
	// encoding the provider request, and decoding the provider response.
	Route, Encode, Decode time.Duration

	op       provider.Op
	targets  [maxTargets]target
	nTargets int
	tUsed    int // targets[:tUsed] may hold a route's targets; reset clears them
	cur      target
	key      int

	req  fasthttp.Request
	resp fasthttp.Response
	w    jwriter.Writer
	wbuf []byte
	url  []byte // the request URL of a templated provider
	id   []byte // a generated response id (newID)
	// embBuf holds embeddings re-encoded as base64 (see base64Embeddings).
	embBuf []byte

	// streaming
	adm       *admission // slot held while a stream is open
	conn      *upConn    // the open stream's connection, in idle-timeout mode
	br        *bufio.Reader
	framers   framerSet // by framing, reused
	state     provider.StreamState
	streaming bool
	finished  bool // a chunk of the open stream carried a finish reason

	plug pluginState
	// pass is the passthrough path's state (passthrough.go).
	pass passthrough
	// event is the data of the stream event Next read last, as the provider sent it (a view
	// into the framer's buffer, valid until the next Next).
	event []byte
	obs   observed // Options.Observer's view of the request (observe.go)

	// direct is DirectKey's forms, for scrub; kept while requests come with the same key.
	direct [1]secret
	// token is the forms of the OAuth2 access token last sent (tokenSecrets).
	token [1]secret
	// scratch holds the decoded text of an error that scrub looks through.
	scratch []byte
	// log takes the debug details of network errors (Options.Logger); nil: none.
	log *slog.Logger
	// clk is the engine's clock (Options.Clock).
	clk clock.Clock
	// cancellation of the upstream request (cancel.go): the watcher the Call is registered
	// with and its list links, the connection the request went out on and whether the
	// watcher cancelled it (both guarded by watch.mu), and the request body, streamed
	// through body.
	watch        *watcher
	wprev, wnext *Call
	up           *upConn
	cancelled    bool
	wseen        bool // the watcher has seen the Call at one tick already
	body         bodyReader
	reqBody      []byte
	// sent is the provider request's body when the call built it in its own buffer and
	// handed it to req without a copy (setBody); nil otherwise.
	sent []byte
}

func newCall() *Call {
	// Buffers start small and grow to what the traffic needs (and are kept, up to
	// maxKeptBuffer): a pooled Call's size sets the gateway's memory per request in flight.
	c := &Call{wbuf: make([]byte, 0, 4<<10), clk: clock.Real{}}
	// Keep the bodies' buffers with the call rather than in fasthttp's process-wide pool,
	// which sizes itself to recent bodies and would drop a large buffer after small ones.
	c.req.KeepBodyBuffer = true
	c.resp.KeepBodyBuffer = true
	return c
}

// reset prepares c for reuse, keeping its buffers.
func (c *Call) reset() {
	if k, ok := c.passedWhole(); ok {
		// Only the request of the call's kind was written (its routed members), so only it
		// is reset: the other structs are still as the last full reset left them, and not
		// touching them keeps a passed request's memory traffic small.
		switch k {
		case jsonscan.Text:
			c.Text.Reset()
		case jsonscan.Embedding:
			c.Embedding.Reset()
		default:
			c.Chat.Reset()
		}
	} else {
		c.Chat.Reset()
		c.ChatResp.Reset()
		c.Chunk.Reset()
		c.Text.Reset()
		c.TextResp.Reset()
		c.Embedding.Reset()
		c.EmbeddingResp.Reset()
	}
	c.Err = Error{}
	c.Gone = nil
	c.Gate = nil
	c.DirectKey = ""
	clear(c.Headers)
	c.Headers = c.Headers[:0]
	if c.plug.list != nil || c.plug.nValues != 0 {
		// Zero otherwise (pluginState's rule): not writing its ~6 cache lines keeps a
		// request without plugins from touching them at all.
		c.plug = pluginState{}
	}
	c.pass = passthrough{}
	c.Provider, c.Model = "", ""
	c.Attempts, c.Fallbacks, c.Reconnects = 0, 0, 0
	c.Upstream, c.Queued = 0, 0
	c.Route, c.Encode, c.Decode = 0, 0, 0
	clear(c.targets[:c.tUsed])
	c.nTargets, c.tUsed = 0, 0
	c.cur = target{}
	c.key = -1
	c.req.Reset()
	c.resp.Reset()
	// A pooled Call keeps its buffers for the next request, but not one that an outsized
	// request or answer grew (a 20 MB response would otherwise stay in the pool).
	c.req.ReleaseBody(maxKeptBuffer)
	c.resp.ReleaseBody(maxKeptBuffer)
	if cap(c.wbuf) > maxKeptBuffer {
		c.wbuf = make([]byte, 0, 4<<10)
	}
	if cap(c.embBuf) > maxKeptBuffer {
		c.embBuf = nil
	}
	if cap(c.reqBody) > maxKeptBuffer {
		c.reqBody = nil
	}
	c.body = bodyReader{}
	c.sent = nil
	c.framers.release(maxKeptBuffer)
	if cap(c.scratch) > maxKeptBuffer {
		c.scratch = nil
	}
	c.adm = nil
	c.conn = nil
	c.streaming = false
}

// setBody makes body, which the call built in its own buffer (wbuf), the provider request's
// body without copying it: it must stay unchanged until the request is built again or the
// call is released, which holds for wbuf (the next use of the call's writer is the next
// target's request, or the client's answer once no attempt is left).
func (c *Call) setBody(body []byte) {
	c.req.SetBodyRaw(body)
	c.sent = body
}

// ownsBody reports whether body is the one setBody handed to the request.
func (c *Call) ownsBody(body []byte) bool {
	return len(body) > 0 && len(c.sent) == len(body) && &c.sent[0] == &body[0]
}

// newID returns a response id like OpenAI's, "chatcmpl-" and 16 random hex digits, for
// providers that send none. It lives in the Call's own buffer until the next request.
func (c *Call) newID() string {
	const hex = "0123456789abcdef"
	c.id = append(c.id[:0], "chatcmpl-"...)
	v := rand.Uint64()
	for i := 60; i >= 0; i -= 4 {
		c.id = append(c.id, hex[v>>uint(i)&15])
	}
	return unsafe.String(&c.id[0], len(c.id))
}

// maxKeptBuffer is the largest buffer a pooled Call keeps between requests.
const maxKeptBuffer = 1 << 20

func (c *Call) gone() bool { return c.Gone != nil && c.Gone() }

// encoded returns what c.w holds as one slice, keeping the largest buffer for reuse. It
// allocates only when the body outgrew the buffer.
func (c *Call) encoded() []byte {
	if c.w.Buffer.Size() == len(c.w.Buffer.Buf) {
		b := c.w.Buffer.Buf
		c.w.Buffer.Buf = nil
		c.wbuf = b[:0]
		return b
	}
	b := c.w.Buffer.BuildBytes()
	c.wbuf = b[:0]
	return b
}

// ResponseWriter returns a writer whose buffer is reused across calls, for encoding the
// response; call Encoded when done.
func (c *Call) ResponseWriter() *jwriter.Writer {
	c.w = jwriter.Writer{}
	c.w.Buffer.Buf = c.wbuf[:0]
	return &c.w
}

// Encoded returns what was written to ResponseWriter. The slice is valid until the next use
// of ResponseWriter or ReleaseCall.
func (c *Call) Encoded() []byte { return c.encoded() }
