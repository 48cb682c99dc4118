package responses

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jwriter"
)

// FuzzDecode feeds arbitrary bodies to the request decoder and the translation: neither may
// panic, and a refusal names a member.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob("testdata/tochat/*.json")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(`{"model":"a/b","input":[{"type":"reasoning","summary":[{"text":"x"},{"text":"y"}]}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var r Request
		if r.Decode(body) != nil {
			return
		}
		var chat schemas.ChatRequest
		if err := r.ToChat(&chat, r.Input); err != nil {
			if pe, ok := err.(*ParamError); !ok || pe.Param == "" {
				t.Fatalf("refusal without a member: %v", err)
			}
			return
		}
		if _, err := easyjson.Marshal(&chat); err != nil {
			t.Fatalf("the chat request does not encode: %v", err)
		}
	})
}

// FuzzStream feeds arbitrary chat chunks (one per line) to the stream encoder: every event
// must be valid JSON with its type and the next sequence number, and the final response too.
func FuzzStream(f *testing.F) {
	files, _ := filepath.Glob("testdata/stream/*.jsonl")
	for _, name := range files {
		if b, err := os.ReadFile(name); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		req := Request{Model: "m"}
		var s Streamer
		s.Reset(testMeta(&req))
		var w jwriter.Writer
		s.Start(&w)
		for _, line := range bytes.Split(data, []byte("\n")) {
			var c schemas.ChatStreamChunk
			if easyjson.Unmarshal(line, &c) != nil {
				continue
			}
			s.Chunk(&w, &c)
		}
		s.End(&w)
		checkEvents(t, w.Buffer.BuildBytes())
	})
}
