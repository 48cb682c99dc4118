package bedrock

import "github.com/bifrost-gw/bifrost/runtime/provider"

// Codec is Amazon Bedrock's Converse API, hand-written: specs/bedrock.yaml names it (codec:
// Codec) and the generated adapter beside it (bedrock/bedrock_gen.go) calls its methods. Its
// methods are in chat.go, stream.go, embed.go, models.go and errors.go.
type Codec struct{}

// The contracts Codec fulfils (see runtime/provider).
var (
	_ provider.ChatCodec      = (*Codec)(nil)
	_ provider.EmbeddingCodec = (*Codec)(nil)
	_ provider.ModelsDecoder  = (*Codec)(nil)
)
