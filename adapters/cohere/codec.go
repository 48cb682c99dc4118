package cohere

import "github.com/bifrost-gw/bifrost/runtime/provider"

// Codec is Cohere's v2 API, hand-written: specs/cohere.yaml names it (codec: Codec) and the
// generated adapter beside it (cohere/cohere_gen.go) calls its methods. Its methods are in
// chat.go, stream.go, embed.go and errors.go.
type Codec struct{}

// The contracts Codec fulfils (see runtime/provider).
var (
	_ provider.ChatCodec      = (*Codec)(nil)
	_ provider.EmbeddingCodec = (*Codec)(nil)
	_ provider.ModelsDecoder  = (*Codec)(nil)
)
