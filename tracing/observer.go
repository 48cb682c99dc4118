package tracing

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jwriter"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// The request strings that go on spans are cloned: a span is exported after the request
// ends, and the request's strings may be borrowed from buffers that are reused by then.

// AttemptStart starts an attempt's client span under the request's server span.
func (t *Tracer) AttemptStart(c *runtime.Call, a runtime.Attempt) {
	r, ok := c.Trace().(*request)
	if !ok {
		return
	}
	model := strings.Clone(a.Model)
	if r.reqModel == "" {
		r.reqModel = model
	}
	if r.p.capture && !r.capturedIn {
		r.capturedIn = true
		if in := inputContent(c, r.p.maxContent); in != "" {
			r.span.SetAttributes(attribute.String("gen_ai.input.messages", in))
		}
	}
	op := c.Operation()
	prov := providerName(a.Provider)
	attrs := []attribute.KeyValue{
		attribute.String("gen_ai.operation.name", op), attribute.String("gen_ai.provider.name", prov),
		attribute.String("gen_ai.system", prov), attribute.String("gen_ai.request.model", model),
		attribute.String("bifrost.provider", a.Provider), attribute.Int("bifrost.retry", a.Retry),
		attribute.Int("bifrost.fallback_index", a.Fallback),
	}
	if a.KeyName != "" {
		attrs = append(attrs, attribute.String("bifrost.key.name", a.KeyName))
	}
	ctx, span := r.p.tracer.Start(r.ctx, op+" "+model, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithTimestamp(a.Start), trace.WithAttributes(attrs...))
	r.attempt = span
	if r.p.propagate {
		propagation.TraceContext{}.Inject(ctx, callCarrier{c})
	}
}

// AttemptEnd ends an attempt's span with its outcome; a stream's successful attempt stays
// open until the stream ends.
func (t *Tracer) AttemptEnd(c *runtime.Call, a runtime.Attempt, res runtime.AttemptResult) {
	r, ok := c.Trace().(*request)
	if !ok || r.attempt == nil {
		return
	}
	span := r.attempt
	r.attempt = nil
	if res.Status != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", res.Status))
	}
	switch {
	case res.Reconnect:
		span.SetAttributes(attribute.Bool("bifrost.reconnect", true), attribute.String("error.type", "stale_connection"))
	case res.Err != nil:
		setError(span, res.Err)
	case a.Stream:
		r.ok, r.stream, r.streamAt = true, span, a.Start
		r.openCost = res.End.Sub(r.start) - c.Upstream
		r.errStatus, r.errCode = c.Err.Status, strings.Clone(string(c.Err.Body.Code))
		return
	default:
		r.ok = true
		setResponse(span, c, a.Model)
	}
	span.End(trace.WithTimestamp(res.End))
}

// Chunk records a stream's first chunk as an event, and its finish reasons, usage and
// model as they come.
func (t *Tracer) Chunk(c *runtime.Call, n int) {
	r, ok := c.Trace().(*request)
	if !ok {
		return
	}
	if n == 1 {
		now := time.Now()
		ev := func(since time.Time) trace.EventOption {
			return trace.WithAttributes(attribute.Float64("gen_ai.response.time_to_first_chunk", now.Sub(since).Seconds()))
		}
		r.span.AddEvent("gen_ai.first_token", trace.WithTimestamp(now), ev(r.start))
		if r.stream != nil {
			r.stream.AddEvent("gen_ai.first_token", trace.WithTimestamp(now), ev(r.streamAt))
		}
	}
	model, usage := c.Chunk.Model, &c.Chunk.Usage
	if c.Operation() == "text_completion" {
		model, usage = c.TextResp.Model, &c.TextResp.Usage
		for i := range c.TextResp.Choices {
			ch := &c.TextResp.Choices[i]
			r.addFinish(string(ch.FinishReason))
			if ch.Index == 0 {
				r.addText(ch.Text)
			}
		}
	} else {
		for i := range c.Chunk.Choices {
			ch := &c.Chunk.Choices[i]
			r.addFinish(string(ch.FinishReason))
			if ch.Index == 0 {
				r.addText(ch.Delta.Content.Text)
			}
		}
	}
	if r.respModel == "" && model != "" {
		r.respModel = strings.Clone(model)
	}
	if usage.IsDefined() {
		r.usage, r.in, r.out = true, usage.PromptTokens, usage.CompletionTokens
	}
}

// addText keeps a streamed text fragment of the first choice, for gen_ai.output.messages,
// while content capture is on and the text kept is under max_content_bytes.
func (r *request) addText(t schemas.Text) {
	if !r.p.capture || len(r.outText) >= r.p.maxContent || t.IsNull() {
		return
	}
	r.outText = append(r.outText, t.String()...)
}

func (r *request) addFinish(reason string) {
	if reason != "" && len(r.finish) < 16 {
		r.finish = append(r.finish, strings.Clone(reason))
	}
}

// CallEnd puts the request's outcome on the server span, ends a stream's attempt span,
// and lets the server span end.
func (t *Tracer) CallEnd(c *runtime.Call) {
	r, ok := c.Trace().(*request)
	if !ok {
		return
	}
	defer r.release()
	if r.attempt != nil { // an attempt cut short (the Call was released mid-attempt)
		r.attempt.End()
		r.attempt = nil
	}
	if c.Attempts == 0 && c.Provider == "" {
		return // no route was tried: nothing GenAI to say
	}
	if nano, ok := c.Cost(); ok {
		r.span.SetAttributes(attribute.Float64("bifrost.cost_usd", float64(nano)/1e9))
	}
	prov := providerName(c.Provider)
	r.span.SetAttributes(attribute.String("gen_ai.operation.name", c.Operation()),
		attribute.String("gen_ai.provider.name", prov), attribute.String("gen_ai.system", prov),
		attribute.String("bifrost.provider", c.Provider), attribute.String("gen_ai.request.model", r.reqModel),
		attribute.Int("bifrost.attempts", c.Attempts), attribute.Int("bifrost.fallbacks", c.Fallbacks))
	switch {
	case r.stream != nil:
		r.endStream(c)
	case r.ok:
		setResponse(r.span, c, r.reqModel)
		r.span.SetAttributes(attribute.Float64("bifrost.overhead_ms", ms(time.Since(r.start)-c.Upstream)))
		if r.p.capture {
			if out := outputContent(c, r.p.maxContent); out != "" {
				r.span.SetAttributes(attribute.String("gen_ai.output.messages", out))
			}
		}
	case c.Err.Status != 0:
		setError(r.span, &c.Err)
		r.failed = true
	}
}

// endStream records a stream's outcome on its attempt span and the server span and ends
// the attempt span.
func (r *request) endStream(c *runtime.Call) {
	attrs := []attribute.KeyValue{attribute.Float64("bifrost.overhead_ms", ms(r.openCost))}
	if r.respModel != "" {
		attrs = append(attrs, attribute.String("gen_ai.response.model", r.respModel))
	}
	if len(r.finish) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", r.finish))
	}
	if r.usage {
		attrs = append(attrs, attribute.Int("gen_ai.usage.input_tokens", r.in), attribute.Int("gen_ai.usage.output_tokens", r.out))
	}
	r.span.SetAttributes(attrs...)
	r.stream.SetAttributes(attrs[1:]...)
	if r.p.capture && len(r.outText) > 0 {
		r.span.SetAttributes(attribute.String("gen_ai.output.messages", streamedContent(c, r.outText, r.p.maxContent)))
	}
	if c.Err.Status != 0 && (c.Err.Status != r.errStatus || string(c.Err.Body.Code) != r.errCode) {
		setError(r.span, &c.Err)
		setError(r.stream, &c.Err)
		r.failed = true
	}
	r.stream.End()
	r.stream = nil
}

// setResponse puts a non-streamed answer's model, finish reasons and usage on span.
func setResponse(span trace.Span, c *runtime.Call, fallbackModel string) {
	var model string
	var in, out int
	var reasons []string
	switch c.Operation() {
	case "chat":
		model, in, out = c.ChatResp.Model, c.ChatResp.Usage.PromptTokens, c.ChatResp.Usage.CompletionTokens
		for i := range c.ChatResp.Choices {
			if f := c.ChatResp.Choices[i].FinishReason; f != "" {
				reasons = append(reasons, strings.Clone(string(f)))
			}
		}
	case "text_completion":
		model, in, out = c.TextResp.Model, c.TextResp.Usage.PromptTokens, c.TextResp.Usage.CompletionTokens
		for i := range c.TextResp.Choices {
			if f := c.TextResp.Choices[i].FinishReason; f != "" {
				reasons = append(reasons, strings.Clone(string(f)))
			}
		}
	case "embeddings":
		model, in = c.EmbeddingResp.Model, c.EmbeddingResp.Usage.PromptTokens
	default:
		return
	}
	if model == "" {
		model = fallbackModel
	}
	attrs := []attribute.KeyValue{attribute.String("gen_ai.response.model", strings.Clone(model)),
		attribute.Int("gen_ai.usage.input_tokens", in)}
	if c.Operation() != "embeddings" {
		attrs = append(attrs, attribute.Int("gen_ai.usage.output_tokens", out))
	}
	if len(reasons) > 0 {
		attrs = append(attrs, attribute.StringSlice("gen_ai.response.finish_reasons", reasons))
	}
	span.SetAttributes(attrs...)
}

// setError marks span failed with err's type: its code ("upstream_timeout",
// "rate_limit_exceeded"), else its type, else its status. The message stays off the span:
// a provider's message may quote the request.
func setError(span trace.Span, err *runtime.Error) {
	typ := string(err.Body.Code)
	if typ == "" {
		typ = err.Body.Type
	}
	if typ == "" {
		typ = strconv.Itoa(err.Status)
	}
	typ = strings.Clone(typ)
	span.SetAttributes(attribute.String("error.type", typ))
	span.SetStatus(codes.Error, typ)
}

func ms(d time.Duration) float64 {
	if d < 0 {
		d = 0
	}
	return float64(d) / float64(time.Millisecond)
}

// providerNames maps the gateway's provider names to the GenAI conventions' well-known
// gen_ai.provider.name values; others are used as they are.
var providerNames = map[string]string{
	"bedrock": "aws.bedrock", "azure": "azure.ai.openai", "gemini": "gcp.gemini", "vertex": "gcp.vertex_ai",
	"mistral": "mistral_ai", "xai": "x_ai",
}

func providerName(p string) string {
	if v, ok := providerNames[p]; ok {
		return v
	}
	return p
}

// inputContent is the request's messages (chat) or prompt (text) as JSON, truncated.
func inputContent(c *runtime.Call, limit int) string {
	switch c.Operation() {
	case "chat":
		return jsonList(len(c.Chat.Messages), func(i int) easyjson.Marshaler { return &c.Chat.Messages[i] }, limit)
	case "text_completion":
		return truncate(easyjsonString(&c.Text.Prompt), limit)
	}
	return ""
}

// outputContent is the answer's messages (chat) or texts (text) as JSON, truncated.
func outputContent(c *runtime.Call, limit int) string {
	switch c.Operation() {
	case "chat":
		ch := c.ChatResp.Choices
		return jsonList(len(ch), func(i int) easyjson.Marshaler { return &ch[i].Message }, limit)
	case "text_completion":
		ch := c.TextResp.Choices
		return jsonList(len(ch), func(i int) easyjson.Marshaler { return &ch[i].Text }, limit)
	}
	return ""
}

// streamedContent is a stream's text (the first choice's, as it came), in the shape
// outputContent gives a whole answer: an assistant message (chat) or the text, in a list,
// truncated.
func streamedContent(c *runtime.Call, text []byte, limit int) string {
	var w jwriter.Writer
	w.RawByte('[')
	if c.Operation() == "chat" {
		w.RawString(`{"role":"assistant","content":`)
		w.String(string(text))
		w.RawByte('}')
	} else {
		w.String(string(text))
	}
	w.RawByte(']')
	b, _ := w.BuildBytes()
	return truncate(string(b), limit)
}

func jsonList(n int, item func(int) easyjson.Marshaler, limit int) string {
	var w jwriter.Writer
	w.RawByte('[')
	for i := 0; i < n && w.Size() <= limit; i++ {
		if i > 0 {
			w.RawByte(',')
		}
		item(i).MarshalEasyJSON(&w)
	}
	w.RawByte(']')
	b, _ := w.BuildBytes()
	return truncate(string(b), limit)
}

func easyjsonString(v easyjson.Marshaler) string {
	var w jwriter.Writer
	v.MarshalEasyJSON(&w)
	b, _ := w.BuildBytes()
	return string(b)
}

// truncate cuts s to at most limit bytes on a UTF-8 boundary.
func truncate(s string, limit int) string {
	if len(s) <= limit {
		return s
	}
	for limit > 0 && !utf8.RuneStart(s[limit]) {
		limit--
	}
	return s[:limit]
}
