package cohere

import (
	"errors"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// DefaultInputType is the input_type sent when the client gives none. Cohere's v3 and newer
// embedding models require one, and OpenAI's API has no such field. An OpenAI client mostly
// embeds text to store and search later, which is Cohere's "search_document"; a client that
// embeds a search query sends "input_type": "search_query" in its request (any member the
// unified request does not model is forwarded, and this one replaces the default).
const DefaultInputType = "search_document"

// EncodeEmbedding writes the body of POST /v2/embed (https://docs.cohere.com/reference/embed):
// input becomes texts (a string becomes a list of one), encoding_format picks
// embedding_types ["float"] (the default) or ["base64"], dimensions becomes
// output_dimension, and input_type defaults to DefaultInputType. Token-id inputs are refused:
// Cohere embeds text only.
func (Codec) EncodeEmbedding(w *jwriter.Writer, r *schemas.EmbeddingRequest) error {
	switch r.Input.Kind {
	case schemas.InputTokens, schemas.InputTokenLists:
		return errTokenInput
	}
	x := embedRequest{
		Model:           r.Model,
		Texts:           texts{r.Input},
		InputType:       DefaultInputType,
		EmbeddingTypes:  embeddingTypes{base64: r.EncodingFormat == "base64"},
		OutputDimension: r.Dimensions,
		Extras:          r.Extras,
	}
	for _, f := range r.ExtraFields() {
		if f.Key == "input_type" {
			if t := schemas.Text(f.Value); len(t) > 2 && t[0] == '"' {
				x.InputType = t.String()
			}
		}
	}
	x.MarshalEasyJSON(w)
	return w.Error
}

var errTokenInput = errors.New("cohere embeds text only: input must be a string or an array of strings, not token ids")

// MarshalUnknowns forwards the client's unmodelled members except input_type, which
// embedRequest writes itself.
func (x embedRequest) MarshalUnknowns(w *jwriter.Writer, first bool) {
	x.Extras.MarshalUnknownsExcept(w, first, embedWritten[:])
}

var embedWritten = [...]string{"input_type", "texts", "embedding_types", "output_dimension"}

// texts writes an embedding input as Cohere's texts: always a list.
type texts struct{ in schemas.Input }

// MarshalEasyJSON writes the list.
func (t texts) MarshalEasyJSON(w *jwriter.Writer) {
	switch t.in.Kind {
	case schemas.InputStrings:
		t.in.Raw.MarshalEasyJSON(w)
	case schemas.InputString:
		w.RawByte('[')
		w.Raw(t.in.Raw, nil)
		w.RawByte(']')
	default:
		w.RawString("[]")
	}
}

// embeddingTypes writes embedding_types: ["float"], or ["base64"] for encoding_format base64.
type embeddingTypes struct{ base64 bool }

// MarshalEasyJSON writes the list.
func (e embeddingTypes) MarshalEasyJSON(w *jwriter.Writer) {
	if e.base64 {
		w.RawString(`["base64"]`)
		return
	}
	w.RawString(`["float"]`)
}

// DecodeEmbedding reads a v2 embed response into out, borrowing from body: each vector of
// embeddings.float (or embeddings.base64, for a base64 request) becomes one entry of data, in
// order, kept as the provider sent it. Usage is meta.tokens.input_tokens, or
// meta.billed_units.input_tokens when tokens is absent.
func (Codec) DecodeEmbedding(body []byte, out *schemas.EmbeddingResponse) error {
	var x embedResponse
	l := jlexer.Lexer{Data: body}
	x.UnmarshalEasyJSON(&l)
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	out.Object = "list"
	vectors := x.Embeddings.Float
	if vectors == nil {
		vectors = x.Embeddings.Base64
	}
	out.Data = out.Data[:0]
	if vectors != nil && !vectors.IsNull() {
		v := jlexer.Lexer{Data: vectors}
		v.Delim('[')
		for i := 0; !v.IsDelim(']') && v.Ok(); i++ {
			out.Data = append(out.Data, schemas.Embedding{Object: "embedding", Index: i, Embedding: schemas.Raw(v.Raw())})
			v.WantComma()
		}
		v.Delim(']')
		if err := v.Error(); err != nil {
			return err
		}
	}
	in := x.Meta.Tokens.InputTokens
	if !in.Defined {
		in = x.Meta.BilledUnits.InputTokens
	}
	out.Usage.PromptTokens = int(in.V)
	out.Usage.TotalTokens = out.Usage.PromptTokens
	return nil
}

// DecodeModels reads GET /v1/models's answer into an OpenAI model list: each model's name
// becomes its id, owned by "cohere". Cohere gives no creation time.
func (Codec) DecodeModels(body []byte, out *schemas.ModelList) error {
	var x modelList
	l := jlexer.Lexer{Data: body}
	x.UnmarshalEasyJSON(&l)
	l.Consumed()
	if err := l.Error(); err != nil {
		return err
	}
	out.Object = "list"
	out.Data = make([]schemas.Model, 0, len(x.Models))
	for _, m := range x.Models {
		out.Data = append(out.Data, schemas.Model{ID: m.Name, Object: "model", OwnedBy: "cohere"})
	}
	return nil
}
