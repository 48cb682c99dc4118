package mocks

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// FormatBedrock is Amazon Bedrock Runtime's API: POST /model/{modelId}/converse
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html),
// /model/{modelId}/converse-stream answered as an AWS event stream
// (application/vnd.amazon.eventstream, each message with its prelude and message CRC32;
// https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_ConverseStream.html),
// /model/{modelId}/invoke for Titan and Cohere embedding models, and the control plane's
// GET /foundation-models (ListFoundationModels, with its byInferenceType filter). Errors are
// {"message":"..."} with the exception's name in x-amzn-ErrorType. With RequireKey, a request
// passes with "Authorization: Bearer <key>" (a Bedrock API key) or with a SigV4
// Authorization header whose access key is the key (the signature itself is not checked).
const FormatBedrock = "bedrock"

// contentTypeEventStreamAWS is the content type of an AWS event stream.
const contentTypeEventStreamAWS = "application/vnd.amazon.eventstream"

// bedrockRequest is what the mock reads from a Converse or InvokeModel request.
type bedrockRequest struct {
	op         string // "converse", "converse-stream" or "invoke"
	model      string
	textBytes  int
	tool       string // the first tool's name, when the request has tools
	toolResult bool   // the last message carries a toolResult
	texts      int    // embedding inputs: 1 for Titan's inputText, len(texts) for Cohere
	dims       int
}

// serveBedrock answers a request in the bedrock format: route, key, injected failures,
// then the answer.
func (s *Server) serveBedrock(ctx *fasthttp.RequestCtx) {
	var req bedrockRequest
	path := string(ctx.Path())
	rest, ok := strings.CutPrefix(path, "/model/")
	if ok {
		if i := strings.LastIndexByte(rest, '/'); i > 0 {
			req.model, req.op = rest[:i], rest[i+1:]
		}
	}
	var r route
	switch {
	case req.op == "converse" || req.op == "converse-stream":
		r = routeChat
	case req.op == "invoke":
		r = routeEmbeddings
	case path == "/foundation-models":
		r, req.op = routeModels, "list"
	default:
		s.stats.notFound.Add(1)
		writeBedrockError(ctx, fasthttp.StatusNotFound, "UnknownOperationException", "mock: no Bedrock route "+string(ctx.Method())+" "+path)
		return
	}
	s.stats.routes[r].Add(1)
	want := fasthttp.MethodPost
	if r == routeModels {
		want = fasthttp.MethodGet
	}
	if string(ctx.Method()) != want {
		s.stats.badRequests.Add(1)
		writeBedrockError(ctx, fasthttp.StatusMethodNotAllowed, "ValidationException", "Method Not Allowed")
		return
	}
	if s.cfg.RequireKey != "" && !bedrockAuthorized(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization), s.cfg.RequireKey) {
		s.stats.unauthorized.Add(1)
		writeBedrockError(ctx, fasthttp.StatusForbidden, "AccessDeniedException", "The security token included in the request is invalid.")
		return
	}
	if r != routeModels {
		if msg := parseBedrockRequest(ctx.PostBody(), &req); msg != "" {
			s.stats.badRequests.Add(1)
			writeBedrockError(ctx, fasthttp.StatusBadRequest, "ValidationException", msg)
			return
		}
	}
	if status := s.pickFault(); status == faultConn {
		if req.op == "converse-stream" && (s.cfg.Fault == FaultStreamCut || s.cfg.Fault == FaultStreamEndEarly) {
			s.bedrockStreamCut(ctx, &req)
			return
		}
		s.injectConnFault(ctx)
		return
	} else if status != 0 {
		s.stats.countInjected(status)
		typ, msg := bedrockStatusError(status)
		writeBedrockError(ctx, status, typ, msg)
		return
	}
	if r == routeModels {
		s.serveBedrockModels(ctx)
		return
	}
	p := pace{time.Now(), s.latency()}
	switch req.op {
	case "converse-stream":
		events := s.bedrockStream(&req)
		ctx.SetContentType(contentTypeEventStreamAWS)
		ctx.SetBodyStreamWriter(func(w *bufio.Writer) { s.runBedrockStream(w, events, p, len(events)) })
		return
	case "converse":
		s.sleepUntil(p.start.Add(p.latency))
		ctx.SetContentType(contentTypeJSON)
		buf := ctx.Response.SwapBody(nil)[:0]
		buf = s.appendConverse(buf, &req)
		ctx.Response.SwapBody(buf)
	default:
		s.sleepUntil(p.start.Add(p.latency))
		ctx.SetContentType(contentTypeJSON)
		buf := ctx.Response.SwapBody(nil)[:0]
		buf = s.appendBedrockEmbedding(buf, &req)
		ctx.Response.SwapBody(buf)
	}
}

// bedrockModels is the mock's ListFoundationModels catalogue
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_ListFoundationModels.html): a
// text model, an embedding model, an image model and a text model offered only through
// provisioned throughput, with the members AWS sends.
var bedrockModels = []struct{ id, provider, output, inference string }{
	{"anthropic.claude-3-5-sonnet-20240620-v1:0", "Anthropic", `"TEXT"`, `"ON_DEMAND"`},
	{"amazon.titan-embed-text-v2:0", "Amazon", `"EMBEDDING"`, `"ON_DEMAND"`},
	{"stability.stable-diffusion-xl-v1", "Stability AI", `"IMAGE"`, `"ON_DEMAND","PROVISIONED"`},
	{"anthropic.claude-3-5-sonnet-20240620-v1:0:200k", "Anthropic", `"TEXT"`, `"PROVISIONED"`},
}

// serveBedrockModels answers ListFoundationModels, honouring the byInferenceType filter.
func (s *Server) serveBedrockModels(ctx *fasthttp.RequestCtx) {
	filter := string(ctx.QueryArgs().Peek("byInferenceType"))
	b := []byte(`{"modelSummaries":[`)
	n := 0
	for _, m := range bedrockModels {
		if filter != "" && !strings.Contains(m.inference, `"`+filter+`"`) {
			continue
		}
		if n > 0 {
			b = append(b, ',')
		}
		n++
		b = fmt.Appendf(b, `{"modelArn":"arn:aws:bedrock:us-east-1::foundation-model/%s","modelId":%q,"modelName":%q,`+
			`"providerName":%q,"inputModalities":["TEXT"],"outputModalities":[%s],"responseStreamingSupported":true,`+
			`"customizationsSupported":[],"inferenceTypesSupported":[%s],"modelLifecycle":{"status":"ACTIVE"}}`,
			m.id, m.id, m.id, m.provider, m.output, m.inference)
	}
	b = append(b, "]}"...)
	ctx.SetContentType(contentTypeJSON)
	ctx.SetBody(b)
}

// bedrockAuthorized reports whether an Authorization header carries key, as a bearer token
// or as a SigV4 credential's access key.
func bedrockAuthorized(h []byte, key string) bool {
	if v, ok := bytes.CutPrefix(h, []byte("Bearer ")); ok {
		return subtle.ConstantTimeCompare(v, []byte(key)) == 1
	}
	if v, ok := bytes.CutPrefix(h, []byte("AWS4-HMAC-SHA256 Credential=")); ok {
		ak, _, _ := bytes.Cut(v, []byte("/"))
		return subtle.ConstantTimeCompare(ak, []byte(key)) == 1 && bytes.Contains(v, []byte("Signature="))
	}
	return false
}

// bedrockStatusError gives the exception name and message Bedrock sends with a status
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html#API_runtime_Converse_Errors).
func bedrockStatusError(status int) (typ, msg string) {
	switch status {
	case fasthttp.StatusBadRequest:
		return "ValidationException", "The mock provider injected this failure. (injected by bifrost-mock)"
	case fasthttp.StatusForbidden, fasthttp.StatusUnauthorized:
		return "AccessDeniedException", "You don't have access to the model with the specified model ID. (injected by bifrost-mock)"
	case fasthttp.StatusNotFound:
		return "ResourceNotFoundException", "Could not resolve the foundation model from the provided model identifier. (injected by bifrost-mock)"
	case fasthttp.StatusRequestTimeout:
		return "ModelTimeoutException", "Model has timed out in processing the request. (injected by bifrost-mock)"
	case fasthttp.StatusTooManyRequests:
		return "ThrottlingException", "Too many requests, please wait before trying again. (injected by bifrost-mock)"
	case fasthttp.StatusServiceUnavailable:
		return "ServiceUnavailableException", "Bedrock is unable to process your request. (injected by bifrost-mock)"
	}
	if status >= 500 {
		return "InternalServerException", "The server encountered an internal error while processing the request. (injected by bifrost-mock)"
	}
	return "ValidationException", "The mock provider injected this failure. (injected by bifrost-mock)"
}

// writeBedrockError answers {"message":"..."} with the exception's name in x-amzn-ErrorType;
// a 429 also gets "Retry-After: 1".
func writeBedrockError(ctx *fasthttp.RequestCtx, status int, typ, msg string) {
	ctx.Response.Header.Set("x-amzn-ErrorType", typ+":http://internal.amazon.com/coral/com.amazon.bedrock/")
	buf := append(beginErrorBody(ctx, status), `{"message":`...)
	buf = appendJSONString(buf, msg)
	buf = append(buf, '}')
	ctx.Response.SwapBody(buf)
}

// parseBedrockRequest reads a Converse or InvokeModel body into req, returning a 400
// message or "".
func parseBedrockRequest(body []byte, req *bedrockRequest) string {
	l := jlexer.Lexer{Data: body}
	messages := 0
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "messages":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				raw := l.Raw()
				messages++
				req.textBytes += len(raw)
				req.toolResult = bytes.Contains(raw, []byte(`"toolResult"`))
				l.WantComma()
			}
			l.Delim(']')
		case "toolConfig":
			raw := l.Raw()
			if i := bytes.Index(raw, []byte(`"toolSpec":{"name":`)); i >= 0 {
				n := jlexer.Lexer{Data: raw[i+len(`"toolSpec":{"name":`):]}
				req.tool = n.String()
			}
		case "inputText":
			req.texts = 1
			req.textBytes += len(l.UnsafeString())
		case "texts":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				req.textBytes += len(l.UnsafeString())
				req.texts++
				l.WantComma()
			}
			l.Delim(']')
		case "dimensions", "output_dimension":
			req.dims = l.Int()
		default:
			skipValue(&l, 1)
		}
		l.WantComma()
	}
	l.Delim('}')
	l.Consumed()
	switch {
	case l.Error() != nil:
		return "Malformed input request: " + l.Error().Error() + ", please reformat your input and try again."
	case req.op != "invoke" && messages == 0:
		return "A conversation must start with a user message. Try again with a conversation that starts with a user message."
	case req.op == "invoke" && req.texts == 0:
		return "Malformed input request: required key [inputText] not found, please reformat your input and try again."
	case req.dims < 0 || req.dims > maxEmbeddingDims:
		return "Malformed input request: dimensions out of range, please reformat your input and try again."
	}
	return ""
}

func (r *bedrockRequest) callsTool() bool { return r.tool != "" && !r.toolResult }

func (r *bedrockRequest) inputTokens() int { return estimateTokens(r.textBytes) + 3 }

func appendBedrockUsage(dst []byte, in, out int) []byte {
	dst = append(dst, `"usage":{"inputTokens":`...)
	dst = strconv.AppendInt(dst, int64(in), 10)
	dst = append(dst, `,"outputTokens":`...)
	dst = strconv.AppendInt(dst, int64(out), 10)
	dst = append(dst, `,"totalTokens":`...)
	dst = strconv.AppendInt(dst, int64(in+out), 10)
	return append(dst, '}')
}

// appendConverse appends a Converse response: the mock's text, or a toolUse.
func (s *Server) appendConverse(dst []byte, r *bedrockRequest) []byte {
	dst = append(dst, `{"output":{"message":{"role":"assistant","content":[`...)
	stop, out := "end_turn", s.content.tokens
	if r.callsTool() {
		dst = append(dst, `{"toolUse":{"toolUseId":"tooluse_`...)
		dst = appendHex16(dst, s.nextID())
		dst = append(dst, `","name":`...)
		dst = appendJSONString(dst, r.tool)
		dst = append(dst, `,"input":{"query":"bifrost"}}}`...)
		stop, out = "tool_use", 12
	} else {
		dst = append(dst, `{"text":`...)
		dst = appendJSONString(dst, s.content.text)
		dst = append(dst, '}')
	}
	dst = append(dst, `]}},"stopReason":"`...)
	dst = append(dst, stop...)
	dst = append(dst, `",`...)
	dst = appendBedrockUsage(dst, r.inputTokens(), out)
	return append(dst, `,"metrics":{"latencyMs":`+"100"+`}}`...)
}

// appendBedrockEmbedding appends a Titan ({"embedding","inputTextTokenCount"}) or, for
// cohere.embed models, a Cohere ({"embeddings":[[...]],"response_type":"embeddings_floats"})
// response.
func (s *Server) appendBedrockEmbedding(dst []byte, r *bedrockRequest) []byte {
	dims := r.dims
	if dims == 0 {
		dims = 8
	}
	vector := func(dst []byte, seed int) []byte {
		dst = append(dst, '[')
		for i := 0; i < dims; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = strconv.AppendFloat(dst, float64((seed*31+i*17)%200-100)/1000, 'f', -1, 64)
		}
		return append(dst, ']')
	}
	if strings.Contains(r.model, "cohere.embed") {
		dst = append(dst, `{"embeddings":[`...)
		for i := 0; i < r.texts; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = vector(dst, i)
		}
		dst = append(dst, `],"id":"`...)
		dst = appendHex16(dst, s.nextID())
		return append(dst, `","response_type":"embeddings_floats","texts":[]}`...)
	}
	dst = append(dst, `{"embedding":`...)
	dst = vector(dst, 0)
	dst = append(dst, `,"inputTextTokenCount":`...)
	dst = strconv.AppendInt(dst, int64(estimateTokens(r.textBytes)), 10)
	return append(dst, '}')
}

// appendEventStreamMessage appends one AWS event-stream message with string headers
// (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html): the prelude (total
// and headers lengths) and its CRC32, the headers, the payload and the message's CRC32.
func appendEventStreamMessage(dst []byte, payload []byte, headers ...string) []byte {
	start := len(dst)
	hlen := 0
	for i := 0; i+1 < len(headers); i += 2 {
		hlen += 1 + len(headers[i]) + 1 + 2 + len(headers[i+1])
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(16+hlen+len(payload)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(hlen))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	for i := 0; i+1 < len(headers); i += 2 {
		dst = append(dst, byte(len(headers[i])))
		dst = append(dst, headers[i]...)
		dst = append(dst, 7) // string
		dst = binary.BigEndian.AppendUint16(dst, uint16(len(headers[i+1])))
		dst = append(dst, headers[i+1]...)
	}
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

// bedrockEvent is one ConverseStream event message.
func bedrockEvent(name string, payload ...string) []byte {
	return appendEventStreamMessage(nil, []byte(strings.Join(payload, "")),
		":event-type", name, ":content-type", "application/json", ":message-type", "event")
}

// bedrockStream plans the events of a streamed answer: messageStart, text deltas (or a
// toolUse start and its input deltas), contentBlockStop, messageStop, metadata.
func (s *Server) bedrockStream(r *bedrockRequest) [][]byte {
	events := [][]byte{bedrockEvent("messageStart", `{"p":"abcdefgh","role":"assistant"}`)}
	stop, out := "end_turn", s.content.tokens
	if r.callsTool() {
		id := string(appendHex16(nil, s.nextID()))
		events = append(events, bedrockEvent("contentBlockStart", `{"contentBlockIndex":0,"p":"abc","start":{"toolUse":{"name":`,
			string(appendJSONString(nil, r.tool)), `,"toolUseId":"tooluse_`, id, `"}}}`))
		for _, piece := range []string{`{\"query\"`, `: \"bif`, `rost\"}`} {
			events = append(events, bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"toolUse":{"input":"`, piece, `"}},"p":"abcd"}`))
		}
		stop, out = "tool_use", 12
	} else {
		for _, piece := range s.content.pieces {
			events = append(events, bedrockEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":`, string(appendJSONString(nil, piece)), `},"p":"abcdef"}`))
		}
	}
	events = append(events, bedrockEvent("contentBlockStop", `{"contentBlockIndex":0,"p":"abcdefghijk"}`))
	events = append(events, bedrockEvent("messageStop", `{"p":"abcdefghijklmnop","stopReason":"`, stop, `"}`))
	events = append(events, bedrockEvent("metadata", `{"metrics":{"latencyMs":100},"p":"ab",`, string(appendBedrockUsage(nil, r.inputTokens(), out)), `}`))
	return events
}

// runBedrockStream writes the first n events, flushing each; the content events (after
// messageStart, before contentBlockStop, messageStop and metadata) are spread over the
// latency as the OpenAI stream's chunks are.
func (s *Server) runBedrockStream(w *bufio.Writer, events [][]byte, p pace, n int) bool {
	return s.writeEvents(w, events, 1, max(len(events)-4, 1), p, n)
}

// bedrockStreamCut sends half of a stream's events, then resets the connection
// (FaultStreamCut) or ends the body cleanly (FaultStreamEndEarly).
func (s *Server) bedrockStreamCut(ctx *fasthttp.RequestCtx, r *bedrockRequest) {
	raw := ctx.Conn()
	events := s.bedrockStream(r)
	s.hijack(ctx, func(c net.Conn) {
		w := bufio.NewWriter(c)
		writeChunkedHead(w, contentTypeEventStreamAWS, "")
		if s.cfg.Fault == FaultStreamEndEarly {
			endStream(w, events[:len(events)/2])
			return
		}
		cutStream(w, raw, events[:len(events)/2])
	})
}
