package gemini

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/convert"
)

func TestEncodeChat(t *testing.T) {
	for _, tc := range []struct {
		name, req, want, err string
	}{
		{
			name: "text and system",
			req:  `{"model":"m","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi \"there\""}]}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"Hi \"there\""}]}],"systemInstruction":{"parts":[{"text":"Be brief."}]}}`,
		},
		{
			name: "system parts and developer",
			req:  `{"model":"m","messages":[{"role":"developer","content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]},{"role":"system","content":"C"},{"role":"user","content":"Hi"}]}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"Hi"}]}],"systemInstruction":{"parts":[{"text":"A"},{"text":"B"},{"text":"C"}]}}`,
		},
		{
			name: "multi-turn text",
			req:  `{"model":"m","messages":[{"role":"user","content":"1"},{"role":"assistant","content":"2"},{"role":"user","content":"3"}]}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"1"}]},{"role":"model","parts":[{"text":"2"}]},{"role":"user","parts":[{"text":"3"}]}]}`,
		},
		{
			name: "images",
			req:  `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"What?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}},{"type":"image_url","image_url":{"url":"https:\/\/example.com\/cat.JPG?size=2"}},{"type":"image_url","image_url":{"url":"https://example.com/photo"}}]}]}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"What?"},{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}},{"fileData":{"mimeType":"image/jpeg","fileUri":"https://example.com/cat.JPG?size=2"}},{"fileData":{"fileUri":"https://example.com/photo"}}]}]}`,
		},
		{
			name: "audio and files",
			req:  `{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0="}},{"type":"file","file":{"file_id":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]}`,
			want: `{"contents":[{"role":"user","parts":[{"inlineData":{"mimeType":"audio/wav","data":"UklGRg=="}},{"inlineData":{"mimeType":"application/pdf","data":"JVBERi0="}},{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}]}]}`,
		},
		{
			name: "data URL not base64",
			req:  `{"model":"m","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,abc"}}]}]}`,
			err:  "messages[0].content[0]: a data URL must be base64",
		},
		{
			name: "unsupported part",
			req:  `{"model":"m","messages":[{"role":"user","content":[{"type":"video","text":"x"}]}]}`,
			err:  `content part type "video" is not supported by gemini`,
		},
		{
			name: "tools and tool use",
			req: `{"model":"m","messages":[{"role":"user","content":"Weather in Paris and Rome?"},` +
				`{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]},` +
				`{"role":"tool","tool_call_id":"call_a","content":"{\"temp\": 21}"},{"role":"tool","tool_call_id":"call_b","content":"noon"},{"role":"user","content":"Thanks"}],` +
				`"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}}},{"type":"function","function":{"name":"get_time"}}],"tool_choice":"required"}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"Weather in Paris and Rome?"}]},` +
				`{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}},{"functionCall":{"name":"get_time","args":{}}}]},` +
				`{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp": 21}}},{"functionResponse":{"name":"get_time","response":{"output":"noon"}}}]},{"role":"user","parts":[{"text":"Thanks"}]}],` +
				`"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Current weather","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"],"additionalProperties":false}},{"name":"get_time"}]}],` +
				`"toolConfig":{"functionCallingConfig":{"mode":"ANY"}}}`,
		},
		{
			name: "tool message named by the client",
			req:  `{"model":"m","messages":[{"role":"tool","tool_call_id":"x","name":"lookup","content":[{"type":"text","text":"42"}]}]}`,
			want: `{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"lookup","response":{"output":"42"}}}]}]}`,
		},
		{
			name: "tool message without a call",
			req:  `{"model":"m","messages":[{"role":"tool","tool_call_id":"x","content":"42"}]}`,
			err:  `messages[0]: tool_call_id "x" matches no tool call`,
		},
		{
			name: "arguments not an object",
			req:  `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"[1]"}}]}]}`,
			err:  "messages[0].tool_calls[0].function.arguments must be a JSON object",
		},
		{
			name: "assistant text and call",
			req:  `{"model":"m","messages":[{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"a","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`,
			want: `{"contents":[{"role":"model","parts":[{"text":"Let me check."},{"functionCall":{"name":"f","args":{}}}]}]}`,
		},
		{
			name: "tool_choice none",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"none"}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"NONE"}}}`,
		},
		{
			name: "tool_choice auto",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"auto"}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"AUTO"}}}`,
		},
		{
			name: "tool_choice function",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["f"]}}}`,
		},
		{
			name: "tool_choice unknown",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tool_choice":"sometimes"}`,
			err:  `tool_choice "sometimes" is not supported`,
		},
		{
			name: "non-function tool",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"tools":[{"type":"web_search","function":{"name":"x"}}]}`,
			err:  `tools[0]: type "web_search" is not supported`,
		},
		{
			name: "generation config",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":"END","n":2,"max_tokens":50,"max_completion_tokens":100,"temperature":0.5,"top_p":0.9,"seed":7,"presence_penalty":0.1,"frequency_penalty":-0.2,"logprobs":true,"top_logprobs":3,"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object","properties":{"a":{"type":"integer"}}}}},"reasoning_effort":"high","user":"u1","stream":true}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"stopSequences":["END"],"candidateCount":2,"maxOutputTokens":100,"temperature":0.5,"topP":0.9,"seed":7,"presencePenalty":0.1,"frequencyPenalty":-0.2,"responseLogprobs":true,"logprobs":3,"responseMimeType":"application/json","responseJsonSchema":{"type":"object","properties":{"a":{"type":"integer"}}},"thinkingConfig":{"thinkingBudget":24576,"includeThoughts":true}}}`,
		},
		{
			name: "json object, no thinking, stop list",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"stop":["a","b"],"max_tokens":5,"response_format":{"type":"json_object"},"reasoning_effort":"none"}`,
			want: `{"contents":[{"role":"user","parts":[{"text":"x"}]}],"generationConfig":{"stopSequences":["a","b"],"maxOutputTokens":5,"responseMimeType":"application/json","thinkingConfig":{"thinkingBudget":0}}}`,
		},
		{
			name: "unknown role",
			req:  `{"model":"m","messages":[{"role":"critic","content":"x"}]}`,
			err:  `messages[0]: role "critic" is not supported by gemini`,
		},
		{
			name: "bad reasoning effort",
			req:  `{"model":"m","messages":[{"role":"user","content":"x"}],"reasoning_effort":"max"}`,
			err:  `reasoning_effort "max"`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := encodeChat(t, tc.req)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("body\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`plain`:              "plain",
		`a\"b\\c\/d`:         `a"b\c/d`,
		`\b\f\n\r\t`:         "\b\f\n\r\t",
		`\u00e9\u4e2d`:       "é中",
		`\ud83d\ude00 smile`: "😀 smile",
		`\ud83d alone`:       "\ufffd alone",
	} {
		got, ok := convert.AppendUnescaped(nil, []byte(in))
		if !ok || string(got) != want {
			t.Errorf("appendUnescaped(%s) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, bad := range []string{`\`, `\x`, `\u12`, `\u12g4`} {
		if _, ok := convert.AppendUnescaped(nil, []byte(bad)); ok {
			t.Errorf("appendUnescaped(%s) ok, want a failure", bad)
		}
	}
}

// TestToolArguments: Gemini's functionCall args are quoted compact, as every codec quotes them.
func TestToolArguments(t *testing.T) {
	for in, want := range map[string]string{
		`{"city": "Paris"}`:                        `"{\"city\":\"Paris\"}"`,
		"{\n  \"a\": [1, 2],\n  \"b\": \"x y\"\n}": `"{\"a\":[1,2],\"b\":\"x y\"}"`,
		`{"q":"say \"hi\" \\ there"}`:              `"{\"q\":\"say \\\"hi\\\" \\\\ there\"}"`,
	} {
		if got := string(convert.AppendQuotedJSON(nil, []byte(in), convert.ToolArguments)); got != want {
			t.Errorf("AppendQuotedJSON(%s) = %s, want %s", in, got, want)
		}
	}
}
