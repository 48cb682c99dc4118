package anthropic

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// writePart writes a user content part as a content block: text, image (image_url) or
// document (a PDF file part).
func writePart(w *jwriter.Writer, p *schemas.ContentPart) error {
	if raw := extra(&p.Extras, extraBlock); raw != nil {
		w.Raw(raw, nil)
		return nil
	}
	switch p.Type {
	case "text":
		writeTextPart(w, p)
		return nil
	case "image_url":
		if p.ImageURL == nil || p.ImageURL.URL.IsNull() {
			return errors.New("an image_url part needs image_url.url")
		}
		w.RawString(`{"type":"image","source":`)
		if err := writeSource(w, p.ImageURL.URL, ""); err != nil {
			return err
		}
	case "file":
		if p.File == nil {
			return errors.New("a file part needs file")
		}
		if p.File.FileData.IsNull() {
			return errors.New("file parts need file_data: Anthropic cannot read OpenAI file ids")
		}
		w.RawString(`{"type":"document","source":`)
		if err := writeSource(w, p.File.FileData, "application/pdf"); err != nil {
			return err
		}
		if p.File.Filename != "" {
			w.RawString(`,"title":`)
			w.String(p.File.Filename)
		}
	default:
		return errors.New("content part type " + strconv.Quote(p.Type) + " is not supported by Anthropic (text, image_url, file)")
	}
	writeCacheControl(w, &p.Extras)
	w.RawByte('}')
	return nil
}

func writeTextPart(w *jwriter.Writer, p *schemas.ContentPart) {
	w.RawString(`{"type":"text","text":`)
	writeText(w, p.Text)
	writeCacheControl(w, &p.Extras)
	w.RawByte('}')
}

func writeCacheControl(w *jwriter.Writer, e *schemas.Extras) {
	if v := extra(e, extraCacheControl); v != nil {
		w.RawString(`,"cache_control":`)
		w.Raw(v, nil)
	}
}

// writeSource writes an image or document source from a URL: a base64 data URL
// (data:<media type>;base64,<data>) becomes a base64 source, any other URL a url source.
// With defaultType set (documents), plain base64 without the data: prefix is also accepted,
// as that media type.
func writeSource(w *jwriter.Writer, url schemas.Text, defaultType string) error {
	s := url[1 : len(url)-1] // a Text that is not null is a quoted string
	if bytes.IndexByte(s, '\\') >= 0 {
		// Escapes (a "\/" in the URL, say): unescape first, at the cost of a copy.
		s = []byte(url.String())
	}
	rest, isData := bytes.CutPrefix(s, []byte("data:"))
	if !isData && defaultType != "" && !bytes.Contains(s, []byte("://")) {
		w.RawString(`{"type":"base64","media_type":`)
		w.String(defaultType)
		w.RawString(`,"data":`)
		writeBase64(w, s)
		w.RawByte('}')
		return nil
	}
	if !isData {
		w.RawString(`{"type":"url","url":`)
		w.Raw(url, nil)
		w.RawByte('}')
		return nil
	}
	media, data, ok := bytes.Cut(rest, []byte(";base64,"))
	if !ok {
		return errors.New("a data URL must be base64-encoded (data:<media type>;base64,...)")
	}
	w.RawString(`{"type":"base64","media_type":`)
	w.String(convert.View(media))
	w.RawString(`,"data":`)
	writeBase64(w, data)
	w.RawByte('}')
	return nil
}

// writeBase64 writes base64 data as a JSON string; it refuses nothing, but escapes what
// base64 never holds, so the output stays valid JSON whatever the input.
func writeBase64(w *jwriter.Writer, b []byte) {
	for _, c := range b {
		if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			w.String(convert.View(b))
			return
		}
	}
	w.RawByte('"')
	w.Raw(b, nil)
	w.RawByte('"')
}
