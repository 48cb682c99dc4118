package anthropic

import (
	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// What a request that goes to Anthropic keeps of Anthropic's own members that have no
// counterpart in the unified schema: its server tools (web_search_20250305,
// code_execution_20250522, bash_20250124, ...;
// https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/overview) and content blocks
// whose source is an uploaded file (source {"type":"file","file_id":...};
// https://docs.anthropic.com/en/docs/build-with-claude/files). Inbound keeps each as its
// encoded JSON in an extra member of the unified tool or content part, and the encoder
// writes that back as it is.
const (
	// extraTool on a unified tool holds an Anthropic tool definition, written as it is.
	extraTool = "anthropic_tool"
	// extraBlock on a unified content part holds an Anthropic content block, written as it is.
	extraBlock = "anthropic_block"
	// extraContent on a unified response message holds an Anthropic answer's whole content
	// array when it has blocks the unified schema cannot carry (see decodeContent).
	extraContent = "anthropic_content"
	// extraBlockStart on a stream chunk's delta holds the content_block of a
	// content_block_start that only Anthropic's shape carries; extraDelta the delta of a
	// content_block_delta likewise (a server tool's input_json_delta, citations_delta).
	extraBlockStart = "anthropic_block_start"
	extraDelta      = "anthropic_delta"
	// nativeType is the type of the unified tools and parts that only carry one of them:
	// other providers' encoders refuse it by name.
	nativeType = "anthropic"
)

// serverTool returns the unified tool that carries the server tool t to Anthropic.
func serverTool(t *ToolDef) schemas.Tool {
	var w jwriter.Writer
	t.MarshalEasyJSON(&w)
	raw, _ := w.BuildBytes() //nolint:errcheck // a jwriter.Writer into memory does not fail
	tool := schemas.Tool{Type: nativeType}
	tool.SetExtra(extraTool, raw)
	return tool
}

// rawBlock returns the unified content part that carries the block b to Anthropic.
func rawBlock(b *ContentBlock) (schemas.ContentPart, error) {
	var w jwriter.Writer
	b.MarshalEasyJSON(&w)
	raw, err := w.BuildBytes()
	if err != nil {
		return schemas.ContentPart{}, err
	}
	p := schemas.ContentPart{Type: nativeType}
	p.SetExtra(extraBlock, raw)
	return p, nil
}

// extraMembers on a unified request holds, as one JSON object, the top-level members of a
// native request that Inbound does not model (mcp_servers, container, context_management,
// service_tier, ...): the encoder writes them into the Messages or count_tokens body as
// they came.
const extraMembers = "anthropic_members"

// keepMembers sets extraMembers on out from the request's unmodelled members, leaving out
// the gateway's own (provider, fallbacks). It does nothing, and allocates nothing, when
// there are none.
func (in *Inbound) keepMembers(out *schemas.ChatRequest) {
	start := len(in.buf)
	for _, f := range in.Req.Extras.ExtraFields() {
		if f.Key == extraProvider || f.Key == extraFallbacks || f.Value == nil {
			continue
		}
		if len(in.buf) == start {
			in.buf = append(in.buf, '{')
		} else {
			in.buf = append(in.buf, ',')
		}
		in.buf = appendQuoted(in.buf, f.Key)
		in.buf = append(in.buf, ':')
		in.buf = append(in.buf, f.Value...)
	}
	if len(in.buf) == start {
		return
	}
	in.buf = append(in.buf, '}')
	out.SetExtra(extraMembers, in.buf[start:len(in.buf):len(in.buf)])
}

// appendQuoted appends key as a JSON string.
func appendQuoted(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = convert.AppendEscaped(dst, convert.ViewBytes(key))
	return append(dst, '"')
}

// writeMembers writes the members kept by keepMembers, if any.
func writeMembers(w *jwriter.Writer, r *schemas.ChatRequest) {
	if raw := extra(&r.Extras, extraMembers); len(raw) > 2 {
		w.RawByte(',')
		w.Raw(raw[1:len(raw)-1], nil)
	}
}

// member returns the raw value of the top-level member key of the JSON object data, or nil.
func member(data []byte, key string) []byte {
	l := jlexer.Lexer{Data: data}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		k := l.UnsafeFieldName(false)
		l.WantColon()
		if k == key {
			if raw := l.Raw(); l.Ok() {
				return raw
			}
			return nil
		}
		l.SkipRecursive()
		l.WantComma()
	}
	return nil
}
