package server

import (
	"bufio"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/mailru/easyjson/jwriter"
)

// Native forwarding of POST /v1/responses. When every target of the request (the model and
// its fallbacks) is a provider whose spec lists the responses operations (OpenAI, Azure
// OpenAI, xAI), no plugin is installed and the call is not traced (runtime.Engine.Passable),
// the client's body goes to the provider with only the gateway's edits (the model value;
// provider and fallbacks removed) and the provider's answer, or its stream events, come back
// as it sent them. Built-in tools, encrypted reasoning, include, store and
// previous_response_id then mean what the provider says, and a stored response is stored
// by the provider: GET, DELETE and input_items of an id the gateway does not hold are
// forwarded (responses_forward.go). Usage for metrics, cost and governance is read by
// jsonscan from the answer's usage and from the stream's terminal event. A request that
// does not qualify (a mix of native and translated targets, a plugin, -passthrough=false)
// is translated as for every other provider, and so is one whose previous_response_id names
// a response the gateway stored (a conversation begun on a translated provider).

// native serves the request natively when it qualifies; handled false means it answered
// nothing and the caller translates it. owned says a stream now owns rx.
func (rx *responsesExchange) native() (handled, owned bool) {
	x := rx.x
	if x.s.noPassthrough {
		return false, false
	}
	c, body := x.call, x.ctx.PostBody()
	scan := c.PassScan()
	if !jsonscan.ScanResponsesRequest(body, scan) {
		return false, false
	}
	op := provider.OpResponses
	if scan.Stream {
		op = provider.OpResponsesStream
	}
	model, prov := scan.Model.Text(body), scan.Provider.Text(body)
	fallbacks := x.bodyFallbacks(scan, body)
	if !x.s.engine.Passable(c, op, model, prov, fallbacks) || rx.gatewayStored(scan.PreviousResponseID.Text(body)) {
		return false, false
	}
	x.setRouted(scan, model, prov, fallbacks)
	if !x.govAdmit(false, "") {
		return true, false
	}
	c.Passthrough(jsonscan.Responses, body, false)
	if scan.Stream {
		if err := x.s.engine.ResponsesStream(c, model, prov, fallbacks); err != nil {
			x.writeRuntimeError(err)
			return true, false
		}
		x.s.passed.Add(1)
		x.beginSSE(rx.nativeFn)
		return true, true
	}
	if err := x.s.engine.Responses(c, model, prov, fallbacks); err != nil {
		x.writeRuntimeError(err)
		return true, false
	}
	x.s.passed.Add(1)
	x.respondPassed()
	return true, false
}

var (
	eventPrefix = []byte("event: ")
	dataLine    = []byte("\ndata: ")
)

// nativeStream relays a native Responses stream: each event as the provider sent it (its
// type as the event name, its data as it is), one flush per event, then releases rx. A
// stream that breaks ends with response.failed carrying the error. It runs on fasthttp's
// stream-writer goroutine.
func (rx *responsesExchange) nativeStream(w *bufio.Writer) {
	x := rx.x
	c := x.call
	status := 200
	sm := x.s.metrics.Stream(metrics.EndpointResponses, c.Provider, c.Model, x.start)
	rx.lastSeq, rx.respID = -1, rx.respID[:0]
	for {
		done, err := c.Recv()
		if err != nil {
			c.RedactDirectKey(err)
			w.Write(rx.failedEvent(c.ResponseWriter(), &err.Body)) //nolint:errcheck // a failed write shows at Flush
			x.flush(w)                                             //nolint:errcheck // the stream ends either way
			status = err.Status
			break
		}
		if done {
			if x.flush(w) != nil {
				status = 499
			}
			break
		}
		sm.Chunk(time.Now())
		data, ev := c.PassedEvent(), c.PassedResponsesEvent()
		rx.lastSeq = ev.Seq
		if ev.ResponseID.Set() && len(rx.respID) == 0 {
			rx.respID = append(rx.respID, ev.ResponseID.Of(data)...)
		}
		if ev.Terminal {
			x.passedUsage(&c.PassedUsage().Usage)
		}
		w.Write(eventPrefix)                           //nolint:errcheck
		w.Write(data[ev.Type.Start+1 : ev.Type.End-1]) //nolint:errcheck
		w.Write(dataLine)                              //nolint:errcheck
		w.Write(data)                                  //nolint:errcheck
		w.Write(eventEnd)                              //nolint:errcheck
		if x.flush(w) != nil {
			status = 499 // the client went away or stalled: ReleaseCall closes the upstream stream
			break
		}
	}
	x.letConn()
	s := x.s
	x.govSettle(true, false)
	x.record(status, x.openOverhead, time.Since(x.start))
	x.release()
	s.releaseResponses(rx)
}

// failedEvent writes the response.failed event that ends a native stream that broke: the
// next sequence number, the provider's response id when it sent one, the error.
func (rx *responsesExchange) failedEvent(w *jwriter.Writer, e *schemas.ErrorBody) []byte {
	w.RawString("event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":")
	w.Int(rx.lastSeq + 1)
	w.RawString(`,"response":{"id":`)
	if len(rx.respID) > 0 {
		w.Raw(rx.respID, nil)
	} else {
		w.RawString(`""`)
	}
	w.RawString(`,"object":"response","status":"failed","error":{"code":`)
	code := string(e.Code)
	if code == "" {
		code = "server_error"
	}
	w.String(code)
	w.RawString(`,"message":`)
	w.String(e.Message)
	w.RawString(`},"output":[]}}`)
	w.RawString("\n\n")
	return rx.x.call.Encoded()
}

// gatewayStored reports whether previous_response_id id names a response the gateway
// stored (a translated one): the request then continues that conversation translated,
// whatever its target, since the provider does not hold it. "" and a failing store say no
// (the provider may hold it).
func (rx *responsesExchange) gatewayStored(id string) bool {
	if id == "" {
		return false
	}
	_, ok, err := rx.x.s.responseStore().Get(rx.x.ctx, id)
	return ok && err == nil
}
