package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance/redistest"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/responses"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files")

// respGolden compares got with testdata/responses/name, or rewrites it under -update.
func respGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := "testdata/responses/" + name
	if *updateGolden {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update rewrites it):\n%s", path, got)
	}
}

// The parts of an answer that change from run to run.
var (
	respIDs   = regexp.MustCompile(`(resp|msg|rs|fc)_(?:[0-9a-f]{48}|[0-9a-f]{16})`) // the gateway's, the mock's
	createdAt = regexp.MustCompile(`"created_at":\d+`)
	mockIDs   = regexp.MustCompile(`"(call_id|id)":"(toolu_|call_|tooluse_|chatcmpl-)[^"]*"`)
)

func normalize(b []byte) []byte {
	b = respIDs.ReplaceAll(b, []byte("${1}_ID"))
	b = createdAt.ReplaceAll(b, []byte(`"created_at":0`))
	return mockIDs.ReplaceAll(b, []byte(`"$1":"${2}ID"`))
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("not JSON (%v): %s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

// sseEvent is one event of a Responses stream.
type sseEvent struct {
	Type string
	Data []byte
}

// readEvents splits a stream into its events, checking that each has its type in the event
// line and in the data, and the next sequence number.
func readEvents(t *testing.T, body []byte) []sseEvent {
	t.Helper()
	var out []sseEvent
	sc := bufio.NewScanner(bytes.NewReader(body))
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
			data := []byte(line[len("data: "):])
			if err := json.Unmarshal(data, &ev); err != nil || ev.Type != typ || ev.Seq == nil || *ev.Seq != len(out) {
				t.Fatalf("event %d (%v): %s", len(out), err, line)
			}
			out = append(out, sseEvent{typ, data})
		case line == "":
		default:
			t.Fatalf("unexpected line %q", line)
		}
	}
	return out
}

// summary lists the event types, a run of one type as "type xN", then the last event's data.
func summary(t *testing.T, evs []sseEvent) []byte {
	var b bytes.Buffer
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && evs[j].Type == evs[i].Type {
			j++
		}
		b.WriteString(evs[i].Type)
		if j-i > 1 {
			b.WriteString(" x" + strconv.Itoa(j-i))
		}
		b.WriteByte('\n')
		i = j
	}
	b.WriteByte('\n')
	b.Write(indentJSON(t, normalize(evs[len(evs)-1].Data)))
	return b.Bytes()
}

func providerConfig(provider string) string {
	key := `"value":"` + inProcessKey + `"`
	if provider == "bedrock" {
		key += `,"bedrock_key_config":{"region":"us-east-1"}`
	}
	return `{"providers":{"` + provider + `":{"keys":[{"name":"k",` + key + `,"models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory","max_retries":0}}}}`
}

func postResponses(p *inProcess, body string) *fasthttp.RequestCtx {
	ctx := newCtx("POST", "/v1/responses", []byte(body))
	p.do(ctx)
	return ctx
}

// TestResponsesProviders pins, per provider wire format, the Response object of a plain
// request and the event sequence of a streamed one with a function tool.
func TestResponsesProviders(t *testing.T) {
	for _, c := range []struct{ format, model, golden string }{
		{mocks.FormatOpenAI, "openai/gpt-4o-mini", "openai_translated"}, // passthrough off: translated through chat
		{mocks.FormatOpenAI, "openai/gpt-4o-mini", "openai_native"},     // the mock's own Responses API
		{mocks.FormatAnthropic, "anthropic/claude-sonnet-4-5", ""},
		{mocks.FormatGemini, "gemini/gemini-2.0-flash", ""},
		{mocks.FormatCohere, "cohere/command-r-plus", ""},
		{mocks.FormatBedrock, "bedrock/anthropic.claude-3-5-haiku-20241022-v1:0", ""},
	} {
		if c.golden == "" {
			c.golden = c.format
		}
		t.Run(c.golden, func(t *testing.T) {
			p := newInProcess(t, mocks.Config{Format: c.format, StreamChunks: 3}, providerConfig(c.format))
			p.srv.SetPassthrough(c.golden != "openai_translated")
			plain := `{"model":"` + c.model + `","instructions":"Be brief.","input":"Hello","max_output_tokens":300}`
			ctx := postResponses(p, plain)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("plain: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			respGolden(t, c.golden+"_plain.golden", indentJSON(t, normalize(ctx.Response.Body())))
			stream := `{"model":"` + c.model + `","input":[{"role":"user","content":[{"type":"input_text","text":"Weather in Paris?"}]}],"stream":true,` +
				`"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}]}`
			ctx = postResponses(p, stream)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("stream: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			respGolden(t, c.golden+"_stream.golden", summary(t, readEvents(t, ctx.Response.Body())))
		})
	}
}

// codexRequest is shaped like the Codex CLI's requests: instructions, function tools,
// reasoning, store false, encrypted reasoning asked for, a prompt cache key.
const codexRequest = `{"model":"anthropic/claude-sonnet-4-5","instructions":"You are Codex, a coding agent.",` +
	`"input":[{"type":"message","role":"user","content":[{"type":"input_text","text":"<environment_context>cwd=/repo</environment_context>"}]},` +
	`{"type":"message","role":"user","content":[{"type":"input_text","text":"List the files."}]}],` +
	`"tools":[{"type":"function","name":"shell","description":"Runs a shell command","strict":false,"parameters":{"type":"object",` +
	`"properties":{"command":{"type":"array","items":{"type":"string"}},"workdir":{"type":"string"}},"required":["command"],"additionalProperties":false}}],` +
	`"tool_choice":"auto","parallel_tool_calls":false,"reasoning":{"effort":"medium","summary":"auto"},"store":false,"stream":true,` +
	`"include":["reasoning.encrypted_content"],"prompt_cache_key":"0199-abc"}`

// TestResponsesCodex pins the whole stream of a Codex-shaped request on a translated
// provider (Anthropic), and that store: false keeps nothing.
func TestResponsesCodex(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, StreamChunks: 3, Record: true}, providerConfig("anthropic"))
	ctx := postResponses(p, codexRequest)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	evs := readEvents(t, ctx.Response.Body())
	var all bytes.Buffer
	for _, ev := range evs {
		all.WriteString("event: " + ev.Type + "\ndata: ")
		all.Write(normalize(ev.Data))
		all.WriteString("\n\n")
	}
	respGolden(t, "codex_anthropic.golden", all.Bytes())
	reqs := p.mock.Requests()
	sent := string(reqs[len(reqs)-1].Body)
	for _, want := range []string{`"thinking":{"type":"enabled"`, `"name":"shell"`, `"system":`} {
		if !strings.Contains(sent, want) {
			t.Errorf("the provider request lacks %s: %s", want, sent)
		}
	}
	var done struct {
		Response struct{ ID string } `json:"response"`
	}
	json.Unmarshal(evs[len(evs)-1].Data, &done) //nolint:errcheck // checked below
	get := newCtx("GET", "/v1/responses/"+done.Response.ID, nil)
	p.do(get)
	if done.Response.ID == "" || get.Response.StatusCode() != 404 {
		t.Errorf("store:false response %q: GET answered %d", done.Response.ID, get.Response.StatusCode())
	}
}

// TestResponsesErrors checks the status and OpenAI-shaped body of each refusal of the
// translating path (passthrough off: an OpenAI target is otherwise native, and the
// provider answers; see TestResponsesNativeErrors).
func TestResponsesErrors(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.SetPassthrough(false)
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		param, msg               string
	}{
		{"malformed JSON", "POST", "/v1/responses", `{"model":"openai/x","input":[}`, 400, "", "at byte offset"},
		{"empty body", "POST", "/v1/responses", ``, 400, "", "empty"},
		{"no input", "POST", "/v1/responses", `{"model":"openai/x"}`, 400, "input", "input is required"},
		{"built-in tool", "POST", "/v1/responses", `{"model":"openai/x","input":"hi","tools":[{"type":"web_search"}]}`, 400, "tools[0].type", "web_search"},
		{"file_search", "POST", "/openai/v1/responses", `{"model":"openai/x","input":"hi","tools":[{"type":"file_search","vector_store_ids":["v"]}]}`, 400, "tools[0].type", "file_search"},
		{"unknown provider", "POST", "/v1/responses", `{"model":"nope/x","input":"hi"}`, 400, "", `provider "nope" is not configured`},
		{"unknown previous response", "POST", "/v1/responses", `{"model":"openai/x","input":"hi","previous_response_id":"resp_nope"}`, 404, "previous_response_id", "resp_nope"},
		{"GET on create", "GET", "/v1/responses", ``, 405, "", "use POST"},
		{"unknown response", "GET", "/v1/responses/resp_nope", ``, 404, "", "resp_nope"},
		{"unknown response items", "GET", "/v1/responses/resp_nope/input_items", ``, 404, "", "resp_nope"},
		{"delete unknown", "DELETE", "/v1/responses/resp_nope", ``, 404, "", "resp_nope"},
		{"PUT on a response", "PUT", "/v1/responses/resp_nope", `{}`, 405, "", "GET or DELETE"},
		{"unknown sub-route", "GET", "/v1/responses/resp_nope/other", ``, 404, "", "no route"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := newCtx(c.method, c.path, []byte(c.body))
			p.do(ctx)
			var e struct {
				Error struct {
					Message, Type string
					Param         *string
				}
			}
			if err := json.Unmarshal(ctx.Response.Body(), &e); err != nil || ctx.Response.StatusCode() != c.status {
				t.Fatalf("status %d (want %d), %v: %s", ctx.Response.StatusCode(), c.status, err, ctx.Response.Body())
			}
			if !strings.Contains(e.Error.Message, c.msg) || c.param != "" && (e.Error.Param == nil || *e.Error.Param != c.param) {
				t.Errorf("error %s, want param %q and a message with %q", ctx.Response.Body(), c.param, c.msg)
			}
		})
	}
}

// TestResponsesConversation runs a function-tool round trip on a translated provider:
// the call, then its output with previous_response_id; then GET, input_items and DELETE.
func TestResponsesConversation(t *testing.T) {
	for _, stream := range []bool{false, true} {
		t.Run("stream="+strconv.FormatBool(stream), func(t *testing.T) {
			p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true, StreamChunks: 3}, providerConfig("anthropic"))
			s := `,"stream":` + strconv.FormatBool(stream)
			first := completed(t, p, `{"model":"anthropic/claude-sonnet-4-5","input":"Weather in Paris?"`+s+
				`,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`, stream)
			call := first.Output[len(first.Output)-1]
			if first.Status != "completed" || call.Type != "function_call" || call.CallID == "" {
				t.Fatalf("first answer: %+v", first)
			}
			second := completed(t, p, `{"model":"anthropic/claude-sonnet-4-5","previous_response_id":"`+first.ID+`"`+s+
				`,"input":[{"type":"function_call_output","call_id":"`+call.CallID+`","output":"sunny"}],`+
				`"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]}`, stream)
			if len(second.Output) != 1 || second.Output[0].Type != "message" {
				t.Fatalf("second answer: %+v", second)
			}
			reqs := p.mock.Requests()
			sent := string(reqs[len(reqs)-1].Body)
			for _, want := range []string{"Weather in Paris?", `"type":"tool_use"`, `"type":"tool_result"`, "sunny"} {
				if !strings.Contains(sent, want) {
					t.Errorf("the continuation lacks %s: %s", want, sent)
				}
			}
			get := newCtx("GET", "/v1/responses/"+second.ID, nil)
			p.do(get)
			if get.Response.StatusCode() != 200 || !strings.Contains(string(get.Response.Body()), `"previous_response_id":"`+first.ID+`"`) {
				t.Errorf("GET: %d %s", get.Response.StatusCode(), get.Response.Body())
			}
			items := newCtx("GET", "/openai/v1/responses/"+second.ID+"/input_items", nil)
			p.do(items)
			if items.Response.StatusCode() != 200 || !strings.Contains(string(items.Response.Body()), `"object":"list","data":[{"id":"item_`) ||
				!strings.Contains(string(items.Response.Body()), `"type":"function_call_output"`) {
				t.Errorf("input_items: %d %s", items.Response.StatusCode(), items.Response.Body())
			}
			del := newCtx("DELETE", "/v1/responses/"+first.ID, nil)
			p.do(del)
			if del.Response.StatusCode() != 200 || !strings.Contains(string(del.Response.Body()), `"deleted":true`) {
				t.Errorf("DELETE: %d %s", del.Response.StatusCode(), del.Response.Body())
			}
			get = newCtx("GET", "/v1/responses/"+first.ID, nil)
			if p.do(get); get.Response.StatusCode() != 404 {
				t.Errorf("GET after DELETE: %d", get.Response.StatusCode())
			}
		})
	}
}

// respObject is what the tests read of a Response.
type respObject struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Output []struct {
		Type   string `json:"type"`
		CallID string `json:"call_id"`
	} `json:"output"`
}

// completed posts body and returns the Response: the body, or the last event's.
func completed(t *testing.T, p *inProcess, body string, stream bool) respObject {
	t.Helper()
	ctx := postResponses(p, body)
	if ctx.Response.StatusCode() != 200 {
		t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	data := ctx.Response.Body()
	if stream {
		evs := readEvents(t, data)
		var ev struct {
			Response json.RawMessage `json:"response"`
		}
		if last := evs[len(evs)-1]; last.Type != "response.completed" || json.Unmarshal(last.Data, &ev) != nil {
			t.Fatalf("last event %s: %s", last.Type, last.Data)
		}
		data = ev.Response
	}
	var r respObject
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestResponsesStreamBroken checks that a stream cut by the provider, or ended before its
// last event, ends with response.failed carrying an error, natively (after the provider's
// events, with the next sequence number and the provider's response id) and translated.
func TestResponsesStreamBroken(t *testing.T) {
	for _, c := range []struct {
		fault  mocks.FaultMode
		native bool
	}{{mocks.FaultStreamCut, true}, {mocks.FaultStreamCut, false}, {mocks.FaultStreamEndEarly, true}, {mocks.FaultStreamEndEarly, false}} {
		native := c.native
		p := newInProcess(t, mocks.Config{Fault: c.fault, StreamChunks: 8}, "")
		p.srv.SetPassthrough(native)
		ctx := postResponses(p, `{"model":"openai/gpt-4o-mini","input":"hi","stream":true}`)
		evs := readEvents(t, ctx.Response.Body())
		last := evs[len(evs)-1]
		var ev struct {
			Response struct {
				ID     string
				Status string
				Error  struct{ Code, Message string }
			}
		}
		if err := json.Unmarshal(last.Data, &ev); err != nil || last.Type != "response.failed" || ev.Response.Status != "failed" ||
			ev.Response.Error.Message == "" || !strings.HasPrefix(ev.Response.ID, "resp_") || len(evs) < 3 {
			t.Fatalf("%s, native %v: want response.failed with an error after the first events, got %d events, last %s: %s", c.fault, native, len(evs), last.Type, last.Data)
		}
	}
}

// TestResponsesMetricsAndAuth checks the endpoint label, the overhead header and gateway keys.
func TestResponsesMetricsAndAuth(t *testing.T) {
	p := newInProcess(t, mocks.Config{}, "")
	p.srv.Configure(config.Client{APIKeys: []string{"gw-key-1"}})
	ctx := postResponses(p, `{"model":"openai/gpt-4o-mini","input":"hi"}`)
	if ctx.Response.StatusCode() != 401 {
		t.Fatalf("no key: %d", ctx.Response.StatusCode())
	}
	ctx = newCtx("POST", "/v1/responses", []byte(`{"model":"openai/gpt-4o-mini","input":"hi"}`))
	ctx.Request.Header.Set("Authorization", "Bearer gw-key-1")
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 || len(ctx.Response.Header.Peek(OverheadHeader)) == 0 {
		t.Fatalf("with key: %d, overhead %q", ctx.Response.StatusCode(), ctx.Response.Header.Peek(OverheadHeader))
	}
	m := newCtx("GET", "/metrics", nil)
	m.Request.Header.Set("Authorization", "Bearer gw-key-1")
	p.do(m)
	if !strings.Contains(string(m.Response.Body()), `bifrost_requests_total{endpoint="responses",model="gpt-4o-mini",provider="openai",status="2xx",transport="http"} 1`) {
		t.Errorf("no responses series in /metrics")
	}
}

// TestResponsesSharedStore checks that with a Redis store any replica continues a
// conversation: a response made on one gateway is read and continued on another.
func TestResponsesSharedStore(t *testing.T) {
	srv := redistest.Start(t)
	a := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true}, providerConfig("anthropic"))
	b := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true}, providerConfig("anthropic"))
	for _, p := range []*inProcess{a, b} {
		st, err := responses.NewRedis(srv.URL, "", time.Minute, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		p.srv.SetResponseStore(st)
	}
	first := completed(t, a, `{"model":"anthropic/claude-sonnet-4-5","input":"Remember: fjord."}`, false)
	get := newCtx("GET", "/v1/responses/"+first.ID, nil)
	if b.do(get); get.Response.StatusCode() != 200 {
		t.Fatalf("GET on the other replica: %d %s", get.Response.StatusCode(), get.Response.Body())
	}
	completed(t, b, `{"model":"anthropic/claude-sonnet-4-5","previous_response_id":"`+first.ID+`","input":"What was it?"}`, false)
	reqs := b.mock.Requests()
	if sent := string(reqs[len(reqs)-1].Body); !strings.Contains(sent, "Remember: fjord.") || !strings.Contains(sent, "What was it?") {
		t.Errorf("the other replica sent %s", sent)
	}
}

// TestResponsesThinkingToAnthropic checks that a reasoning item the gateway made (its
// thinking blocks in encrypted_content) reaches Anthropic as the thinking block, signature
// included, before the tool call it preceded, as Anthropic requires with thinking on.
func TestResponsesThinkingToAnthropic(t *testing.T) {
	p := newInProcess(t, mocks.Config{Format: mocks.FormatAnthropic, Record: true}, providerConfig("anthropic"))
	completed(t, p, `{"model":"anthropic/claude-sonnet-4-5","reasoning":{"effort":"low"},"store":false,"input":[`+
		`{"role":"user","content":"Weather?"},`+
		`{"type":"reasoning","summary":[{"type":"summary_text","text":"Use the tool."}],"encrypted_content":"[{\"type\":\"thinking\",\"thinking\":\"\",\"signature\":\"c2ln\"}]"},`+
		`{"type":"function_call","call_id":"toolu_1","name":"w","arguments":"{}"},`+
		`{"type":"function_call_output","call_id":"toolu_1","output":"sunny"}],`+
		`"tools":[{"type":"function","name":"w","parameters":{"type":"object"}}]}`, false)
	reqs := p.mock.Requests()
	sent := string(reqs[len(reqs)-1].Body)
	if !strings.Contains(sent, `{"role":"assistant","content":[{"type":"thinking","thinking":"Use the tool.","signature":"c2ln"},{"type":"tool_use","id":"toolu_1"`) {
		t.Errorf("Anthropic got %s", sent)
	}
}

// TestResponsesGovernance checks virtual keys on /v1/responses: a key is required, its model
// list applies, and an admitted request runs.
func TestResponsesGovernance(t *testing.T) {
	p, _ := newGovInProcess(t, `{"virtual_keys":[
		{"name":"alice","value":"`+govAlice+`","models":["openai/*"]},
		{"name":"bob","value":"`+govBob+`","models":["openai/gpt-4o"]}]}`, fixedClock())
	body := []byte(`{"model":"openai/gpt-4o-mini","input":"hi","stream":true}`)
	for _, c := range []struct {
		name, key string
		status    int
		code      string
	}{
		{"no key", "", 401, "invalid_api_key"},
		{"model not allowed", govBob, 403, "model_not_allowed"},
		{"allowed", govAlice, 200, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := govRequest(p, "POST", "/v1/responses", "Authorization", "Bearer "+c.key, body)
			if ctx.Response.StatusCode() != c.status {
				t.Fatalf("status %d, want %d: %s", ctx.Response.StatusCode(), c.status, ctx.Response.Body())
			}
			if c.code != "" {
				if _, code := errorType(t, ctx.Response.Body()); code != c.code {
					t.Errorf("code %q, want %q", code, c.code)
				}
			}
		})
	}
}
