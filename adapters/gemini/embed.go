package gemini

import (
	"errors"
	"strings"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// EncodeEmbedding writes a batchEmbedContents request
// (https://ai.google.dev/api/embeddings#method:-models.batchembedcontents): one
// EmbedContentRequest per input string, each naming the model ("models/<model>") as the
// method requires, with dimensions as outputDimensionality. Token inputs are refused: Gemini
// embeds text. An absent input gives no requests (Gemini answers that it needs one).
func (Codec) EncodeEmbedding(w *jwriter.Writer, r *schemas.EmbeddingRequest) error {
	if r.Input.Kind == schemas.InputTokens || r.Input.Kind == schemas.InputTokenLists {
		return errors.New("gemini embeds text only: input must be a string or an array of strings")
	}
	w.RawString(`{"requests":[`)
	one := func(text []byte) {
		w.RawString(`{"model":"models/`)
		writeBare(w, r.Model)
		w.RawString(`","content":{"parts":[{"text":`)
		w.Raw(text, nil)
		w.RawString(`}]}`)
		if r.Dimensions.IsDefined() {
			w.RawString(`,"outputDimensionality":`)
			w.Int(r.Dimensions.V)
		}
		w.RawByte('}')
	}
	if r.Input.Kind == schemas.InputString {
		one(r.Input.Raw)
	} else if r.Input.Kind == schemas.InputStrings {
		l := jlexer.Lexer{Data: r.Input.Raw}
		l.Delim('[')
		for i := 0; !l.IsDelim(']') && l.Ok(); i++ {
			if i > 0 {
				w.RawByte(',')
			}
			one(l.Raw())
			l.WantComma()
		}
		l.Delim(']')
		if err := l.Error(); err != nil {
			return err
		}
	}
	w.RawString(`]}`)
	return nil
}

// writeBare writes s inside a JSON string that is already open, escaping what needs it.
func writeBare(w *jwriter.Writer, s string) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' {
			var tmp jwriter.Writer
			tmp.String(s)
			b, _ := tmp.BuildBytes()
			w.Raw(b[1:len(b)-1], nil)
			return
		}
	}
	w.RawString(s)
}

// DecodeEmbedding reads a batchEmbedContents answer, {"embeddings":[{"values":[...]}]}, or an
// embedContent one, {"embedding":{"values":[...]}}, into an OpenAI list; the vectors are
// borrowed as they are (floats).
func (Codec) DecodeEmbedding(body []byte, out *schemas.EmbeddingResponse) error {
	l := jlexer.Lexer{Data: body}
	add := func() {
		var e contentEmbedding
		e.UnmarshalEasyJSON(&l)
		out.Data = append(out.Data, schemas.Embedding{Object: "embedding", Index: len(out.Data), Embedding: e.Values})
	}
	for key := range convert.Fields(&l) {
		switch {
		case l.IsNull():
			l.Skip()
		case key == "embeddings":
			l.Delim('[')
			for !l.IsDelim(']') && l.Ok() {
				add()
				l.WantComma()
			}
			l.Delim(']')
		case key == "embedding":
			add()
		default:
			l.SkipRecursive()
		}
	}
	l.Consumed()
	out.Object = "list"
	return l.Error()
}

// DecodeModels reads models.list (https://ai.google.dev/api/models#method:-models.list),
// {"models":[{"name":"models/gemini-2.0-flash",...}],"nextPageToken":"..."}, into an OpenAI
// list of ids without the "models/" prefix, owned by google.
func (Codec) DecodeModels(body []byte, out *schemas.ModelList) error {
	l := jlexer.Lexer{Data: body}
	for key := range convert.Fields(&l) {
		if key != "models" || l.IsNull() {
			l.SkipRecursive()
			continue
		}
		l.Delim('[')
		for !l.IsDelim(']') && l.Ok() {
			var m model
			m.UnmarshalEasyJSON(&l)
			if id := strings.TrimPrefix(m.Name, "models/"); id != "" {
				out.Data = append(out.Data, schemas.Model{ID: id, Object: "model", OwnedBy: "google"})
			}
			l.WantComma()
		}
		l.Delim(']')
	}
	l.Consumed()
	out.Object = "list"
	return l.Error()
}
