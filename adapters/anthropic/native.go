package anthropic

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
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
