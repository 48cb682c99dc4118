package server

import (
	"bytes"
	"encoding/json"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// codexNative is codexRequest for an OpenAI target, with the gateway's own members
// (provider, fallbacks) that the native path removes.
var codexNative = strings.Replace(codexRequest, `"model":"anthropic/claude-sonnet-4-5"`,
	`"model":"gpt-5-codex","provider":"openai","fallbacks":["openai/gpt-5"]`, 1)

// TestResponsesNativeCodex pins a Codex-shaped request to an OpenAI target: natively, the
// body the provider received (the client's bytes, model spliced, provider and fallbacks
// gone) and the stream as it came back, reasoning item with its encrypted content
// included; translated (passthrough off), the chat request the provider received.
func TestResponsesNativeCodex(t *testing.T) {
	for _, native := range []bool{true, false} {
		name := map[bool]string{true: "native", false: "translated"}[native]
		t.Run(name, func(t *testing.T) {
			p := newInProcess(t, mocks.Config{StreamChunks: 3, Record: true}, "")
			p.srv.SetPassthrough(native)
			ctx := postResponses(p, codexNative)
			if ctx.Response.StatusCode() != 200 {
				t.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
			}
			reqs := p.mock.Requests()
			sent := reqs[len(reqs)-1]
			respGolden(t, "codex_openai_"+name+"_request.golden", []byte(sent.Method+" "+sent.Path+"\n"+string(sent.Body)+"\n"))
			evs := readEvents(t, ctx.Response.Body())
			if native {
				var all bytes.Buffer
				for _, ev := range evs {
					all.WriteString("event: " + ev.Type + "\ndata: ")
					all.Write(normalize(ev.Data))
					all.WriteString("\n\n")
				}
				respGolden(t, "codex_openai_native.golden", all.Bytes())
				if want := codexRequest[strings.Index(codexRequest, `,"instructions"`):]; !strings.HasSuffix(string(sent.Body), want) {
					t.Errorf("the provider got %s, want the client's bytes after the model", sent.Body)
				}
			}
		})
	}
}

// TestResponsesNativeConversation runs a stored conversation natively: a function call,
// its output with previous_response_id (the provider's id), then GET, input_items (paged,
// the client's query forwarded) and DELETE, which the gateway forwards to the provider that
// stored the response; store: false keeps nothing; an unknown previous_response_id is the
// provider's 404.
func TestResponsesNativeConversation(t *testing.T) {
	p := newInProcess(t, mocks.Config{StreamChunks: 3, Record: true}, "")
	tools := `,"tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}}]`
	first := completed(t, p, `{"model":"openai/gpt-4o-mini","input":[{"role":"user","content":"Hi."},`+
		`{"role":"assistant","content":"Hello."},{"role":"user","content":"Weather in Paris?"}]`+tools+`}`, false)
	if len(first.Output) == 0 || first.Output[0].Type != "function_call" {
		t.Fatalf("first turn %+v", first)
	}
	second := completed(t, p, `{"model":"openai/gpt-4o-mini","previous_response_id":"`+first.ID+`","input":[`+
		`{"type":"function_call_output","call_id":"`+first.Output[0].CallID+`","output":"sunny"}],"stream":true`+tools+`}`, true)
	if second.Output[0].Type != "message" {
		t.Fatalf("second turn %+v", second)
	}
	get := newCtx("GET", "/openai/v1/responses/"+second.ID, nil)
	if p.do(get); get.Response.StatusCode() != 200 || !bytes.Contains(get.Response.Body(), []byte(second.ID)) {
		t.Fatalf("GET: %d %s", get.Response.StatusCode(), get.Response.Body())
	}
	items := newCtx("GET", "/v1/responses/"+first.ID+"/input_items?limit=2&order=asc", nil)
	p.do(items)
	var page struct {
		Data []struct {
			Type, Role string
		}
		HasMore bool `json:"has_more"`
	}
	if err := json.Unmarshal(items.Response.Body(), &page); err != nil || len(page.Data) != 2 || !page.HasMore || page.Data[1].Role != "assistant" {
		t.Fatalf("input_items: %v %s", err, items.Response.Body())
	}
	if reqs := p.mock.Requests(); reqs[len(reqs)-1].Query != "limit=2&order=asc" {
		t.Errorf("the provider got query %q", reqs[len(reqs)-1].Query)
	}
	del := newCtx("DELETE", "/v1/responses/"+second.ID, nil)
	if p.do(del); del.Response.StatusCode() != 200 || !bytes.Contains(del.Response.Body(), []byte(`"deleted":true`)) {
		t.Fatalf("DELETE: %d %s", del.Response.StatusCode(), del.Response.Body())
	}
	if p.do(get); get.Response.StatusCode() != 404 {
		t.Errorf("GET after DELETE: %d", get.Response.StatusCode())
	}
	unstored := completed(t, p, `{"model":"openai/gpt-4o-mini","input":"hi","store":false}`, false)
	get = newCtx("GET", "/v1/responses/"+unstored.ID, nil)
	if p.do(get); get.Response.StatusCode() != 404 {
		t.Errorf("store:false response: GET %d", get.Response.StatusCode())
	}
	ctx := postResponses(p, `{"model":"openai/gpt-4o-mini","input":"hi","previous_response_id":"resp_nope"}`)
	if ctx.Response.StatusCode() != 404 || !bytes.Contains(ctx.Response.Body(), []byte(`"param":"previous_response_id"`)) {
		t.Errorf("unknown previous response: %d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
}

// TestResponsesNativeFidelity checks what only the native path keeps: built-in tools reach
// the provider; a target list that mixes native and translated providers is translated
// (through chat completions) for all; Azure gets its v1 path with the key's deployment in
// the body; usage reaches the token metrics, plain and streamed.
func TestResponsesNativeFidelity(t *testing.T) {
	p := newInProcess(t, mocks.Config{StreamChunks: 3, Record: true}, `{"providers":{
		"openai":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}},
		"anthropic":{"keys":[{"name":"k","value":"`+inProcessKey+`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`)
	last := func() mocks.RecordedRequest { r := p.mock.Requests(); return r[len(r)-1] }
	ctx := postResponses(p, `{"model":"openai/gpt-4o-mini","input":"news?","tools":[{"type":"web_search"}]}`)
	if ctx.Response.StatusCode() != 200 || !bytes.Contains(last().Body, []byte(`"tools":[{"type":"web_search"}]`)) || last().Path != "/v1/responses" {
		t.Errorf("built-in tool: %d %s; the provider got %s", ctx.Response.StatusCode(), ctx.Response.Body(), last().Body)
	}
	ctx = postResponses(p, `{"model":"openai/gpt-4o-mini","input":"hi","fallbacks":["anthropic/claude-sonnet-4-5"]}`)
	if ctx.Response.StatusCode() != 200 || last().Path != "/v1/chat/completions" {
		t.Errorf("mixed targets: %d, the provider got %s %s", ctx.Response.StatusCode(), last().Path, last().Body)
	}
	ctx = postResponses(p, `{"model":"openai/gpt-4o-mini","input":"hi","stream":true}`)
	readEvents(t, ctx.Response.Body())
	m := newCtx("GET", "/metrics", nil)
	p.do(m)
	for _, want := range []string{
		`bifrost_requests_total{endpoint="responses",model="gpt-4o-mini",provider="openai",status="2xx",transport="http"} 3`,
		`bifrost_tokens_total{direction="output",model="gpt-4o-mini",provider="openai"}`,
	} {
		if !strings.Contains(string(m.Response.Body()), want) {
			t.Errorf("no %s in /metrics", want)
		}
	}
	if p.srv.Passed() != 2 {
		t.Errorf("%d answers passed natively, want 2 (plain and streamed)", p.srv.Passed())
	}

	az := newInProcess(t, mocks.Config{Format: mocks.FormatAzure, Record: true}, `{"providers":{"azure":{"keys":[{"name":"k","value":"`+
		inProcessKey+`","models":["*"],"weight":1,"azure_key_config":{"endpoint":"http://mock.inmemory","deployments":{"gpt-4o":"prod-4o"}}}]}}}`)
	ctx = postResponses(az, `{"model":"azure/gpt-4o","input":"hi"}`)
	reqs := az.mock.Requests()
	if ctx.Response.StatusCode() != 200 || reqs[0].Path != "/openai/v1/responses" || !bytes.HasPrefix(reqs[0].Body, []byte(`{"model":"prod-4o",`)) {
		t.Errorf("azure: %d %s; the provider got %s %s", ctx.Response.StatusCode(), ctx.Response.Body(), reqs[0].Path, reqs[0].Body)
	}
}

// mockResponse returns the mock's Response object for a plain request, or its stream.
func mockResponse(tb testing.TB, stream ...bool) []byte {
	tb.Helper()
	p := newInProcess(tb, mocks.Config{}, "")
	extra := `"store":false,`
	if len(stream) > 0 && stream[0] {
		extra += `"stream":true,`
	}
	ctx := newCtx("POST", "/v1/responses", responsesBody("openai/gpt-4o-mini", extra))
	p.do(ctx)
	if ctx.Response.StatusCode() != 200 {
		tb.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
	}
	return append([]byte(nil), ctx.Response.Body()...)
}

// newConstInProcess is newInProcess (OpenAI provider, default config) with an upstream that
// answers every request with body (a stream when it starts with "event:"), allocating
// nothing, so that allocation counts and timings are the gateway's alone.
func newConstInProcess(tb testing.TB, body []byte) *inProcess {
	tb.Helper()
	ln := fasthttputil.NewInmemoryListener()
	contentType := "application/json"
	if bytes.HasPrefix(body, []byte("event:")) {
		contentType = "text/event-stream"
	}
	up := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType(contentType)
		ctx.SetBody(body)
	}}
	go up.Serve(ln) //nolint:errcheck // ends when the listener closes
	cfg, err := config.Parse("const.json", []byte(`{"providers":{"openai":{"keys":[{"name":"k","value":"`+inProcessKey+
		`","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}}}}`), func(string) string { return "" })
	if err != nil {
		tb.Fatal(err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		tb.Fatal(err)
	}
	srv := New(engine, nil)
	tb.Cleanup(func() {
		engine.Close()
		ln.Close() //nolint:errcheck
	})
	return &inProcess{handler: srv.Handler(), srv: srv, engine: engine, ln: ln}
}

// TestResponsesNativeCost checks that governance bills a native answer, plain and
// streamed, from the usage jsonscan reads (the answer's usage, the terminal event's): the
// price table times the usage the client sees.
func TestResponsesNativeCost(t *testing.T) {
	cfgJSON := `{"providers":{"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}},
		"governance":{"virtual_keys":[{"name":"a","value":"` + govAlice + `"}],"prices":{"openai/*":{"input":1,"output":2}}}}`
	p := newInProcess(t, mocks.Config{StreamChunks: 3}, cfgJSON)
	cfg, err := config.Parse("gov.json", []byte(cfgJSON), nil)
	if err != nil {
		t.Fatal(err)
	}
	g := governance.New(memstore.New(time.Now))
	if err := g.Configure(cfg); err != nil {
		t.Fatal(err)
	}
	p.srv.SetGovernor(g)
	var log bytes.Buffer
	p.srv.SetAccessLog(NewAccessLog(&log, false))
	for _, stream := range []bool{false, true} {
		log.Reset()
		body := `{"model":"openai/test-model","input":"hello there","max_output_tokens":500,"stream":` + strconv.FormatBool(stream) + `}`
		ctx := govRequest(p, "POST", "/v1/responses", "x-api-key", govAlice, []byte(body))
		if ctx.Response.StatusCode() != 200 {
			t.Fatalf("stream %v: status %d: %s", stream, ctx.Response.StatusCode(), ctx.Response.Body())
		}
		var out bytes.Buffer
		if err := ctx.Response.BodyWriteTo(&out); err != nil {
			t.Fatal(err)
		}
		var u struct {
			Usage struct {
				In  int64 `json:"input_tokens"`
				Out int64 `json:"output_tokens"`
			} `json:"usage"`
		}
		data := out.Bytes()
		if stream {
			evs := readEvents(t, data)
			var ev struct{ Response json.RawMessage }
			json.Unmarshal(evs[len(evs)-1].Data, &ev) //nolint:errcheck // checked below
			data = ev.Response
		}
		if err := json.Unmarshal(data, &u); err != nil || u.Usage.In == 0 || u.Usage.Out == 0 {
			t.Fatalf("stream %v: usage %+v (%v)", stream, u, err)
		}
		want := string(governance.AppendUSD(nil, u.Usage.In*1000+u.Usage.Out*2000))
		if got := string(ctx.Response.Header.Peek(CostHeader)); !stream && got != want {
			t.Errorf("header: %s, want %s", got, want)
		}
		if m := costInLog.FindStringSubmatch(log.String()); m == nil || m[1] != want {
			t.Errorf("stream %v: access line cost %v, want %s: %s", stream, m, want, log.String())
		}
	}
	if p.srv.Passed() != 2 {
		t.Errorf("%d answers passed natively, want 2", p.srv.Passed())
	}
}

// TestResponsesNativeContinuesGatewayConversation: a previous_response_id that names a
// response the gateway stored (translated) continues translated, even to a native target,
// since the provider does not hold it.
func TestResponsesNativeContinuesGatewayConversation(t *testing.T) {
	p := newInProcess(t, mocks.Config{Record: true}, "")
	p.srv.SetPassthrough(false)
	first := completed(t, p, `{"model":"openai/gpt-4o-mini","input":"Remember: fjord."}`, false)
	p.srv.SetPassthrough(true)
	second := completed(t, p, `{"model":"openai/gpt-4o-mini","previous_response_id":"`+first.ID+`","input":"What was it?"}`, false)
	reqs := p.mock.Requests()
	last := reqs[len(reqs)-1]
	if last.Path != "/v1/chat/completions" || !bytes.Contains(last.Body, []byte("Remember: fjord.")) || second.Status != "completed" {
		t.Errorf("the provider got %s %s", last.Path, last.Body)
	}
	if p.srv.Passed() != 0 {
		t.Errorf("%d answers passed natively, want 0", p.srv.Passed())
	}
}
