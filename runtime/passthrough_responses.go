package runtime

import (
	"errors"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// Native Responses API calls: a provider whose spec lists the responses operations (OpenAI,
// Azure OpenAI's v1 surface, xAI) gets the client's /v1/responses body with the gateway's
// edits only (the model value; provider and fallbacks removed), and the client gets the
// provider's answer, or its stream events, as it sent them. Built-in tools, encrypted
// reasoning items, include, store and previous_response_id then mean what the provider
// says. The gateway reads usage and status with jsonscan, for metrics, cost and governance.

// Responses runs a native Responses API call. Before it, the caller scans the client's body
// into PassScan with jsonscan.ScanResponsesRequest, checks Passable for
// provider.OpResponses (or OpResponsesStream when it streams) and calls Passthrough with
// jsonscan.Responses. model, prov and fallbacks are the scanned routing members. On success
// PassedAnswer is the provider's Response object and PassedUsage what jsonscan read in it.
func (e *Engine) Responses(c *Call, model, prov string, fallbacks []string) *Error {
	if err := c.checkNative(); err != nil {
		return err
	}
	return e.start(c, provider.OpResponses, model, prov, fallbacks)
}

// ResponsesStream opens a native Responses stream (see Responses). On success read events
// with Recv: PassedEvent is each event's data as the provider sent it, PassedUsage the usage
// of the terminal event (response.completed and its kin). Retries and fallbacks happen only
// before the stream opens.
func (e *Engine) ResponsesStream(c *Call, model, prov string, fallbacks []string) *Error {
	if err := c.checkNative(); err != nil {
		return err
	}
	return e.start(c, provider.OpResponsesStream, model, prov, fallbacks)
}

// checkNative refuses a Responses call whose body was not given with Passthrough: there is
// no unified request to encode for it.
func (c *Call) checkNative() *Error {
	if c.pass.on && c.pass.kind == jsonscan.Responses {
		return nil
	}
	return c.Err.set(500, schemas.ErrServer, "not_passthrough", "", "a native Responses call needs the client's body (Call.Passthrough with jsonscan.Responses)")
}

// PassedResponsesEvent returns what jsonscan read in the native Responses stream event
// that Next just read (its spans are in PassedEvent); valid until the next Next.
func (c *Call) PassedResponsesEvent() *jsonscan.Event { return &c.pass.event }

// passModel is the model value written into a native Responses body: Azure's v1 surface
// names the deployment in the body (the key's deployment for the model, as {deployment}
// in its other paths), every other provider the model.
func (c *Call) passModel(p *providerState, model string) string {
	if c.pass.kind != jsonscan.Responses || c.key < 0 || c.key >= len(p.keys) {
		return model
	}
	if d, ok := p.keys[c.key].deployments[model]; ok && d != "" {
		return d
	}
	return model
}

// passResponsesAnswer checks a 2xx native Responses answer: a Response object (status and
// output) goes back as it is; anything else is a retryable 502, as an empty chat answer is.
func (c *Call) passResponsesAnswer() *Error {
	t0 := time.Now()
	c.pass.scanned = jsonscan.ScanResponses(c.resp.Body(), &c.pass.answer) && c.pass.answer.Substantial
	c.Decode += time.Since(t0)
	if c.pass.scanned {
		return nil
	}
	e := c.decode(errNoResponse)
	e.Retryable = true
	return e
}

var errNoResponse = errors.New("the answer is not a Response object (no status or no output)")

// responsesEvent reads one native Responses stream event: its usage (from the Response that
// the terminal events carry) and whether it ends the stream. An event that is
// not a JSON object with a type fails the stream, as an undecodable chat event does.
func (c *Call) responsesEvent(ev provider.Event) (provider.Step, error) {
	var a jsonscan.Answer
	if !jsonscan.ScanResponsesEvent(ev.Data, &c.pass.event, &a) {
		if len(ev.Data) == 0 || string(ev.Data) == "[DONE]" {
			return provider.StepSkip, nil // keep-alives; [DONE] is not OpenAI's here but harmless
		}
		return provider.StepChunk, errBadResponsesEvent
	}
	if a.Usage.Defined {
		c.pass.answer.Usage = a.Usage
	}
	if c.pass.event.Terminal {
		c.finished = true
	}
	return provider.StepChunk, nil
}

var errBadResponsesEvent = errors.New("a Responses stream event is not a JSON object with a type")

// ResponsesLookup forwards a request about a response that the provider stored (GET or
// DELETE of /v1/responses/{id}, GET of its input_items) to the providers that serve the
// Responses API natively: each configured one in name order, until one answers anything
// but 404. method is GET or DELETE; suffix is what follows the provider's responses path,
// starting with "/" (the id, the sub-resource and the client's query). Any key of the
// provider may be used (no model names it). On success the provider's answer is
// PassedAnswer; otherwise the last error is returned (404 when no provider serves the
// Responses API natively, or none has the response).
func (e *Engine) ResponsesLookup(c *Call, method, suffix string) *Error {
	c.op, c.streaming = provider.OpResponses, false
	c.pass = passthrough{lookupMethod: method, lookupSuffix: suffix}
	s := e.snapshot()
	var err *Error
	for _, name := range s.names {
		p := s.providers[name]
		if p.urls[provider.OpResponses] == "" || !p.info.Verbatim[provider.OpResponses] {
			continue
		}
		c.nTargets = 0
		c.add(p, "")
		if err = e.run(c, s, c.clk.Now()); err == nil || err.Status != 404 {
			break
		}
	}
	if err == nil && c.nTargets == 0 {
		return c.Err.set(404, schemas.ErrInvalidRequest, "not_found", "", "no configured provider serves the Responses API natively")
	}
	if err != nil {
		return c.RedactDirectKey(err)
	}
	return nil
}

// lookupRequest readies a ResponsesLookup request: its method, the responses URL with the
// suffix, no body.
func (c *Call) lookupRequest(url string, templated bool) {
	c.req.Header.SetMethod(c.pass.lookupMethod)
	if !templated {
		c.url = append(append(c.url[:0], url...), c.pass.lookupSuffix...)
		c.req.SetRequestURIBytes(c.url)
	}
	c.req.SetBody(nil)
}
