package anthropic

import "github.com/bifrost-gw/bifrost/runtime/provider"

// Codec is Anthropic's Messages API, hand-written: specs/anthropic.yaml names it (codec: Codec)
// and the generated adapter beside it (anthropic/anthropic_gen.go) calls its methods. Its
// methods are in decode.go, encode.go and stream.go.
type Codec struct{}

// The contracts Codec fulfils (see runtime/provider).
var (
	_ provider.ChatCodec     = (*Codec)(nil)
	_ provider.ModelsDecoder = (*Codec)(nil)
)
