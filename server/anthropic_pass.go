package server

import (
	"bufio"
	"bytes"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/mailru/easyjson/opt"
)

// The passthrough path of /anthropic/v1/messages: a Messages request whose every target is
// Anthropic itself (runtime.Engine.PassableMessages) goes there as the client sent it, with
// only the gateway's edits (the model value, provider and fallbacks removed; see
// jsonscan.AppendRequest), and Anthropic's answer, or each of its stream events, comes back
// as Anthropic sent it. The body is scanned, never decoded (jsonscan.ScanRequest with
// jsonscan.Messages); usage and the stop reason are read by jsonscan.ScanAnthropic. Errors
// are classified, retried, scrubbed and answered in Anthropic's shape as on the decoding
// path; a request with a target of another format (a fallback to OpenAI, Claude on Vertex
// AI) is decoded and translated as before.

// pass serves the request on the passthrough path when it qualifies. It returns handled
// false, having answered nothing, when it does not: the caller decodes it as before; owned
// says a stream now owns ax.
func (ax *anthropicExchange) pass(directKey []byte) (handled, owned bool) {
	x := ax.x
	if x.s.noPassthrough {
		return false, false
	}
	c, body := x.call, x.ctx.PostBody()
	scan := c.PassScan()
	if !jsonscan.ScanRequest(body, jsonscan.Messages, scan) {
		return false, false
	}
	model, prov := scan.Model.Text(body), scan.Provider.Text(body)
	fallbacks := x.bodyFallbacks(scan, body)
	if prov == "" && model != "" && strings.IndexByte(model, '/') < 0 && !x.s.engine.IsAlias(model) && x.s.hasProvider(anthropicProvider) {
		prov = anthropicProvider // a bare Claude name, as anthropicTarget routes it
	}
	if !x.s.engine.PassableMessages(c, model, prov, fallbacks) {
		return false, false
	}
	c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, prov, fallbacks
	c.Chat.MaxTokens = opt.OInt(scan.MaxTokens.V)
	c.Chat.Stream = opt.Bool{V: scan.Stream, Defined: scan.Stream}
	if len(directKey) > 0 {
		c.DirectKey = string(directKey)
	}
	addBetaHeader(c, x.ctx)
	ax.model = model
	if !x.govAdmit(true, anthropicProvider) {
		return true, false
	}
	c.Passthrough(jsonscan.Messages, body, false)
	if err := ax.start(scan.Stream); err != nil {
		ax.writeRuntimeError(err)
		return true, false
	}
	if scan.Stream {
		x.s.passed.Add(1)
		x.beginSSE(ax.passStreamFn)
		return true, true
	}
	if c.Passed() {
		x.s.passed.Add(1)
		x.respondPassed()
		return true, false
	}
	ax.respond() // the scanner declined the answer and the adapter decoded it
	return true, false
}

// passStream relays Anthropic's stream events to the client as they were sent, one flush
// per event, then releases ax. It runs on fasthttp's stream-writer goroutine.
func (ax *anthropicExchange) passStream(w *bufio.Writer) {
	x := ax.x
	c := x.call
	status := 200
	sm := x.s.metrics.Stream(endpoints[x.kind], c.Provider, c.Model, x.start)
	for {
		done, err := c.Recv()
		if err != nil {
			// Headers are gone already: report the failure as an error event, as Anthropic does.
			c.RedactDirectKey(err)
			ax.out.StreamError(c.ResponseWriter(), err.Status, &err.Body)
			w.Write(c.Encoded()) //nolint:errcheck // a failed write shows at Flush
			x.flush(w)           //nolint:errcheck // the stream ends either way
			status = err.Status
			break
		}
		if data := c.PassedEvent(); len(data) > 0 {
			if !done {
				sm.Chunk(time.Now())
			}
			writeEvent(w, c.PassedEventName(), data)
			if x.flush(w) != nil {
				status = 499 // the client went away or stalled: ReleaseCall closes the upstream stream
				break
			}
		}
		if done {
			break
		}
	}
	x.passedUsage(&c.PassedUsage().Usage)
	x.letConn()
	s := x.s
	x.govSettle(true, false)
	x.record(status, x.openOverhead, time.Since(x.start))
	x.release()
	s.releaseAnthropic(ax)
}

var (
	eventField = []byte("event: ")
	dataField  = []byte("data: ")
)

// writeEvent writes one server-sent event: its name, when it has one, and its data, one data
// field per line.
func writeEvent(w *bufio.Writer, name, data []byte) {
	if len(name) > 0 {
		w.Write(eventField) //nolint:errcheck // a failed write shows at Flush
		w.Write(name)       //nolint:errcheck
		w.WriteByte('\n')   //nolint:errcheck
	}
	for {
		i := bytes.IndexByte(data, '\n')
		line := data
		if i >= 0 {
			line = data[:i]
		}
		w.Write(dataField) //nolint:errcheck
		w.Write(line)      //nolint:errcheck
		w.WriteByte('\n')  //nolint:errcheck
		if i < 0 {
			break
		}
		data = data[i+1:]
	}
	w.WriteByte('\n') //nolint:errcheck
}
