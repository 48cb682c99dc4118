package gemini

import (
	"strings"
	"testing"
)

// The thought signature of Gemini 3's function calls
// (https://ai.google.dev/gemini-api/docs/thought-signatures) rides in the tool call's id and
// comes back on the functionCall part.

const sig = "CiQB0e2Kb+/7Nq==" // base64 with both "+" and "/" and padding

func TestSignatureInToolCallID(t *testing.T) {
	body := `{"candidates":[{"content":{"role":"model","parts":[` +
		`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"` + sig + `"},` +
		`{"functionCall":{"id":"fc_2","name":"get_weather","args":{"city":"Oslo"}}}]},"finishReason":"STOP","index":0}],` +
		`"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":5,"totalTokenCount":15},"modelVersion":"gemini-3-pro-preview","responseId":"r1"}`
	got, err := decodeChat(t, body)
	if err != nil {
		t.Fatal(err)
	}
	first := toolCallID("r1", 0, 0, "get_weather") + "__thought__CiQB0e2Kb-_7Nq"
	if !strings.Contains(got, `"id":"`+first+`"`) || !strings.Contains(got, `"id":"fc_2"`) {
		t.Fatalf("ids: %s\nwant the first %s and the second fc_2", got, first)
	}

	// The client sends the call back, with its result: the signature goes back on the part.
	req := `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"Weather?"},` +
		`{"role":"assistant","content":null,"tool_calls":[{"id":"` + first + `","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},` +
		`{"id":"fc_2","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Oslo\"}"}}]},` +
		`{"role":"tool","tool_call_id":"` + first + `","content":"18C"},{"role":"tool","tool_call_id":"fc_2","content":"9C"}]}`
	enc, err := encodeChat(t, req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"contents":[{"role":"user","parts":[{"text":"Weather?"}]},{"role":"model","parts":[` +
		`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"` + sig + `"},` +
		`{"functionCall":{"name":"get_weather","args":{"city":"Oslo"}}}]},` +
		`{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"18C"}}},{"functionResponse":{"name":"get_weather","response":{"output":"9C"}}}]}]}`
	if enc != want {
		t.Errorf("encoded\n%s\nwant\n%s", enc, want)
	}
}

func TestSignatureForms(t *testing.T) {
	cases := []struct{ name, call, part string }{
		{"LiteLLM's form: standard alphabet in the id",
			`{"id":"call_1__thought__ab+/cd==","type":"function","function":{"name":"f","arguments":"{}"}}`,
			`{"functionCall":{"name":"f","args":{}},"thoughtSignature":"ab+/cd=="}`},
		{"padding restored",
			`{"id":"call_1__thought__abcde","type":"function","function":{"name":"f","arguments":"{}"}}`,
			`{"functionCall":{"name":"f","args":{}},"thoughtSignature":"abcde==="}`},
		{"Google's OpenAI-compatible extra_content",
			`{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"},"extra_content":{"google":{"thought_signature":"c2ln"}}}`,
			`{"functionCall":{"name":"f","args":{}},"thoughtSignature":"c2ln"}`},
		{"no signature",
			`{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"},"extra_content":{"other":1}}`,
			`{"functionCall":{"name":"f","args":{}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			enc, err := encodeChat(t, `{"model":"gemini-3-flash-preview","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[`+c.call+`]}]}`)
			if err != nil {
				t.Fatal(err)
			}
			if want := `{"role":"model","parts":[` + c.part + `]}`; !strings.Contains(enc, want) {
				t.Errorf("encoded %s\nwant it to hold %s", enc, want)
			}
		})
	}
	if _, err := encodeChat(t, `{"model":"m","messages":[{"role":"assistant","tool_calls":[{"id":"c__thought__a b","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`); err == nil {
		t.Error("a signature that is not base64 was accepted")
	}
}

func TestSignatureStreamed(t *testing.T) {
	lines := decodeStream(t,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{}},"thoughtSignature":"`+sig+`"}]},"index":0}],"responseId":"r9"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"text":""}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"responseId":"r9"}`,
	)
	want := `"id":"` + toolCallID("r9", 0, 0, "f") + `__thought__CiQB0e2Kb-_7Nq"`
	if len(lines) != 2 || !strings.Contains(lines[0], want) || !strings.Contains(lines[1], `"finish_reason":"tool_calls"`) {
		t.Errorf("chunks:\n%s\nwant the tool call with %s, then the finish", strings.Join(lines, "\n"), want)
	}
}

func TestThinkingLevel(t *testing.T) {
	cases := []struct{ model, effort, want string }{
		{"gemini-3-pro-preview", "none", `{"thinkingLevel":"low"}`},
		{"gemini-3-pro-preview", "minimal", `{"thinkingLevel":"low","includeThoughts":true}`},
		{"gemini-3-pro-preview", "low", `{"thinkingLevel":"low","includeThoughts":true}`},
		{"gemini-3-pro-preview", "medium", `{"thinkingLevel":"high","includeThoughts":true}`},
		{"models/gemini-3-pro-preview", "high", `{"thinkingLevel":"high","includeThoughts":true}`},
		{"gemini-3-flash-preview", "none", `{"thinkingLevel":"minimal"}`},
		{"gemini-3-flash-preview", "minimal", `{"thinkingLevel":"minimal","includeThoughts":true}`},
		{"gemini-3-flash-preview", "medium", `{"thinkingLevel":"medium","includeThoughts":true}`},
		{"publishers/google/models/gemini-3.1-flash-lite", "low", `{"thinkingLevel":"low","includeThoughts":true}`},
		{"gemini-10-flash", "high", `{"thinkingLevel":"high","includeThoughts":true}`},
		// Gemini 2.5 and names that say no generation keep the budget.
		{"gemini-2.5-flash", "medium", `{"thinkingBudget":8192,"includeThoughts":true}`},
		{"gemini-2.5-pro", "none", `{"thinkingBudget":0}`},
		{"gemini-flash-latest", "low", `{"thinkingBudget":1024,"includeThoughts":true}`},
		{"gemini-exp-1206", "high", `{"thinkingBudget":24576,"includeThoughts":true}`},
		{"gemini-3x", "high", `{"thinkingBudget":24576,"includeThoughts":true}`},
	}
	for _, c := range cases {
		enc, err := encodeChat(t, `{"model":"`+c.model+`","messages":[{"role":"user","content":"x"}],"reasoning_effort":"`+c.effort+`"}`)
		if err != nil {
			t.Errorf("%s %s: %v", c.model, c.effort, err)
			continue
		}
		if want := `"generationConfig":{"thinkingConfig":` + c.want + `}`; !strings.Contains(enc, want) {
			t.Errorf("%s %s: %s\nwant %s", c.model, c.effort, enc, want)
		}
	}
	if _, err := encodeChat(t, `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"x"}],"reasoning_effort":"max"}`); err == nil {
		t.Error("reasoning_effort max was accepted for Gemini 3")
	}
}
