package jsonscan

import (
	"encoding/json"
	"testing"
)

// TestScanRequest: which bodies the scanner takes, and what AppendRequest makes of them.
func TestScanRequest(t *testing.T) {
	const msgs = `"messages":[{"role":"user","content":"hi"}]`
	for _, c := range []struct {
		name     string
		kind     Kind
		body     string
		model    string
		addUsage bool
		want     string // "" declines
	}{
		{"plain", Chat, `{"model":"openai/gpt-4o",` + msgs + `}`, "gpt-4o", false, `{"model":"gpt-4o",` + msgs + `}`},
		{"spacing kept", Chat, "{ \"model\" : \"a/b\" ,\n " + msgs + " }", "b", false, "{ \"model\" : \"b\" ,\n " + msgs + " }"},
		{"provider first", Chat, `{"provider":"openai","model":"m",` + msgs + `}`, "m", false, `{"model":"m",` + msgs + `}`},
		{"provider last", Chat, `{"model":"m",` + msgs + `, "provider":"openai"}`, "m", false, `{"model":"m",` + msgs + `}`},
		{"both last", Chat, `{"model":"m",` + msgs + `,"fallbacks":["a/b"],"provider":"p"}`, "m", false, `{"model":"m",` + msgs + `}`},
		{"both first", Chat, `{"fallbacks":["a/b","c/d"], "provider":"p", "model":"m",` + msgs + `}`, "m", false, `{"model":"m",` + msgs + `}`},
		{"both apart", Chat, `{"fallbacks":[],"model":"m","provider":"p",` + msgs + `}`, "m", false, `{"model":"m",` + msgs + `}`},
		{"escaped model out", Chat, `{"model":"a/b",` + msgs + `}`, "we\"ird\n", false, `{"model":"we\"ird\u000a",` + msgs + `}`},
		{"usage added", Chat, `{"model":"m",` + msgs + `,"stream":true}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true}}`},
		{"usage added after removed last", Chat, `{"model":"m",` + msgs + `,"stream":true,"provider":"p"}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true}}`},
		{"usage from false", Chat, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":false}}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true}}`},
		{"usage into null", Chat, `{"model":"m",` + msgs + `,"stream":true,"stream_options":null}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true}}`},
		{"usage into empty", Chat, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{ }}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true }}`},
		{"usage beside other", Chat, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"x":1}}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true,"x":1}}`},
		{"usage already asked", Chat, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true}}`, "m", true, `{"model":"m",` + msgs + `,"stream":true,"stream_options":{"include_usage":true}}`},
		{"no usage without stream", Chat, `{"model":"m",` + msgs + `}`, "m", true, `{"model":"m",` + msgs + `}`},
		{"tool with id", Chat, `{"model":"m","messages":[{"role":"tool","tool_call_id":"c1","content":"x"}]}`, "m", false, `{"model":"m","messages":[{"role":"tool","tool_call_id":"c1","content":"x"}]}`},
		{"unknown members kept", Chat, `{"model":"m",` + msgs + `,"x":{"y":[1,2.5e3,null,true]},"n":2,"max_tokens":0}`, "m", false, `{"model":"m",` + msgs + `,"x":{"y":[1,2.5e3,null,true]},"n":2,"max_tokens":0}`},
		{"text", Text, `{"model":"m","prompt":"hi","stream":false}`, "m", false, `{"model":"m","prompt":"hi","stream":false}`},
		{"embedding", Embedding, `{"model":"m","input":["a"],"dimensions":8}`, "m", false, `{"model":"m","input":["a"],"dimensions":8}`},
		// declined: the decoding path answers these as before
		{"invalid json", Chat, `{"model":"m",` + msgs + `,}`, "m", false, ""},
		{"not an object", Chat, `[]`, "m", false, ""},
		{"no model", Chat, `{` + msgs + `}`, "m", false, ""},
		{"null model", Chat, `{"model":null,` + msgs + `}`, "m", false, ""},
		{"escaped model in", Chat, `{"model":"gpt\u002d4o",` + msgs + `}`, "m", false, ""},
		{"escaped member name", Chat, `{"mod\u0065l":"x","model":"m",` + msgs + `}`, "m", false, ""},
		{"duplicate model", Chat, `{"model":"a","model":"m",` + msgs + `}`, "m", false, ""},
		{"no messages", Chat, `{"model":"m"}`, "m", false, ""},
		{"empty messages", Chat, `{"model":"m","messages":[]}`, "m", false, ""},
		{"bad role", Chat, `{"model":"m","messages":[{"role":"robot","content":"x"}]}`, "m", false, ""},
		{"no role", Chat, `{"model":"m","messages":[{"content":"x"}]}`, "m", false, ""},
		{"tool without id", Chat, `{"model":"m","messages":[{"role":"tool","content":"x"}]}`, "m", false, ""},
		{"tool with empty id", Chat, `{"model":"m","messages":[{"role":"tool","tool_call_id":"","content":"x"}]}`, "m", false, ""},
		{"message not an object", Chat, `{"model":"m","messages":["hi"]}`, "m", false, ""},
		{"n zero", Chat, `{"model":"m",` + msgs + `,"n":0}`, "m", false, ""},
		{"n fraction", Chat, `{"model":"m",` + msgs + `,"n":1.0}`, "m", false, ""},
		{"max_tokens negative", Chat, `{"model":"m",` + msgs + `,"max_tokens":-1}`, "m", false, ""},
		{"max_completion_tokens negative", Chat, `{"model":"m",` + msgs + `,"max_completion_tokens":-5}`, "m", false, ""},
		{"stream not bool", Chat, `{"model":"m",` + msgs + `,"stream":"yes"}`, "m", false, ""},
		{"include_usage not bool", Chat, `{"model":"m",` + msgs + `,"stream_options":{"include_usage":1}}`, "m", false, ""},
		{"fallbacks not strings", Chat, `{"model":"m",` + msgs + `,"fallbacks":[1]}`, "m", false, ""},
		{"too many fallbacks", Chat, `{"model":"m",` + msgs + `,"fallbacks":["a","b","c","d","e","f","g","h","i"]}`, "m", false, ""},
		{"text without prompt", Text, `{"model":"m"}`, "m", false, ""},
		{"text null prompt", Text, `{"model":"m","prompt":null}`, "m", false, ""},
		{"embedding empty input", Embedding, `{"model":"m","input":""}`, "m", false, ""},
		{"embedding empty array", Embedding, `{"model":"m","input":[ ]}`, "m", false, ""},
		{"embedding dimensions zero", Embedding, `{"model":"m","input":"a","dimensions":0}`, "m", false, ""},
		{"trailing garbage", Chat, `{"model":"m",` + msgs + `} x`, "m", false, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var r Request
			ok := ScanRequest([]byte(c.body), c.kind, &r)
			if ok != (c.want != "") {
				t.Fatalf("ScanRequest = %v, want %v", ok, c.want != "")
			}
			if !ok {
				return
			}
			got := string(AppendRequest(nil, []byte(c.body), &r, c.model, c.addUsage))
			if got != c.want {
				t.Errorf("AppendRequest:\n got %s\nwant %s", got, c.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("AppendRequest made invalid JSON: %s", got)
			}
		})
	}
}

func TestScanRequestFields(t *testing.T) {
	body := []byte(`{"model":"openai/gpt-4o","provider":"openai","fallbacks":["anthropic/c","groq/l"],"stream":true,` +
		`"messages":[{"role":"system","content":"s"},{"role":"user","content":"u"}],"max_tokens":100,"max_completion_tokens":50,"n":3}`)
	var r Request
	if !ScanRequest(body, Chat, &r) {
		t.Fatal("declined")
	}
	if string(r.Model.Of(body)) != `"openai/gpt-4o"` || string(r.Provider.Of(body)) != `"openai"` || r.NFallbacks != 2 ||
		string(r.Fallbacks[1].Of(body)) != `"groq/l"` || !r.Stream || r.MaxTokens != (Int{100, true}) ||
		r.MaxCompletion != (Int{50, true}) || r.N != (Int{3, true}) || r.StreamOptions.Set() {
		t.Errorf("fields: %+v", r)
	}
}
