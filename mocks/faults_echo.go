package mocks

import (
	"bufio"
	"encoding/base64"
	"net/url"
	"strings"

	"github.com/valyala/fasthttp"
)

// FaultEchoKey answers with an error that echoes the request's credential, as a careless or
// hostile provider does: the Authorization header's token (after "Bearer "), or else
// x-api-key, api-key, x-goog-api-key, or the "key" query value. Every form of it that
// EchoForms lists goes into every member of the error: the message, the type, the param,
// the code, and members nested inside an object. A plain request gets the error with
// Config.EchoStatus; a streamed one gets a 200 stream whose first chunk is followed by the
// error as an event (OpenAI's `data: {"error":...}`, Anthropic's `event: error`), and no end.
//
// The mock answers this way before it checks the key, so that whatever credential the
// request carries is echoed (a client's own key included); requests past FaultCount are
// checked and served as usual. The OpenAI and anthropic formats implement it.
const FaultEchoKey FaultMode = "echo_key"

// DefaultEchoStatus is FaultEchoKey's status when Config.EchoStatus is 0.
const DefaultEchoStatus = fasthttp.StatusUnauthorized

// EchoForms returns the forms of key that FaultEchoKey echoes: the key as it is,
// URL-escaped as a query value and as a path segment, masked as providers show it
// ("sk-...wxyz"), and base64 in the standard and URL alphabets, padded and not, of the key,
// of "Bearer <key>" and of the basic-auth "user:<key>".
func EchoForms(key string) []string {
	forms := []string{key, url.QueryEscape(key), url.PathEscape(key)}
	if len(key) >= 8 {
		forms = append(forms, key[:3]+"..."+key[len(key)-4:])
	}
	for _, v := range []string{key, "Bearer " + key, "user:" + key} {
		for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
			forms = append(forms, enc.EncodeToString([]byte(v)))
		}
	}
	out := forms[:0]
	for i, f := range forms {
		dup := false
		for _, g := range forms[:i] {
			dup = dup || g == f
		}
		if !dup {
			out = append(out, f)
		}
	}
	return out
}

// echoedCredential returns the header that carries the request's credential, as
// "Name: value", and the credential itself; both empty when the request has none.
func echoedCredential(ctx *fasthttp.RequestCtx) (header, key string) {
	if v := string(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)); v != "" {
		k := v
		if scheme, token, ok := strings.Cut(v, " "); ok && strings.EqualFold(scheme, "Bearer") {
			k = token
		}
		return fasthttp.HeaderAuthorization + ": " + v, k
	}
	for _, name := range []string{"x-api-key", "api-key", "x-goog-api-key"} {
		if v := string(ctx.Request.Header.Peek(name)); v != "" {
			return name + ": " + v, v
		}
	}
	if v := string(ctx.QueryArgs().Peek("key")); v != "" {
		return "key=" + v, v
	}
	return "", ""
}

// echo is what FaultEchoKey writes into each member: the credential's header and every form
// of the key, and an object that nests them.
type echo struct {
	text   string // the header line and every form, space-separated
	nested []byte // {"credential":{"header":...,"forms":[...]}}
}

func newEcho(ctx *fasthttp.RequestCtx) echo {
	header, key := echoedCredential(ctx)
	if key == "" {
		return echo{text: "no credential", nested: []byte(`{"credential":null}`)}
	}
	forms := EchoForms(key)
	text := header + " " + strings.Join(forms, " ")
	n := append([]byte(nil), `{"credential":{"header":`...)
	n = appendJSONString(n, header)
	n = append(n, `,"forms":[`...)
	for i, f := range forms {
		if i > 0 {
			n = append(n, ',')
		}
		n = appendJSONString(n, f)
	}
	n = append(n, "]}}"...)
	return echo{text: text, nested: n}
}

// appendOpenAIEcho appends OpenAI's error object with e in every member: the message, the
// type and the param as strings, the code as an object (which a client that keeps a
// non-string code as JSON text shows), and a nested "details" member.
func appendOpenAIEcho(dst []byte, e *echo) []byte {
	dst = append(dst, `{"error":{"message":`...)
	dst = appendJSONString(dst, "Incorrect API key provided: "+e.text)
	dst = append(dst, `,"type":`...)
	dst = appendJSONString(dst, e.text)
	dst = append(dst, `,"param":`...)
	dst = appendJSONString(dst, e.text)
	dst = append(dst, `,"code":`...)
	dst = append(dst, e.nested...)
	dst = append(dst, `,"details":`...)
	dst = append(dst, e.nested...)
	return append(dst, "}}"...)
}

// appendAnthropicEcho appends Anthropic's error object with e in every member: the type
// (which a client keeps as the error's code), the message, and a nested "details" member.
func appendAnthropicEcho(dst []byte, e *echo) []byte {
	dst = append(dst, `{"type":"error","error":{"type":`...)
	dst = appendJSONString(dst, e.text)
	dst = append(dst, `,"message":`...)
	dst = appendJSONString(dst, "invalid x-api-key: "+e.text)
	dst = append(dst, `,"details":`...)
	dst = append(dst, e.nested...)
	return append(dst, "}}"...)
}

// echoStatus is the status of FaultEchoKey's plain answer.
func (s *Server) echoStatus() int {
	if s.cfg.EchoStatus != 0 {
		return s.cfg.EchoStatus
	}
	return DefaultEchoStatus
}

// echoKey answers an OpenAI-format request with FaultEchoKey's error: streamed when stream.
func (s *Server) echoKey(ctx *fasthttp.RequestCtx, model string, stream bool) {
	e := newEcho(ctx)
	if !stream {
		ctx.Response.SwapBody(appendOpenAIEcho(beginErrorBody(ctx, s.echoStatus()), &e))
		return
	}
	prefix := appendStreamPrefix(nil, "chatcmpl-", "chat.completion.chunk", s.nextID(), model)
	role := append(append([]byte(nil), prefix...), `{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n"...)
	ev := append([]byte("data: "), appendOpenAIEcho(nil, &e)...)
	ev = append(ev, "\n\n"...)
	startSSE(ctx, func(w *bufio.Writer) {
		if writeEvent(w, role) {
			writeEvent(w, ev)
		}
	})
}

// echoKeyAnthropic answers a Messages request with FaultEchoKey's error, in Anthropic's
// shapes: streamed when r.stream.
func (s *Server) echoKeyAnthropic(ctx *fasthttp.RequestCtx, r *anthropicRequest) {
	e := newEcho(ctx)
	if !r.stream {
		ctx.Response.SwapBody(appendAnthropicEcho(beginErrorBody(ctx, s.echoStatus()), &e))
		return
	}
	p := s.anthropicStream(r)
	ev := appendSSE(nil, "error", string(appendAnthropicEcho(nil, &e)))
	startSSE(ctx, func(w *bufio.Writer) {
		if writeEvent(w, p.events[0]) {
			writeEvent(w, ev)
		}
	})
}
