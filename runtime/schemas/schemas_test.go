package schemas

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// sameJSON reports whether a and b hold the same JSON value, member order aside and with
// members whose value is null treated as absent (easyjson's decoders do not tell them apart,
// and OpenAI's schemas give them the same meaning).
func sameJSON(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("invalid JSON %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("invalid JSON %s: %v", b, err)
	}
	return reflect.DeepEqual(dropNulls(x), dropNulls(y))
}

func dropNulls(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if e == nil {
				delete(v, k)
			} else {
				v[k] = dropNulls(e)
			}
		}
	case []any:
		for i := range v {
			v[i] = dropNulls(v[i])
		}
	}
	return v
}

type codec interface {
	UnmarshalEasyJSON(*jlexer.Lexer)
	MarshalEasyJSON(*jwriter.Writer)
}

func TestRoundTrip(t *testing.T) {
	cases := []struct {
		file string
		v    codec
	}{
		{"testdata/chat_request.json", &ChatRequest{}},
		{"testdata/chat_response.json", &ChatResponse{}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			in, err := os.ReadFile(c.file)
			if err != nil {
				t.Fatal(err)
			}
			if err := Decode(in, c.v); err != nil {
				t.Fatalf("decode: %v", err)
			}
			var w jwriter.Writer
			c.v.MarshalEasyJSON(&w)
			out, _ := w.BuildBytes()
			if !sameJSON(t, in, out) {
				t.Errorf("round trip changed the value:\n in: %s\nout: %s", in, out)
			}
		})
	}
}

func TestChatRequestFields(t *testing.T) {
	in, _ := os.ReadFile("testdata/chat_request.json")
	var r ChatRequest
	if err := Decode(in, &r); err != nil {
		t.Fatal(err)
	}
	if r.Model != "openai/gpt-4o-mini" || len(r.Messages) != 4 || r.Provider != "openai" {
		t.Fatalf("model %q, %d messages, provider %q", r.Model, len(r.Messages), r.Provider)
	}
	if got := r.Messages[0].Content.Text.String(); got != "You are a helpful assistant.\nBe brief." {
		t.Errorf("system content = %q", got)
	}
	if len(r.Messages[1].Content.Parts) != 2 || r.Messages[1].Content.Parts[1].ImageURL.Detail != "low" {
		t.Errorf("content parts = %+v", r.Messages[1].Content.Parts)
	}
	if r.Messages[2].Content.IsDefined() || r.Messages[2].ToolCalls[0].Function.Arguments.String() != `{"city":"Paris"}` {
		t.Errorf("tool call message = %+v", r.Messages[2])
	}
	if r.ToolChoice.Object == nil || r.ToolChoice.Object.Function.Name != "get_weather" {
		t.Errorf("tool_choice = %+v", r.ToolChoice)
	}
	if !r.Temperature.IsDefined() || r.Temperature.V != 0 || r.Seed.V != 42 || !r.IsStream() {
		t.Errorf("temperature %+v seed %+v", r.Temperature, r.Seed)
	}
	if len(r.Fallbacks) != 2 || r.Fallbacks[1] != "mistral/mistral-small-latest" {
		t.Errorf("fallbacks = %q", r.Fallbacks)
	}
	if len(r.Stop.Values) != 2 || r.Stop.Values[0].String() != "\n\n" {
		t.Errorf("stop = %q", r.Stop.Values)
	}
	var keys []string
	for _, f := range r.ExtraFields() {
		keys = append(keys, f.Key)
	}
	if !reflect.DeepEqual(keys, []string{"metadata", "store", "x_custom"}) {
		t.Errorf("extras = %q", keys)
	}
}

func TestDecodeErrors(t *testing.T) {
	cases := []struct {
		name, in string
	}{
		{"truncated", `{"model":"a","messages":[`},
		{"content number", `{"model":"a","messages":[{"role":"user","content":5}]}`},
		{"trailing", `{"model":"a","messages":[]} x`},
		{"input object", `{"model":"a","input":{"a":1}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var r ChatRequest
			var e EmbeddingRequest
			var err error
			if c.name == "input object" {
				err = Decode([]byte(c.in), &e)
			} else {
				err = Decode([]byte(c.in), &r)
			}
			if err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestInputKinds(t *testing.T) {
	cases := []struct {
		in    string
		kind  InputKind
		count int
	}{
		{`"hello"`, InputString, 1},
		{`["a","b","c"]`, InputStrings, 3},
		{`[1,2,3]`, InputTokens, 1},
		{`[[1,2],[3]]`, InputTokenLists, 2},
	}
	for _, c := range cases {
		var r EmbeddingRequest
		if err := Decode([]byte(`{"model":"m","input":`+c.in+`}`), &r); err != nil {
			t.Fatalf("%s: %v", c.in, err)
		}
		if r.Input.Kind != c.kind || r.Input.Count != c.count {
			t.Errorf("%s: kind %d count %d", c.in, r.Input.Kind, r.Input.Count)
		}
	}
	for _, bad := range []string{`[]`, `[1,"a"]`, `[[1],"a"]`, `{"a":1}`, `[true]`, `7`} {
		var r EmbeddingRequest
		if err := Decode([]byte(`{"model":"m","input":`+bad+`}`), &r); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
