package vertex

import "github.com/bifrost-gw/bifrost/runtime/provider"

// Codec converts Google Vertex AI's wire formats (Gemini's, and Anthropic's for Claude
// models), hand-written: specs/vertex.yaml names it (codec: Codec) and the generated adapter
// beside it (vertex/vertex_gen.go) calls its methods. Its methods are in vertex.go.
type Codec struct{}

// The contracts Codec fulfils (see runtime/provider).
var (
	_ provider.ChatCodec      = (*Codec)(nil)
	_ provider.EmbeddingCodec = (*Codec)(nil)
)
