package grpcapi

import (
	"encoding/json"
	"slices"

	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/mailru/easyjson/jwriter"
	"google.golang.org/protobuf/types/known/structpb"
)

// A request arrives as a protobuf message and is written as the JSON body the HTTP API
// takes, which is then decoded by the same decoder into the runtime's call: every request
// member keeps exactly its HTTP meaning (passthrough of unknown members included), and the
// governance estimate sees the same body size. The members of extra come first, so that a
// named member wins over an extra one of the same name.

// obj writes a JSON object's members, with the commas between them.
type obj struct {
	w     *jwriter.Writer
	first bool
}

func begin(w *jwriter.Writer) obj { w.RawByte('{'); return obj{w: w, first: true} }

func (o *obj) end() { o.w.RawByte('}') }

func (o *obj) key(k string) {
	if !o.first {
		o.w.RawByte(',')
	}
	o.first = false
	o.w.String(k)
	o.w.RawByte(':')
}

func (o *obj) str(k, v string) {
	if v != "" {
		o.key(k)
		o.w.String(v)
	}
}

func (o *obj) f64(k string, v *float64) {
	if v != nil {
		o.key(k)
		o.w.Float64(*v)
	}
}

func (o *obj) i32(k string, v *int32) {
	if v != nil {
		o.key(k)
		o.w.Int32(*v)
	}
}

func (o *obj) i64(k string, v *int64) {
	if v != nil {
		o.key(k)
		o.w.Int64(*v)
	}
}

func (o *obj) boolean(k string, v *bool) {
	if v != nil {
		o.key(k)
		o.w.Bool(*v)
	}
}

func (o *obj) strs(k string, v []string) {
	if len(v) == 0 {
		return
	}
	o.key(k)
	o.w.RawByte('[')
	for i, s := range v {
		if i > 0 {
			o.w.RawByte(',')
		}
		o.w.String(s)
	}
	o.w.RawByte(']')
}

// message writes a well-known message (Struct, Value, ListValue) as its JSON.
func (o *obj) message(k string, m any, set bool) {
	if !set {
		return
	}
	o.key(k)
	raw(o.w, m)
}

// raw writes the JSON of a Struct, Value or ListValue, with sorted members (encoding/json),
// so that the same request is the same bytes: protojson's output is unstable on purpose.
func raw(w *jwriter.Writer, m any) {
	var v any
	switch m := m.(type) {
	case *structpb.Struct:
		v = m.AsMap()
	case *structpb.Value:
		v = m.AsInterface()
	case *structpb.ListValue:
		v = m.AsSlice()
	}
	b, err := json.Marshal(v)
	w.Raw(b, err)
}

// extra writes the members of s, sorted by name.
func (o *obj) extra(s *structpb.Struct) {
	if s == nil {
		return
	}
	keys := make([]string, 0, len(s.Fields))
	for k := range s.Fields {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		o.key(k)
		raw(o.w, s.Fields[k])
	}
}

// gateway writes the gateway's own members and stream options.
func (o *obj) gateway(provider string, fallbacks []string, stream, includeUsage bool) {
	o.str("provider", provider)
	o.strs("fallbacks", fallbacks)
	if stream {
		o.key("stream")
		o.w.Bool(true)
		if includeUsage {
			o.key("stream_options")
			o.w.RawString(`{"include_usage":true}`)
		}
	}
}

// encodeChat writes r as a chat completion request body.
func encodeChat(w *jwriter.Writer, r *pb.ChatCompletionRequest, stream, includeUsage bool) {
	o := begin(w)
	o.extra(r.GetExtra())
	o.str("model", r.GetModel())
	o.key("messages")
	w.RawByte('[')
	for i, m := range r.GetMessages() {
		if i > 0 {
			w.RawByte(',')
		}
		encodeMessage(w, m)
	}
	w.RawByte(']')
	o.f64("temperature", r.Temperature)
	o.f64("top_p", r.TopP)
	o.i32("max_tokens", r.MaxTokens)
	o.i32("max_completion_tokens", r.MaxCompletionTokens)
	o.i32("n", r.N)
	o.strs("stop", r.GetStop())
	o.i64("seed", r.Seed)
	o.f64("presence_penalty", r.PresencePenalty)
	o.f64("frequency_penalty", r.FrequencyPenalty)
	o.str("user", r.GetUser())
	if len(r.GetTools()) > 0 {
		o.key("tools")
		w.RawByte('[')
		for i, t := range r.GetTools() {
			if i > 0 {
				w.RawByte(',')
			}
			encodeTool(w, t)
		}
		w.RawByte(']')
	}
	o.message("tool_choice", r.GetToolChoice(), r.GetToolChoice() != nil)
	o.boolean("parallel_tool_calls", r.ParallelToolCalls)
	o.message("response_format", r.GetResponseFormat(), r.GetResponseFormat() != nil)
	o.str("reasoning_effort", r.GetReasoningEffort())
	o.gateway(r.GetProvider(), r.GetFallbacks(), stream, includeUsage)
	o.end()
}

func encodeMessage(w *jwriter.Writer, m *pb.ChatMessage) {
	o := begin(w)
	o.str("role", m.GetRole())
	if parts := m.GetContentParts(); parts != nil {
		o.message("content", parts, true)
	} else if m.GetContent() != "" || len(m.GetToolCalls()) == 0 {
		o.key("content")
		w.String(m.GetContent())
	}
	o.str("name", m.GetName())
	if len(m.GetToolCalls()) > 0 {
		o.key("tool_calls")
		w.RawByte('[')
		for i, tc := range m.GetToolCalls() {
			if i > 0 {
				w.RawByte(',')
			}
			t := begin(w)
			t.str("id", tc.GetId())
			t.str("type", cmpOr(tc.GetType(), "function"))
			t.key("function")
			f := begin(w)
			f.str("name", tc.GetFunction().GetName())
			f.key("arguments")
			w.String(tc.GetFunction().GetArguments())
			f.end()
			t.end()
		}
		w.RawByte(']')
	}
	o.str("tool_call_id", m.GetToolCallId())
	o.str("refusal", m.GetRefusal())
	o.str("reasoning_content", m.GetReasoningContent())
	o.end()
}

func encodeTool(w *jwriter.Writer, t *pb.Tool) {
	o := begin(w)
	o.str("type", cmpOr(t.GetType(), "function"))
	o.key("function")
	fn := t.GetFunction()
	f := begin(w)
	f.key("name")
	w.String(fn.GetName())
	f.str("description", fn.GetDescription())
	f.message("parameters", fn.GetParameters(), fn.GetParameters() != nil)
	f.boolean("strict", fn.Strict)
	f.end()
	o.end()
}

// encodeInputs writes one input as a string and several as an array of strings; none is
// left out, for validation to name.
func (o *obj) inputs(k string, v []string) {
	switch len(v) {
	case 0:
	case 1:
		o.key(k)
		o.w.String(v[0])
	default:
		o.strs(k, v)
	}
}

// encodeText writes r as a text completion request body.
func encodeText(w *jwriter.Writer, r *pb.TextCompletionRequest, stream, includeUsage bool) {
	o := begin(w)
	o.extra(r.GetExtra())
	o.str("model", r.GetModel())
	o.inputs("prompt", r.GetPrompt())
	o.i32("max_tokens", r.MaxTokens)
	o.f64("temperature", r.Temperature)
	o.f64("top_p", r.TopP)
	o.i32("n", r.N)
	o.strs("stop", r.GetStop())
	o.str("suffix", r.GetSuffix())
	o.boolean("echo", r.Echo)
	o.i32("logprobs", r.Logprobs)
	o.i64("seed", r.Seed)
	o.f64("presence_penalty", r.PresencePenalty)
	o.f64("frequency_penalty", r.FrequencyPenalty)
	o.str("user", r.GetUser())
	o.gateway(r.GetProvider(), r.GetFallbacks(), stream, includeUsage)
	o.end()
}

// encodeEmbedding writes r as an embeddings request body (float vectors).
func encodeEmbedding(w *jwriter.Writer, r *pb.EmbeddingRequest) {
	o := begin(w)
	o.extra(r.GetExtra())
	o.str("model", r.GetModel())
	o.inputs("input", r.GetInput())
	o.i32("dimensions", r.Dimensions)
	o.str("user", r.GetUser())
	o.key("encoding_format")
	w.String("float")
	o.gateway(r.GetProvider(), r.GetFallbacks(), false, false)
	o.end()
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
