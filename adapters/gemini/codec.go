package gemini

import "github.com/bifrost-gw/bifrost/runtime/provider"

// Codec is Google Gemini's generateContent API, hand-written: specs/gemini.yaml names it
// (codec: Codec) and the generated adapter beside it (gemini/gemini_gen.go) calls its methods.
// Its methods are in encode.go, decode.go, embed.go and errors.go.
type Codec struct{}

// The contracts Codec fulfils (see runtime/provider).
var (
	_ provider.ChatCodec      = (*Codec)(nil)
	_ provider.EmbeddingCodec = (*Codec)(nil)
	_ provider.ModelsDecoder  = (*Codec)(nil)
)
