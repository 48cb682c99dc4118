package convert

import (
	"testing"

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
