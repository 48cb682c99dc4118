package responses

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// golden compares got with the file path, or rewrites it under -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\ngot:\n%s", path, got)
	}
}

func indent(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON (%v): %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func testMeta(r *Request) *Meta {
	return &Meta{ID: "resp_0123456789abcdef", CreatedAt: 1700000000, Model: r.Model, Req: r}
}

// TestToChatGolden pins the unified chat request made from each Responses request in
// testdata/tochat.
func TestToChatGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/tochat/*.json")
	if len(files) == 0 {
		t.Fatal("no cases")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var r Request
			if err := r.Decode(body); err != nil {
				t.Fatal(err)
			}
			var chat schemas.ChatRequest
			if err := r.ToChat(&chat, nil); err != nil {
				t.Fatal(err)
			}
			out, err := easyjson.Marshal(&chat)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, strings.TrimSuffix(f, ".json")+".chat.golden", indent(t, out))
		})
	}
}

// TestFromChatGolden pins the Response object written for each chat completion in
// testdata/encode.
func TestFromChatGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/encode/*.json")
	req := Request{Model: "anthropic/claude-sonnet-4-5"}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			body, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var resp schemas.ChatResponse
			if err := easyjson.Unmarshal(body, &resp); err != nil {
				t.Fatal(err)
			}
			var e Encoder
			e.FromChat(testMeta(&req), &resp)
			var w jwriter.Writer
			e.WriteResponse(&w, testMeta(&req), nil)
			golden(t, strings.TrimSuffix(f, ".json")+".golden", indent(t, w.Buffer.BuildBytes()))
		})
	}
}

// TestStreamGolden pins the events written for each chat chunk sequence in testdata/stream
// (one chunk per line; a line "ERROR" breaks the stream) and checks their sequence numbers.
func TestStreamGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/stream/*.jsonl")
	req := Request{Model: "anthropic/claude-sonnet-4-5", Stream: true}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var s Streamer
			s.Reset(testMeta(&req))
			var w jwriter.Writer
			s.Start(&w)
			ended := false
			for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if line == "ERROR" {
					s.Fail(&w, &schemas.ErrorBody{Message: "upstream stream broke", Type: "upstream_error", Code: "stream_interrupted"})
					ended = true
					break
				}
				var c schemas.ChatStreamChunk
				if err := easyjson.Unmarshal([]byte(line), &c); err != nil {
					t.Fatal(err)
				}
				s.Chunk(&w, &c)
			}
			if !ended {
				s.End(&w)
			}
			out := w.Buffer.BuildBytes()
			checkEvents(t, out)
			golden(t, strings.TrimSuffix(f, ".jsonl")+".golden", out)
		})
	}
}

// checkEvents checks that every event is "event: T" then "data: {...}" with type T and
// sequence numbers 0, 1, 2, ...
func checkEvents(t testing.TB, sse []byte) []string {
	t.Helper()
	var types []string
	sc := bufio.NewScanner(bytes.NewReader(sse))
	sc.Buffer(nil, 1<<24)
	var typ string
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "event: "):
			typ = line[len("event: "):]
		case strings.HasPrefix(line, "data: "):
			var ev struct {
				Type string `json:"type"`
				Seq  *int   `json:"sequence_number"`
			}
			if err := json.Unmarshal([]byte(line[len("data: "):]), &ev); err != nil {
				t.Fatalf("event %d is not JSON (%v): %s", len(types), err, line)
			}
			if ev.Type != typ || ev.Seq == nil || *ev.Seq != len(types) {
				t.Fatalf("event %d: type %q (event line %q), sequence_number %v", len(types), ev.Type, typ, ev.Seq)
			}
			types = append(types, typ)
		case line == "":
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	return types
}

// decodeOK is for tests: it decodes body into a fresh Request.
func decodeOK(t *testing.T, body string) *Request {
	t.Helper()
	var r Request
	if err := r.Decode([]byte(body)); err != nil {
		t.Fatalf("decode: %v", err)
	}
	return &r
}

var _ = jlexer.Lexer{}
