package cohere

import (
	"os"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

func load(tb testing.TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// encodeChat decodes a unified request and encodes Cohere's body for it.
func encodeChat(t *testing.T, unified string) (string, error) {
	t.Helper()
	var r schemas.ChatRequest
	if err := schemas.Decode([]byte(unified), &r); err != nil {
		t.Fatalf("unified request: %v", err)
	}
	var w jwriter.Writer
	err := Codec{}.EncodeChat(&w, &r)
	return string(w.Buffer.BuildBytes()), err
}

func TestEncodeChat(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"text",
			`{"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}]}`,
			`{"model":"command-a-03-2025","messages":[{"role":"user","content":"Hi"}]}`},
		{"system and developer become system",
			`{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"developer","content":[{"type":"text","text":"No lists."}]},{"role":"user","content":"Hi","name":"ann"}]}`,
			`{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"system","content":[{"type":"text","text":"No lists."}]},{"role":"user","content":"Hi"}]}`},
		{"image parts",
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"high"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What is this?"},{"type":"image_url","image_url":{"url":"https://x.test/a.png","detail":"high"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]}]}`},
		{"sampling, stop, max_completion_tokens, stream",
			`{"model":"m","messages":[{"role":"user","content":"Hi"}],"temperature":0.3,"top_p":0.9,"seed":42,"stop":"END","max_completion_tokens":64,"frequency_penalty":0.1,"presence_penalty":0.2,"stream":true,"stream_options":{"include_usage":true},"user":"u1","logprobs":true,"n":1}`,
			`{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":64,"stop_sequences":["END"],"temperature":0.3,"seed":42,"frequency_penalty":0.1,"presence_penalty":0.2,"p":0.9,"stream":true}`},
		{"max_tokens wins over max_completion_tokens; stop list",
			`{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":10,"max_completion_tokens":64,"stop":["a","b"]}`,
			`{"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":10,"stop_sequences":["a","b"]}`},
		{"tools, strict, required",
			`{"model":"m","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]},"strict":true}},{"type":"function","function":{"name":"now"}}],"tool_choice":"required","parallel_tool_calls":false}`,
			`{"model":"m","messages":[{"role":"user","content":"Weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},{"type":"function","function":{"name":"now","parameters":{"type":"object","properties":{}}}}],"strict_tools":true,"tool_choice":"REQUIRED"}`},
		{"tool_choice none and auto",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"none"}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{}}}}],"tool_choice":"NONE"}`},
		{"tool_choice naming a function keeps that tool",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}},{"type":"function","function":{"name":"g"}}],"tool_choice":{"type":"function","function":{"name":"g"}}}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"g","parameters":{"type":"object","properties":{}}}}],"tool_choice":"REQUIRED"}`},
		{"multi-turn tool use",
			`{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":"I will look it up.","tool_calls":[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},{"role":"tool","tool_call_id":"get_weather_1","content":"{\"temp_c\":18}"},{"role":"assistant","content":null,"tool_calls":[{"id":"t2","type":"function","function":{"name":"now","arguments":""}}]},{"role":"tool","tool_call_id":"t2","content":[{"type":"text","text":"12:00"}]}]}`,
			`{"model":"m","messages":[{"role":"user","content":"Weather in Paris?"},{"role":"assistant","tool_calls":[{"id":"get_weather_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}],"tool_plan":"I will look it up."},{"role":"tool","tool_call_id":"get_weather_1","content":"{\"temp_c\":18}"},{"role":"assistant","tool_calls":[{"id":"t2","type":"function","function":{"name":"now","arguments":""}}]},{"role":"tool","tool_call_id":"t2","content":[{"type":"text","text":"12:00"}]}]}`},
		{"assistant text turn",
			`{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Bye"}]}`,
			`{"model":"m","messages":[{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":"Bye"}]}`},
		{"response_format json_schema",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_schema","json_schema":{"name":"p","schema":{"type":"object","properties":{"a":{"type":"string"}}}}}}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object","json_schema":{"type":"object","properties":{"a":{"type":"string"}}}}}`},
		{"response_format json_object and Cohere's own members forwarded",
			`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"k":5,"safety_mode":"OFF","p":0.5,"top_p":0.7}`,
			`{"model":"m","messages":[{"role":"user","content":"x"}],"response_format":{"type":"json_object"},"p":0.7,"k":5,"safety_mode":"OFF"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeChat(t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestEncodeChatRefuses(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"n", `{"model":"m","messages":[{"role":"user","content":"x"}],"n":2}`},
		{"audio", `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"wav"}}]}]}`},
		{"file", `{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"f1"}}]}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := encodeChat(t, tc.in); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func decodeChat(t *testing.T, body string) (string, error) {
	t.Helper()
	var out schemas.ChatResponse
	if err := (Codec{}).DecodeChat([]byte(body), &out); err != nil {
		return "", err
	}
	out.Created = 0
	var w jwriter.Writer
	out.MarshalEasyJSON(&w)
	return string(w.Buffer.BuildBytes()), nil
}

func TestDecodeChat(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"text with cached tokens",
			`{"id":"5a50480a-cf52-46f0-af01-53d18539bd31","finish_reason":"COMPLETE","message":{"role":"assistant","content":[{"type":"text","text":"Hello!"}]},"usage":{"billed_units":{"input_tokens":5,"output_tokens":3},"tokens":{"input_tokens":71,"output_tokens":3},"cached_tokens":64}}`,
			`{"id":"5a50480a-cf52-46f0-af01-53d18539bd31","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"Hello!"},"finish_reason":"stop"}],"usage":{"prompt_tokens":71,"completion_tokens":3,"total_tokens":74,"prompt_tokens_details":{"cached_tokens":64,"audio_tokens":0}}}`},
		{"billed units when tokens is absent; max tokens",
			`{"id":"x","finish_reason":"MAX_TOKENS","message":{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"text","text":"b\n"}]},"usage":{"billed_units":{"input_tokens":5.0,"output_tokens":2}}}`,
			`{"id":"x","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"ab\n"},"finish_reason":"length"}],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7}}`},
		{"tool calls with a plan",
			`{"id":"t","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_plan":"I will check the weather.","tool_calls":[{"id":"get_weather_ab12","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"usage":{"tokens":{"input_tokens":30,"output_tokens":20}}}`,
			`{"id":"t","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"I will check the weather.","tool_calls":[{"id":"get_weather_ab12","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":30,"completion_tokens":20,"total_tokens":50}}`},
		{"tool calls without a plan",
			`{"id":"t","finish_reason":"TOOL_CALL","message":{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]}}`,
			`{"id":"t","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}},{"id":"b","type":"function","function":{"name":"g","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`},
		{"thinking and stop sequence",
			`{"id":"r","finish_reason":"STOP_SEQUENCE","message":{"role":"assistant","content":[{"type":"thinking","thinking":"Two plus two."},{"type":"text","text":"4"}]},"usage":{"tokens":{"input_tokens":1,"output_tokens":9}}}`,
			`{"id":"r","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"4","reasoning_content":"Two plus two."},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":9,"total_tokens":10}}`},
		{"timeout", `{"id":"r","finish_reason":"TIMEOUT","message":{"role":"assistant","content":[{"type":"text","text":"partial"}]}}`,
			`{"id":"r","object":"chat.completion","created":0,"model":"","choices":[{"index":0,"message":{"role":"assistant","content":"partial"},"finish_reason":"length"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeChat(t, tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("response\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestDecodeChatFails(t *testing.T) {
	for _, tc := range []struct{ name, in string }{
		{"error finish", `{"id":"e","finish_reason":"ERROR","message":{"role":"assistant","content":[]}}`},
		{"not json", `<html>`},
		{"truncated", `{"id":"e","finish_reason":"COMP`},
		{"bad text", `{"id":"e","message":{"content":[{"type":"text","text":5}]}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := decodeChat(t, tc.in); err == nil {
				t.Error("want an error")
			}
		})
	}
}

func TestDecodeError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		in     string
		want   schemas.ErrorBody
	}{
		{"400", 400, `{"id":"0e2f4a5e-7a0b-4c5d-9f0e-1b2c3d4e5f60","message":"invalid request: message must be at least 1 token long or tool results must be specified."}`,
			schemas.ErrorBody{Message: "invalid request: message must be at least 1 token long or tool results must be specified.", Type: schemas.ErrInvalidRequest}},
		{"401", 401, `{"id":"a","message":"invalid api token"}`, schemas.ErrorBody{Message: "invalid api token", Type: schemas.ErrAuthentication}},
		{"498", 498, `{"message":"invalid api token"}`, schemas.ErrorBody{Message: "invalid api token", Type: schemas.ErrAuthentication}},
		{"429", 429, `{"id":"b","message":"You are using a Trial key, which is limited to 10 API calls / minute."}`,
			schemas.ErrorBody{Message: "You are using a Trial key, which is limited to 10 API calls / minute.", Type: schemas.ErrRateLimit}},
		{"500", 500, `{"message":"internal server error, this has been reported to our developers. id 1d8d6f1e"}`,
			schemas.ErrorBody{Message: "internal server error, this has been reported to our developers. id 1d8d6f1e", Type: schemas.ErrServer}},
		{"stream error", 502, `{"type":"message-end","delta":{"finish_reason":"ERROR","error":"the model failed"}}`,
			schemas.ErrorBody{Message: "the model failed", Type: schemas.ErrServer}},
		{"not json", 503, `upstream connect error`, schemas.ErrorBody{Message: "provider returned HTTP 503: upstream connect error", Type: schemas.ErrServer}},
		{"openai shape", 404, `{"error":{"message":"no such model","type":"not_found"}}`, schemas.ErrorBody{Message: "no such model", Type: "not_found"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got schemas.ErrorBody
			Codec{}.DecodeError(tc.status, []byte(tc.in), &got)
			if got != tc.want {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}

func TestDecodeModels(t *testing.T) {
	body := `{"models":[{"name":"command-a-03-2025","endpoints":["chat"],"finetuned":false,"context_length":256000,"tokenizer_url":"https://x.test/t.json","default_endpoints":["chat"]},{"name":"embed-v4.0","endpoints":["embed"]}],"next_page_token":""}`
	var out schemas.ModelList
	if err := (Codec{}).DecodeModels([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	var w jwriter.Writer
	out.MarshalEasyJSON(&w)
	want := `{"object":"list","data":[{"id":"command-a-03-2025","object":"model","created":0,"owned_by":"cohere"},{"id":"embed-v4.0","object":"model","created":0,"owned_by":"cohere"}]}`
	if got := string(w.Buffer.BuildBytes()); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// decodeUnified is a helper for the benchmarks and allocation tests.
func decodeUnified(tb testing.TB, body []byte, r *schemas.ChatRequest) {
	r.Reset()
	l := jlexer.Lexer{Data: body}
	r.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		tb.Fatal(err)
	}
}
