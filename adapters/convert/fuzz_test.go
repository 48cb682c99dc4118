package convert

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// FuzzDecodeOpenAIError: any body, any status, never a panic, always a message and a type.
func FuzzDecodeOpenAIError(f *testing.F) {
	for _, s := range []string{`{"error":{"message":"m","type":"t","param":"p","code":"c"}}`, `{"error":"x"}`,
		`{"object":"error","message":"m"}`, `{"detail":[{"msg":"m","loc":["body"]}]}`, `<html>`, ``, `{"error":{"message":`} {
		f.Add(500, []byte(s))
	}
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		var out schemas.ErrorBody
		DecodeOpenAIError(status, body, &out)
		if out.Message == "" || out.Type == "" {
			t.Fatalf("status %d body %q: empty message or type: %+v", status, body, out)
		}
	})
}

// FuzzQuoteJSON: for any valid JSON value, QuoteJSON with Compact holds what encoding/json's
// Compact makes of it, and with KeepSpacing the value unchanged; for any input the result is
// a JSON string.
func FuzzQuoteJSON(f *testing.F) {
	for _, s := range []string{`{"a": "b c", "d": [1, 2]}`, "{\n\t\"x\" : \"\\\" \\\\\"\n}", `"s"`, `[ ]`, `{"a":"\u00e9 \n"}`, `{"a`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, sp := range []Spacing{KeepSpacing, Compact} {
			var got string
			if err := json.Unmarshal(QuoteJSON(in, sp), &got); err != nil {
				t.Fatalf("QuoteJSON(%q, %d) is not a JSON string: %v", in, sp, err)
			}
			if !json.Valid(in) || !utf8.Valid(in) {
				continue
			}
			want := string(in)
			if sp == Compact {
				var b bytes.Buffer
				if err := json.Compact(&b, in); err != nil {
					t.Fatal(err)
				}
				want = b.String()
			}
			if got != want {
				t.Fatalf("QuoteJSON(%q, %d) holds %q, want %q", in, sp, got, want)
			}
		}
	})
}
