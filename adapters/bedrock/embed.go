package bedrock

import (
	"errors"
	"strings"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// isCohere reports whether model is one of Cohere's embedding models on Bedrock
// (cohere.embed-english-v3, cohere.embed-multilingual-v3, cohere.embed-v4:0, and their
// cross-region profiles such as us.cohere.embed-v4:0); every other model gets Amazon Titan's
// body (amazon.titan-embed-text-v1, amazon.titan-embed-text-v2:0).
func isCohere(model string) bool { return strings.Contains(model, "cohere.embed") }

// EncodeEmbedding writes an InvokeModel body for an embedding model, chosen by the model
// name:
//
//   - Titan (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-titan-embed-text.html):
//     {"inputText": "...", "dimensions": n, "normalize": b}. Titan embeds one text per call:
//     a list of more than one input is refused (400) rather than sent as several calls;
//     send one text, or use a Cohere model. "normalize" is forwarded when the client sends it.
//   - Cohere (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-embed.html):
//     {"texts": [...], "input_type": "search_document"}: input_type defaults to
//     search_document; the client may send input_type, truncate and embedding_types, which
//     are forwarded, and dimensions becomes output_dimension (embed v4).
//
// Token-id inputs are refused: both models take text. Both answer with float arrays;
// encoding_format "base64" is honoured by the runtime, which re-encodes them.
func (Codec) EncodeEmbedding(w *jwriter.Writer, r *schemas.EmbeddingRequest) error {
	switch r.EncodingFormat {
	case "", "float", "base64": // base64: the runtime re-encodes the float arrays
	default:
		return errors.New("bedrock embeddings are float arrays: encoding_format must be float or base64")
	}
	in := r.Input
	if in.Kind == schemas.InputNone {
		// The gateway refuses a request without input before it gets here; an empty
		// value lets Bedrock answer for itself when a Go caller sends one.
		in = schemas.Input{Kind: schemas.InputStrings, Raw: schemas.Raw(`[""]`), Count: 1}
	}
	if in.Kind != schemas.InputString && in.Kind != schemas.InputStrings {
		return errors.New("bedrock embedding models take text: input must be a string or an array of strings")
	}
	if isCohere(r.Model) {
		w.RawString(`{"texts":`)
		if in.Kind == schemas.InputString {
			w.RawByte('[')
			w.Raw(in.Raw, nil)
			w.RawByte(']')
		} else {
			w.Raw(in.Raw, nil)
		}
		inputType := false
		for _, f := range r.ExtraFields() {
			switch f.Key {
			case "input_type", "truncate", "embedding_types":
				inputType = inputType || f.Key == "input_type"
				w.RawByte(',')
				w.String(f.Key)
				w.RawByte(':')
				w.Raw(f.Value, nil)
			}
		}
		if !inputType {
			w.RawString(`,"input_type":"search_document"`)
		}
		if r.Dimensions.IsDefined() {
			w.RawString(`,"output_dimension":`)
			w.Int(r.Dimensions.V)
		}
		w.RawByte('}')
		return nil
	}
	if in.Count > 1 {
		return errors.New("amazon titan embedding models take one input per request: send one string, or use a cohere.embed model for lists")
	}
	w.RawString(`{"inputText":`)
	if in.Kind == schemas.InputString {
		w.Raw(in.Raw, nil)
	} else {
		l := jlexer.Lexer{Data: in.Raw}
		l.Delim('[')
		w.Raw(l.Raw(), nil) // the one string, as received
		if err := l.Error(); err != nil {
			return err
		}
	}
	if r.Dimensions.IsDefined() {
		w.RawString(`,"dimensions":`)
		w.Int(r.Dimensions.V)
	}
	for _, f := range r.ExtraFields() {
		if f.Key == "normalize" || f.Key == "embeddingTypes" {
			w.RawByte(',')
			w.String(f.Key)
			w.RawByte(':')
			w.Raw(f.Value, nil)
		}
	}
	w.RawByte('}')
	return nil
}

// DecodeEmbedding reads a Titan ({"embedding": [...], "inputTextTokenCount": n}) or Cohere
// ({"embeddings": [[...], ...]} or, with embedding_types, {"embeddings": {"float": [[...]]}})
// response. Cohere's body has no token counts (Bedrock sends them in headers), so its usage
// is zero. The model is filled in by the runtime.
func (Codec) DecodeEmbedding(body []byte, out *schemas.EmbeddingResponse) error {
	out.Object = "list"
	out.Data = out.Data[:0]
	l := jlexer.Lexer{Data: body}
	for key := range convert.Fields(&l) {
		switch {
		case l.IsNull():
			l.Skip()
		case key == "embedding":
			var v schemas.Raw
			v.UnmarshalEasyJSON(&l)
			out.Data = append(out.Data, schemas.Embedding{Object: "embedding", Embedding: v})
		case key == "inputTextTokenCount":
			n := l.Int()
			out.Usage.PromptTokens, out.Usage.TotalTokens = n, n
		case key == "embeddings" && l.IsDelim('['):
			decodeVectors(&l, out)
		case key == "embeddings" && l.IsDelim('{'):
			// By type: take "float", or else the first type given.
			for typ := range convert.Fields(&l) {
				if len(out.Data) == 0 || typ == "float" {
					decodeVectors(&l, out)
				} else {
					l.SkipRecursive()
				}
			}
		default:
			l.SkipRecursive()
		}
	}
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	if len(out.Data) == 0 {
		return errors.New("bedrock embedding response has no embedding")
	}
	return nil
}

// decodeVectors reads an array of vectors into out.Data, replacing what it held.
func decodeVectors(l *jlexer.Lexer, out *schemas.EmbeddingResponse) {
	out.Data = out.Data[:0]
	l.Delim('[')
	for !l.IsDelim(']') && l.Ok() {
		var v schemas.Raw
		v.UnmarshalEasyJSON(l)
		out.Data = append(out.Data, schemas.Embedding{Object: "embedding", Index: len(out.Data), Embedding: v})
		l.WantComma()
	}
	l.Delim(']')
}
