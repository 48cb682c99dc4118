package mocks

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestFaultEchoKey checks that FaultEchoKey echoes the request's credential, in every form
// EchoForms lists, in every member of the error, plain and streamed, in the OpenAI and
// anthropic formats, whatever key the request carries; and that the next request after
// FaultCount is checked and served as usual.
func TestFaultEchoKey(t *testing.T) {
	const key = "sk-echo/Key+odd=chars:0123456789~?>" // its base64 differs in the two alphabets
	forms := EchoForms(key)
	if len(forms) < 10 {
		t.Fatalf("EchoForms gave %d forms: %q", len(forms), forms)
	}
	hasAll := func(t *testing.T, what, text string) {
		t.Helper()
		for _, f := range forms {
			if !strings.Contains(text, f) {
				t.Errorf("%s: form %q is not echoed", what, f)
			}
		}
	}
	chat := `{"model":"m","messages":[{"role":"user","content":"x"}]}`
	stream := `{"model":"m","stream":true,"messages":[{"role":"user","content":"x"}]}`

	t.Run("openai", func(t *testing.T) {
		s := newServer(t, Config{Fault: FaultEchoKey, FaultCount: 2, RequireKey: "the-right-key"})
		r := call(t, s, "POST", "/v1/chat/completions", chat, key)
		if r.status != 401 {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var e struct {
			Error struct {
				Message, Type, Param string
				Code, Details        json.RawMessage
			}
		}
		decode(t, r.body, &e)
		for _, m := range []struct{ name, text string }{
			{"message", e.Error.Message}, {"type", e.Error.Type}, {"param", e.Error.Param},
			{"code", string(e.Error.Code)}, {"details", string(e.Error.Details)},
		} {
			var nested struct{ Credential struct{ Forms []string } }
			if m.text != "" && m.text[0] == '{' {
				decode(t, []byte(m.text), &nested)
				m.text = strings.Join(nested.Credential.Forms, " ")
			}
			hasAll(t, m.name, m.text)
		}
		r = call(t, s, "POST", "/v1/chat/completions", stream, key)
		if r.status != 200 || !strings.Contains(string(r.body), `data: {"error":`) || strings.Contains(string(r.body), "[DONE]") {
			t.Fatalf("stream: %d %s", r.status, r.body)
		}
		hasAll(t, "stream error event", string(r.body))
		if r := call(t, s, "POST", "/v1/chat/completions", chat, key); r.status != 401 || strings.Contains(string(r.body), key) {
			t.Errorf("after FaultCount a wrong key gets %d %s, want the ordinary 401", r.status, r.body)
		}
		if r := call(t, s, "POST", "/v1/chat/completions", chat, "the-right-key"); r.status != 200 {
			t.Errorf("after FaultCount the right key gets %d %s", r.status, r.body)
		}
	})

	t.Run("anthropic", func(t *testing.T) {
		s := newServer(t, Config{Format: FormatAnthropic, Fault: FaultEchoKey, EchoStatus: 403})
		body := `{"model":"m","max_tokens":64,"messages":[{"role":"user","content":"x"}]}`
		r := callAnthropic(t, s, "POST", "/v1/messages", body, key, "2023-06-01")
		if r.status != 403 || !strings.HasPrefix(string(r.body), `{"type":"error","error":{"type":`) {
			t.Fatalf("status %d: %s", r.status, r.body)
		}
		var e struct {
			Error struct{ Type, Message string }
		}
		decode(t, r.body, &e)
		hasAll(t, "type", e.Error.Type)
		hasAll(t, "message", e.Error.Message)
		r = callAnthropic(t, s, "POST", "/v1/messages", strings.Replace(body, `"x"}]`, `"x"}],"stream":true`, 1), key, "2023-06-01")
		if r.status != 200 || !strings.Contains(string(r.body), "event: message_start") || !strings.Contains(string(r.body), "event: error\ndata: ") {
			t.Fatalf("stream: %d %s", r.status, r.body)
		}
	})

	t.Run("no credential", func(t *testing.T) {
		s := newServer(t, Config{Fault: FaultEchoKey})
		if r := call(t, s, "POST", "/v1/chat/completions", chat, ""); r.status != 401 || !strings.Contains(string(r.body), "no credential") {
			t.Errorf("%d %s", r.status, r.body)
		}
	})
	if _, err := New(Config{Fault: FaultEchoKey, EchoStatus: 200}); err == nil {
		t.Error("EchoStatus 200 was accepted")
	}
}
