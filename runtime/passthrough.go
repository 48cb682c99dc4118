package runtime

import (
	"errors"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/clock"
	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// passthrough is a call's state on the passthrough path: the client's OpenAI body goes to
// a provider that speaks the same format with only the gateway's edits (model value,
// gateway-only members, the usage request), and the provider's answer comes back as it was
// sent, read by jsonscan for usage and the finish reason.
type passthrough struct {
	on       bool
	kind     jsonscan.Kind
	body     []byte // the client's body, borrowed until the call ends
	scan     jsonscan.Request
	addUsage bool
	// Answer is what jsonscan read in the answer; scanned is false when the scanner declined
	// it and the adapter decoded it instead (the unified response then holds the usage).
	answer  jsonscan.Answer
	scanned bool
	// decoded says an attempt's answer was left to the adapter's decoder (passAnswer), which
	// wrote the unified response.
	decoded bool
	// eventName is the name of the stream event that Next just read (Anthropic's event: field).
	eventName []byte
	event     jsonscan.Event // the latest native Responses stream event (passthrough_responses.go)
	// lookupMethod and lookupSuffix make a ResponsesLookup request (passthrough_responses.go).
	lookupMethod, lookupSuffix string
}

// PassScan returns the call's jsonscan.Request, for the caller to scan the client's body
// into (jsonscan.ScanRequest) before it calls Passthrough.
func (c *Call) PassScan() *jsonscan.Request { return &c.pass.scan }

// Passthrough puts the call on the passthrough path. body is the client's request of
// kind k (OpenAI's, or Anthropic's Messages for a call that PassableMessages took), scanned into PassScan (jsonscan.ScanRequest returned true), and the request
// fields the engine routes by (Model, Provider, Fallbacks of the call's request of that
// kind) must be set from it. addUsage asks a stream's provider for the usage chunk. Call it
// only when Passable said yes; body must stay unchanged until ReleaseCall.
func (c *Call) Passthrough(k jsonscan.Kind, body []byte, addUsage bool) {
	c.pass.on, c.pass.kind, c.pass.body, c.pass.addUsage = true, k, body, addUsage
	c.pass.answer = jsonscan.Answer{}
}

// Passable reports whether a request of operation op for model (with providerField and
// fallbacks, as the client sent them) may take the passthrough path: no plugin is
// installed (plugins see the parsed request and answer), the call is not traced (its spans
// carry the parsed answer's model, usage and finish reasons), and every target it routes to has a
// provider whose wire format for op is the unified one as it is (provider.Info.Verbatim).
// A request whose route fails is not passable: the decoding path answers the error.
func (e *Engine) Passable(c *Call, op provider.Op, model, providerField string, fallbacks []string) bool {
	return e.passable(c, model, providerField, fallbacks, func(t *target) bool { return t.p.adapter.Info().Verbatim[op] })
}

// PassableMessages is Passable for an Anthropic Messages request (jsonscan.Messages): every
// target must speak Anthropic's format itself (its spec's format is "anthropic", and no
// model route gives the model another codec). Claude on Vertex AI does not qualify: its body
// names no model and carries anthropic_version, so it is translated.
func (e *Engine) PassableMessages(c *Call, model, providerField string, fallbacks []string) bool {
	return e.passable(c, model, providerField, fallbacks, func(t *target) bool {
		return t.p.adapter.Info().Format == anthropicFormat && !t.p.routedCodec(t.model)
	})
}

// routedCodec reports whether a model route gives model a codec of its own (chatCodec).
func (p *providerState) routedCodec(model string) bool {
	for i := range p.routes {
		if r := &p.routes[i]; r.codec != nil && strings.HasPrefix(model, r.prefix) {
			return true
		}
	}
	return false
}

// anthropicFormat is the wire format of Anthropic's Messages API (specs/anthropic.yaml).
const anthropicFormat = "anthropic"

// passable routes the request and reports whether every target it routes to satisfies ok.
func (e *Engine) passable(c *Call, model, providerField string, fallbacks []string, ok func(*target) bool) bool {
	if e.plugins.Load() != nil || c.traced() {
		return false
	}
	s := e.snapshot()
	if c.route(s, model, providerField, fallbacks) != nil {
		c.Err = Error{}
		return false
	}
	all := c.nTargets > 0
	for i := 0; i < c.nTargets && all; i++ {
		all = ok(&c.targets[i])
	}
	c.nTargets = 0
	return all
}

// Passed reports whether the call's answer is the provider's own body (PassedAnswer), read
// by jsonscan (PassedUsage), rather than the unified response.
func (c *Call) Passed() bool { return c.pass.on && c.pass.scanned }

// PassedAnswer returns the provider's answer as it sent it; valid until ReleaseCall.
func (c *Call) PassedAnswer() []byte { return c.resp.Body() }

// PassedUsage returns what jsonscan read in the provider's answer.
func (c *Call) PassedUsage() *jsonscan.Answer { return &c.pass.answer }

// passRequest sets the provider request's body: the client's body with the gateway's edits
// and model, the target's name for the model, in the call's own buffer (setBody). It
// allocates nothing once the call's buffer has grown to the body's size.
func (c *Call) passRequest(model string) {
	out := jsonscan.AppendRequest(c.wbuf[:0], c.pass.body, &c.pass.scan, model, c.pass.addUsage)
	c.setBody(out)
	c.wbuf = out[:0]
}

// passAnswer checks a 2xx plain answer on the passthrough path: an answer jsonscan takes
// and finds substantial (decodeAnswer's check) goes back as it is; any other is left to the
// adapter's decoder, which serves it the decoding way or rejects it as today. t0 is when the
// attempt ended (a time of c.clk): the scan's time counts as decoding.
func (c *Call) passAnswer(p *providerState, t0 time.Time) *Error {
	if c.pass.kind == jsonscan.Responses {
		return c.passResponsesAnswer()
	}
	if c.pass.kind == jsonscan.Messages {
		c.pass.scanned = jsonscan.ScanAnthropic(c.resp.Body(), &c.pass.answer) && c.pass.answer.Substantial
	} else {
		c.pass.scanned = jsonscan.ScanOpenAI(c.resp.Body(), c.pass.kind, &c.pass.answer) && c.pass.answer.Substantial
	}
	if c.pass.scanned {
		c.Decode += clock.Since(c.clk, t0)
		return nil
	}
	c.pass.decoded = true
	return c.decodeAnswer(p, t0) // the scan's time counts as decoding too
}

// passedWhole reports whether the call was served by the passthrough path from start to
// end, and of which kind: a plain (not streamed) OpenAI or Anthropic answer that jsonscan
// took, with no attempt's answer decoded. Such a call wrote no unified response or stream
// chunk, and of the unified requests only its kind's (the routed members, set by the
// server), so reset clears only that one.
func (c *Call) passedWhole() (jsonscan.Kind, bool) {
	p := &c.pass
	if !p.on || !p.scanned || p.decoded || c.op.Streams() {
		return 0, false
	}
	switch p.kind {
	case jsonscan.Chat, jsonscan.Messages, jsonscan.Text, jsonscan.Embedding:
		return p.kind, true
	}
	return 0, false
}

// PassedEvent returns the data of the stream event that Next just read, as the provider
// sent it, when the call streams on the passthrough path; nil otherwise (the caller then
// encodes the decoded chunk). Valid until the next Next.
func (c *Call) PassedEvent() []byte {
	if c.pass.on && c.streaming {
		return c.event
	}
	return nil
}

// PassedEventName returns the name (SSE "event:") of the stream event that Next just read on
// the passthrough path of an Anthropic stream; nil otherwise. Valid until the next Next.
func (c *Call) PassedEventName() []byte {
	if c.pass.on && c.streaming && c.pass.kind == jsonscan.Messages {
		return c.pass.eventName
	}
	return nil
}

// passesEvents reports whether Next reads the stream's events with passEvent rather than
// the adapter's decoder: an Anthropic stream on the passthrough path.
func (c *Call) passesEvents() bool { return c.pass.on && c.pass.kind == jsonscan.Messages }

// errBadEvent is passEvent's error for an event that is not a JSON object.
var errBadEvent = errors.New("a stream event is not a valid JSON object")

// passEvent reads one event of an Anthropic stream on the passthrough path with jsonscan,
// instead of the adapter's decoder: every event goes to the client as it was sent (pings and
// block ends too: StepChunk), the usage gathers in PassedUsage (message_start brings the
// input tokens, message_delta the output tokens), a stop reason marks the stream finished,
// message_stop ends it (StepDone; the caller still sends it) and an error event is
// StepError (decoded, scrubbed and answered as on the decoding path).
func (c *Call) passEvent(ev provider.Event) (provider.Step, error) {
	a := &c.pass.answer
	c.pass.eventName = ev.Name
	if !jsonscan.ScanAnthropicEvent(ev.Data, a) {
		return provider.StepSkip, errBadEvent
	}
	switch string(a.Type.Of(ev.Data)) {
	case `"error"`:
		return provider.StepError, nil
	case `"message_stop"`:
		c.finished = true
		return provider.StepDone, nil
	}
	if a.FinishReason.Set() {
		c.finished = true
	}
	return provider.StepChunk, nil
}
