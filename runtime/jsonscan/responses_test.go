package jsonscan

import (
	"encoding/json"
	"maps"
	"testing"
)

func TestScanResponsesRequest(t *testing.T) {
	for _, c := range []struct {
		body, model, out string
		ok, stream       bool
		maxOut           int
	}{
		{body: `{"model":"openai/gpt-5","input":"hi"}`, model: "openai/gpt-5", ok: true, out: `{"model":"gpt-5","input":"hi"}`},
		{body: `{"input":[{"type":"web_search_call"}],"provider":"openai","model":"gpt-5","fallbacks":["azure/x"],"stream":true,"max_output_tokens":9}`,
			model: "gpt-5", ok: true, stream: true, maxOut: 9, out: `{"input":[{"type":"web_search_call"}],"model":"gpt-5","stream":true,"max_output_tokens":9}`},
		{body: `{"model":"m","tools":[{"type":"file_search"}],"max_output_tokens":null,"fallbacks":[]}`, model: "m", ok: true,
			out: `{"model":"gpt-5","tools":[{"type":"file_search"}],"max_output_tokens":null}`},
		{body: `{"input":"no model"}`},
		{body: `{"model":"m","model":"n"}`},
		{body: `{"model":"m","max_output_tokens":-1}`},
		{body: `{"model":"m","\u0070rovider":"x"}`},
		{body: `{"model":"m",}`},
		{body: `[]`},
	} {
		var r Request
		ok := ScanResponsesRequest([]byte(c.body), &r)
		if ok != c.ok {
			t.Errorf("%s: ScanResponsesRequest = %v", c.body, ok)
			continue
		}
		if !ok {
			continue
		}
		if got := r.Model.Text([]byte(c.body)); got != c.model || r.Stream != c.stream || r.MaxCompletion.V != c.maxOut {
			t.Errorf("%s: model %q stream %v max %d", c.body, got, r.Stream, r.MaxCompletion.V)
		}
		if out := AppendRequest(nil, []byte(c.body), &r, "gpt-5", false); string(out) != c.out {
			t.Errorf("%s: AppendRequest = %s, want %s", c.body, out, c.out)
		}
	}
}

// A Response object and the events of a stream, as OpenAI sends them.
const (
	testResponse = `{"id":"resp_1","object":"response","status":"completed","output":[{"type":"reasoning"},{"type":"message"}],` +
		`"usage":{"input_tokens":36,"input_tokens_details":{"cached_tokens":8},"output_tokens":87,"output_tokens_details":{"reasoning_tokens":64},"total_tokens":123}}`
	testCreated   = `{"type":"response.created","sequence_number":0,"response":{"id":"resp_1","status":"in_progress","output":[],"usage":null}}`
	testDelta     = `{"type":"response.output_text.delta","sequence_number":4,"item_id":"msg_1","delta":"Hi"}`
	testCompleted = `{"type":"response.completed","sequence_number":9,"response":` + testResponse + `}`
)

func TestScanResponses(t *testing.T) {
	var a Answer
	if !ScanResponses([]byte(testResponse), &a) || !a.Substantial || a.Choices != 2 ||
		a.Usage != (Usage{Input: 36, CachedInput: 8, Output: 87, Reasoning: 64, Total: 123, Defined: true}) ||
		string(a.FinishReason.Of([]byte(testResponse))) != `"completed"` {
		t.Errorf("answer: %+v", a)
	}
	for _, body := range []string{`{"id":"resp_1"}`, `{"status":"completed"}`, `{"status":null,"output":[]}`} {
		if ScanResponses([]byte(body), &a) && a.Substantial {
			t.Errorf("%s: substantial", body)
		}
	}
	for _, c := range []struct {
		data          string
		typ, id       string
		seq           int
		terminal, use bool
	}{
		{testCreated, "response.created", "resp_1", 0, false, false},
		{testDelta, "response.output_text.delta", "", 4, false, false},
		{testCompleted, "response.completed", "resp_1", 9, true, true},
		{`{"type":"error","sequence_number":3,"code":"server_error","message":"x"}`, "error", "", 3, true, false},
	} {
		var ev Event
		b := []byte(c.data)
		if !ScanResponsesEvent(b, &ev, &a) {
			t.Errorf("%s: declined", c.data)
			continue
		}
		id := ""
		if ev.ResponseID.Set() {
			id = string(ev.ResponseID.Of(b)[1 : ev.ResponseID.End-ev.ResponseID.Start-1])
		}
		if string(ev.Type.Of(b)) != `"`+c.typ+`"` || id != c.id || ev.Seq != c.seq || ev.Terminal != c.terminal || a.Usage.Defined != c.use {
			t.Errorf("%s: %+v %+v", c.data, ev, a.Usage)
		}
	}
	var ev Event
	for _, data := range []string{`{"sequence_number":1}`, `[DONE]`, `{"type":1}`} {
		if ScanResponsesEvent([]byte(data), &ev, &a) {
			t.Errorf("%s: taken", data)
		}
	}
}

// FuzzScanResponsesRequest: a body the scanner takes is valid JSON, and AppendRequest keeps
// every member but provider and fallbacks (gone) and model (the one given).
func FuzzScanResponsesRequest(f *testing.F) {
	for _, s := range []string{
		`{"model":"openai/gpt-5","input":"hi","provider":"p","fallbacks":["a/b"],"stream":true}`,
		`{"fallbacks":[],"model":"m","tools":[{"type":"web_search"}],"include":["reasoning.encrypted_content"],"store":false}`,
		`{"model":"m","max_output_tokens":null,"reasoning":{"effort":"high"},"provider":"x"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var r Request
		if !ScanResponsesRequest(body, &r) {
			return
		}
		if !json.Valid(body) {
			t.Fatalf("took invalid JSON %q", body)
		}
		out := AppendRequest(nil, body, &r, "new\"model", false)
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
		if b1, _ := json.Marshal(want); string(b1) != func() string { b2, _ := json.Marshal(got); return string(b2) }() {
			t.Fatalf("AppendRequest(%q) = %s, want %s", body, out, b1)
		}
	})
}

// FuzzScanResponsesEvent: the scanners take only valid JSON and never panic.
func FuzzScanResponsesEvent(f *testing.F) {
	for _, s := range []string{testCreated, testDelta, testCompleted, testResponse} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var ev Event
		var a Answer
		if ScanResponsesEvent(data, &ev, &a) && !json.Valid(data) {
			t.Fatalf("took invalid JSON %q", data)
		}
		if ScanResponses(data, &a) && !json.Valid(data) {
			t.Fatalf("took invalid JSON %q", data)
		}
	})
}

func TestScanResponsesPrevious(t *testing.T) {
	var r Request
	body := []byte(`{"model":"m","previous_response_id":"resp_1","input":"x"}`)
	if !ScanResponsesRequest(body, &r) || r.PreviousResponseID.Text(body) != "resp_1" {
		t.Errorf("previous_response_id: %+v", r.PreviousResponseID)
	}
	for _, b := range []string{`{"model":"m","previous_response_id":"a","previous_response_id":"b"}`, `{"model":"m","previous_response_id":1}`} {
		if ScanResponsesRequest([]byte(b), &r) {
			t.Errorf("%s: taken", b)
		}
	}
	if !ScanResponsesRequest([]byte(`{"model":"m","previous_response_id":null}`), &r) || r.PreviousResponseID.Set() {
		t.Error("null previous_response_id")
	}
}
