package jsonscan

import (
	"encoding/json"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson"
	"maps"
	"reflect"
	"testing"
)

// FuzzValid: the scanner's verdict on any input is encoding/json's.
func FuzzValid(f *testing.F) {
	for _, s := range []string{`{"a":[1,-2.5e3,"x\u00e9",true,null]}`, `{"a":1,}`, `01`, "\"\x01\"", `[`, ` "a" `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := Valid(b), json.Valid(b); got != want {
			t.Fatalf("Valid(%q) = %v, encoding/json says %v", b, got, want)
		}
	})
}

// FuzzScanRequest: a body the scanner takes is valid JSON, and AppendRequest makes valid
// JSON whose members are the client's, except the model (the one given), provider and
// fallbacks (gone) and, when usage is added to a stream, stream_options.include_usage.
func FuzzScanRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"a/b","messages":[{"role":"user","content":"x"}],"provider":"p","fallbacks":["c/d"]}`,
		`{"fallbacks":[],"model":"m","stream":true,"stream_options":{"include_usage":false,"x":1},"messages":[{"role":"tool","tool_call_id":"i"}]}`,
		`{"model":"m","prompt":"p","n":2,"stream":true,"stream_options":null}`,
		`{"model":"m","input":["a"],"dimensions":3,"encoding_format":"float"}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"x"}]},{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]}],` +
			`"tools":[{"type":"function","function":{"name":"f","parameters":{}}}],"tool_choice":"auto","stop":["a"],"temperature":0.2,"seed":1,"response_format":{"type":"json_object"}}`,
		`{"model":"m","prompt":[[1,2],[3]],"suffix":"s","echo":true,"best_of":2,"logprobs":1}`,
	} {
		f.Add([]byte(s), uint8(0), true)
	}
	f.Add([]byte(`{"model":"a/b","max_tokens":5,"system":[{"type":"text","text":"s"}],"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","data":"x"}}]}],`+
		`"tools":[{"name":"t","input_schema":{}}],"thinking":{"type":"enabled","budget_tokens":1024},"provider":"anthropic","fallbacks":["anthropic/c"]}`), uint8(Messages), false)
	f.Fuzz(func(t *testing.T, body []byte, kind uint8, addUsage bool) {
		var r Request
		k := Kind(kind % 4)
		if !ScanRequest(body, k, &r) {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("took invalid JSON %q", body)
		}
		// The gateway's decoder takes every body the scanner takes.
		var derr error
		switch k {
		case Chat:
			derr = easyjson.Unmarshal(body, &schemas.ChatRequest{})
		case Text:
			derr = easyjson.Unmarshal(body, &schemas.TextRequest{})
		case Embedding:
			derr = easyjson.Unmarshal(body, &schemas.EmbeddingRequest{})
		default:
			derr = easyjson.Unmarshal(body, &anthropic.MessagesRequest{})
		}
		if derr != nil {
			t.Fatalf("took %q, which the decoder refuses: %v", body, derr)
		}
		out := AppendRequest(nil, body, &r, "new\"model", addUsage)
		var in, got map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			t.Fatalf("body %q: %v", body, err)
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("AppendRequest(%q) = %q: %v", body, out, err)
		}
		want := maps.Clone(in)
		delete(want, "provider")
		delete(want, "fallbacks")
		want["model"] = "new\"model"
		if addUsage && r.Stream && !r.IncludeUsageOn {
			so, _ := want["stream_options"].(map[string]any)
			so = maps.Clone(so)
			if so == nil {
				so = map[string]any{}
			}
			so["include_usage"] = true
			want["stream_options"] = so
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("AppendRequest(%q) = %q\n got %v\nwant %v", body, out, got, want)
		}
	})
}

// FuzzScanAnswer: any input, no panic; an answer the scanner takes is valid JSON, and its
// usage is what encoding/json reads.
func FuzzScanAnswer(f *testing.F) {
	for _, s := range []string{
		`{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}`,
		`{"choices":[],"usage":null}`, `{"data":[{"embedding":[1]}]}`,
		`{"type":"message_start","message":{"usage":{"input_tokens":3,"cache_read_input_tokens":1}}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var a, an Answer
		ok := ScanOpenAI(b, Chat, &a)
		ScanAnthropic(b, &an)
		ScanOpenAI(b, Embedding, &an)
		if !ok {
			return
		}
		if !json.Valid(b) {
			t.Fatalf("took invalid JSON %q", b)
		}
		// By map, not struct: encoding/json matches struct fields without regard to case,
		// the gateway's decoder (easyjson) and the scanner do not.
		var v map[string]any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		u, _ := v["usage"].(map[string]any)
		if u == nil {
			return
		}
		in, _ := u["prompt_tokens"].(float64)
		out, _ := u["completion_tokens"].(float64)
		if int(in) != a.Usage.Input || int(out) != a.Usage.Output {
			t.Fatalf("%q: usage %+v, encoding/json %v", b, a.Usage, u)
		}
	})
}
