package runtime_test

import (
	"net"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp/fasthttputil"
)

const plugKey = "sk-plugin-test-0123456789abcdef"

// plugEngine is an engine with plugins in front of one mock OpenAI provider.
func plugEngine(t *testing.T, mc mocks.Config, plugins ...runtime.Plugin) (*runtime.Engine, *mocks.Server) {
	t.Helper()
	mc.RequireKey, mc.Record = plugKey, true
	m, err := mocks.New(mc)
	if err != nil {
		t.Fatal(err)
	}
	ln := fasthttputil.NewInmemoryListener()
	go m.Serve(ln) //nolint:errcheck // ends when the listener closes
	cfg, err := config.Parse("plugin.json", []byte(`{"providers":{"openai":{"keys":[{"name":"k","value":"`+plugKey+`","models":["*"],"weight":1}],
		"network_config":{"base_url":"http://mock.inmemory"}}}}`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	e, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Plugins: plugins,
		Dial: func(string) (net.Conn, error) { return ln.Dial() }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := e.Shutdown(); err != nil {
			t.Error(err)
		}
		m.Close() //nolint:errcheck
		ln.Close()
	})
	return e, m
}

// recorder is a plugin that logs its hooks into a shared trace and does what its fields say.
type recorder struct {
	name  string
	trace *[]string
	// pre: "" continue, "respond" short-circuit with a response, "fail" with a 418 error.
	pre string
	// post: "" leave as is, "recover" turn an error into a response, "fail" turn a
	// response into a 502, "rewrite" change the response's content.
	post      string
	chunkText string // appended to each chunk's content by the chunk hook
	cleaned   bool
}

func (r *recorder) Name() string { return r.name }

func (r *recorder) PreHook(c *runtime.Call) (runtime.PreResult, *runtime.Error) {
	*r.trace = append(*r.trace, "pre:"+r.name)
	switch r.pre {
	case "respond":
		if c.Streaming() {
			c.Chunk.ID = "from-" + r.name
			c.Chunk.Choices = append(c.Chunk.Choices, schemas.ChatStreamChoice{})
			c.Chunk.Choices[0].Delta.Content.Text = schemas.TextOf("cached " + r.name)
		} else {
			setAnswer(c, "answer from "+r.name)
		}
		return runtime.Respond, nil
	case "fail":
		return runtime.Continue, c.SetError(418, schemas.ErrInvalidRequest, "teapot", "refused by "+r.name)
	}
	return runtime.Continue, nil
}

func (r *recorder) PostHook(c *runtime.Call, err *runtime.Error) *runtime.Error {
	status := "ok"
	if err != nil {
		status = string(err.Body.Code)
	}
	*r.trace = append(*r.trace, "post:"+r.name+":"+status)
	switch r.post {
	case "recover":
		if err != nil {
			setAnswer(c, "recovered by "+r.name)
			return nil
		}
	case "fail":
		if err == nil {
			return c.SetError(502, schemas.ErrUpstream, "rejected", "answer rejected by "+r.name)
		}
	case "rewrite":
		if err == nil && len(c.ChatResp.Choices) > 0 {
			c.ChatResp.Choices[0].Message.Content.Text = schemas.TextOf("rewritten by " + r.name)
		}
	}
	return err
}

func (r *recorder) ChunkHook(c *runtime.Call) *runtime.Error {
	*r.trace = append(*r.trace, "chunk:"+r.name)
	if r.chunkText != "" && len(c.Chunk.Choices) > 0 {
		d := &c.Chunk.Choices[0].Delta.Content
		d.Text = schemas.TextOf(d.Text.String() + r.chunkText)
	}
	return nil
}

func (r *recorder) Cleanup() error {
	r.cleaned = true
	return nil
}

func setAnswer(c *runtime.Call, text string) {
	c.ChatResp.ID, c.ChatResp.Object, c.ChatResp.Model = "chatcmpl-plugin", "chat.completion", "plugin"
	c.ChatResp.Choices = append(c.ChatResp.Choices[:0], schemas.ChatChoice{})
	c.ChatResp.Choices[0].Message.Role = "assistant"
	c.ChatResp.Choices[0].Message.Content.Text = schemas.TextOf(text)
}

func answer(c *runtime.Call) string {
	if len(c.ChatResp.Choices) == 0 {
		return ""
	}
	return c.ChatResp.Choices[0].Message.Content.Text.String()
}

func TestPluginHooks(t *testing.T) {
	cases := []struct {
		name          string
		pre, post     [3]string // per plugin a, b, c
		wantTrace     string
		wantStatus    int    // 0: success
		wantAnswer    string // "" : the provider's
		wantUpstreams int
	}{
		{name: "all continue: pre in order, post in reverse",
			wantTrace: "pre:a pre:b pre:c post:c:ok post:b:ok post:a:ok", wantUpstreams: 1},
		{name: "b answers: c never runs, no provider call",
			pre:       [3]string{"", "respond", ""},
			wantTrace: "pre:a pre:b post:b:ok post:a:ok", wantAnswer: "answer from b"},
		{name: "a fails: only a's post hook runs",
			pre:       [3]string{"fail", "", ""},
			wantTrace: "pre:a post:a:teapot", wantStatus: 418},
		{name: "c fails, b recovers, a sees the response",
			pre: [3]string{"", "", "fail"}, post: [3]string{"", "recover", ""},
			wantTrace: "pre:a pre:b pre:c post:c:teapot post:b:teapot post:a:ok", wantAnswer: "recovered by b"},
		{name: "c rejects the provider's answer",
			post:      [3]string{"", "", "fail"},
			wantTrace: "pre:a pre:b pre:c post:c:ok post:b:rejected post:a:rejected", wantStatus: 502, wantUpstreams: 1},
		{name: "a rewrites the answer last",
			post:      [3]string{"rewrite", "", ""},
			wantTrace: "pre:a pre:b pre:c post:c:ok post:b:ok post:a:ok", wantAnswer: "rewritten by a", wantUpstreams: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var trace []string
			var ps []runtime.Plugin
			for i, n := range []string{"a", "b", "c"} {
				ps = append(ps, &recorder{name: n, trace: &trace, pre: tc.pre[i], post: tc.post[i]})
			}
			e, m := plugEngine(t, mocks.Config{}, ps...)
			c := e.AcquireCall()
			defer e.ReleaseCall(c)
			if err := decodeChat(c, hello); err != nil {
				t.Fatal(err)
			}
			err := e.ChatCompletion(c)
			if got := strings.Join(trace, " "); got != tc.wantTrace {
				t.Errorf("hooks ran as\n  %s\nwant\n  %s", got, tc.wantTrace)
			}
			switch {
			case tc.wantStatus == 0 && err != nil:
				t.Fatalf("error %v", err)
			case tc.wantStatus != 0 && (err == nil || err.Status != tc.wantStatus):
				t.Fatalf("error %v, want status %d", err, tc.wantStatus)
			}
			if tc.wantStatus == 0 {
				got := answer(c)
				if tc.wantAnswer != "" && got != tc.wantAnswer || tc.wantAnswer == "" && got == "" {
					t.Errorf("answer %q, want %q", got, tc.wantAnswer)
				}
			}
			if n := len(m.Requests()); n != tc.wantUpstreams {
				t.Errorf("%d requests reached the provider, want %d", n, tc.wantUpstreams)
			}
		})
	}
}

func TestPluginChangesRequest(t *testing.T) {
	e, m := plugEngine(t, mocks.Config{}, modelRewriter{})
	c := e.AcquireCall()
	defer e.ReleaseCall(c)
	if err := decodeChat(c, hello); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletion(c); err != nil {
		t.Fatal(err)
	}
	reqs := m.Requests()
	if len(reqs) != 1 || !strings.Contains(string(reqs[0].Body), `"model":"gpt-4.1-nano"`) {
		t.Fatalf("the provider did not get the rewritten model: %q", reqs)
	}
	if c.Model != "gpt-4.1-nano" {
		t.Errorf("call model %q", c.Model)
	}
}

// modelRewriter sends every request to openai/gpt-4.1-nano.
type modelRewriter struct{}

func (modelRewriter) Name() string { return "rewriter" }
func (modelRewriter) PreHook(c *runtime.Call) (runtime.PreResult, *runtime.Error) {
	c.Chat.Model = "openai/gpt-4.1-nano"
	return runtime.Continue, nil
}
func (modelRewriter) PostHook(_ *runtime.Call, err *runtime.Error) *runtime.Error { return err }
func (modelRewriter) Cleanup() error                                              { return nil }

const streamHello = `{"model":"openai/gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`

func TestPluginStream(t *testing.T) {
	var trace []string
	a := &recorder{name: "a", trace: &trace, chunkText: "A"}
	b := &recorder{name: "b", trace: &trace, chunkText: "B"}
	e, _ := plugEngine(t, mocks.Config{StreamChunks: 3}, a, b)
	c := e.AcquireCall()
	if err := decodeChat(c, streamHello); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletionStream(c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(trace, " "); got != "pre:a pre:b" {
		t.Errorf("after opening: %s", got)
	}
	chunks := 0
	for {
		done, err := c.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		chunks++
		if len(c.Chunk.Choices) > 0 {
			if got := c.Chunk.Choices[0].Delta.Content.Text.String(); !strings.HasSuffix(got, "BA") {
				t.Errorf("chunk content %q: want b's then a's chunk hook applied", got)
			}
		}
	}
	if chunks < 4 {
		t.Errorf("%d chunks", chunks)
	}
	got := strings.Join(trace, " ")
	if !strings.HasPrefix(got, "pre:a pre:b chunk:b chunk:a chunk:b chunk:a") || !strings.HasSuffix(got, "chunk:a post:b:ok post:a:ok") {
		t.Errorf("hooks ran as %s", got)
	}
	if n := strings.Count(got, "post:"); n != 2 {
		t.Errorf("%d post hooks ran, want 2", n)
	}
	e.ReleaseCall(c)
	if n := strings.Count(strings.Join(trace, " "), "post:"); n != 2 {
		t.Errorf("release ran post hooks again")
	}
}

func TestPluginStreamShortCircuit(t *testing.T) {
	var trace []string
	a := &recorder{name: "a", trace: &trace}
	b := &recorder{name: "b", trace: &trace, pre: "respond"}
	e, m := plugEngine(t, mocks.Config{}, a, b)
	c := e.AcquireCall()
	defer e.ReleaseCall(c)
	if err := decodeChat(c, streamHello); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletionStream(c); err != nil {
		t.Fatal(err)
	}
	var texts []string
	for {
		done, err := c.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
		texts = append(texts, c.Chunk.Choices[0].Delta.Content.Text.String())
	}
	if len(texts) != 1 || texts[0] != "cached b" {
		t.Errorf("chunks %q, want the one chunk b answered with", texts)
	}
	if c.ShortCircuitedBy() != "b" {
		t.Errorf("short-circuited by %q", c.ShortCircuitedBy())
	}
	if got := strings.Join(trace, " "); got != "pre:a pre:b post:b:ok post:a:ok" {
		t.Errorf("hooks ran as %s", got)
	}
	if n := len(m.Requests()); n != 0 {
		t.Errorf("%d requests reached the provider", n)
	}
}

func TestPluginStreamLeftEarly(t *testing.T) {
	var trace []string
	a := &recorder{name: "a", trace: &trace}
	e, _ := plugEngine(t, mocks.Config{StreamChunks: 10}, a)
	c := e.AcquireCall()
	if err := decodeChat(c, streamHello); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletionStream(c); err != nil {
		t.Fatal(err)
	}
	if done, err := c.Recv(); done || err != nil {
		t.Fatalf("first chunk: done %v, err %v", done, err)
	}
	e.ReleaseCall(c) // the client went away
	if got := strings.Join(trace, " "); got != "pre:a chunk:a post:a:client_closed_request" {
		t.Errorf("hooks ran as %s", got)
	}
}

func TestPluginCleanupAndValues(t *testing.T) {
	var trace []string
	a := &recorder{name: "a", trace: &trace}
	e, _ := plugEngine(t, mocks.Config{}, a)
	if ps := e.Plugins(); len(ps) != 1 || ps[0].Name() != "a" {
		t.Errorf("Plugins() = %v", ps)
	}
	c := e.AcquireCall()
	type k1 struct{}
	type k2 struct{}
	if !c.SetValue(k1{}, "one") || !c.SetValue(k2{}, 2) || !c.SetValue(k1{}, "uno") {
		t.Fatal("SetValue refused")
	}
	if c.Value(k1{}) != "uno" || c.Value(k2{}) != 2 || c.Value("other") != nil {
		t.Errorf("values %v %v %v", c.Value(k1{}), c.Value(k2{}), c.Value("other"))
	}
	for i := 0; i < 10; i++ {
		c.SetValue(i, i)
	}
	if c.SetValue("full", 1) {
		t.Error("SetValue took more values than it holds")
	}
	e.ReleaseCall(c)
	c = e.AcquireCall()
	if c.Value(k1{}) != nil {
		t.Error("a value survived ReleaseCall")
	}
	e.ReleaseCall(c)
	if err := e.Shutdown(); err != nil {
		t.Fatal(err)
	}
	if !a.cleaned {
		t.Error("Shutdown did not call Cleanup")
	}
}

// TestSetPlugins checks that SetPlugins swaps the plugins for new requests, that a stream
// opened before the swap ends with the plugins it started with, and that the previous
// list is returned for the caller to clean up.
func TestSetPlugins(t *testing.T) {
	var trace []string
	a := &recorder{name: "a", trace: &trace, chunkText: "A"}
	b := &recorder{name: "b", trace: &trace, post: "rewrite"}
	e, _ := plugEngine(t, mocks.Config{StreamChunks: 3}, a)

	open := e.AcquireCall()
	defer e.ReleaseCall(open)
	if err := decodeChat(open, streamHello); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletionStream(open); err != nil {
		t.Fatal(err)
	}

	if old := e.SetPlugins([]runtime.Plugin{b}); len(old) != 1 || old[0] != a {
		t.Fatalf("SetPlugins returned %v, want the previous list [a]", old)
	}
	if got := e.Plugins(); len(got) != 1 || got[0] != b {
		t.Fatalf("Plugins() = %v, want [b]", got)
	}
	for {
		done, err := open.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if done {
			break
		}
	}
	if got := strings.Join(trace, " "); !strings.HasPrefix(got, "pre:a chunk:a") || !strings.HasSuffix(got, "post:a:ok") || strings.Contains(got, ":b") {
		t.Errorf("the stream opened before the swap ran %s, want a's hooks only", got)
	}

	trace = trace[:0]
	c := e.AcquireCall()
	defer e.ReleaseCall(c)
	if err := decodeChat(c, chatBody("openai/gpt-4o-mini", false)); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletion(c); err != nil || answer(c) != "rewritten by b" {
		t.Fatalf("%v, answer %q: want b's post hook", err, answer(c))
	}
	if got := strings.Join(trace, " "); got != "pre:b post:b:ok" {
		t.Errorf("a request after the swap ran %s", got)
	}

	if old := e.SetPlugins(nil); len(old) != 1 || old[0] != b || e.Plugins() != nil {
		t.Fatalf("SetPlugins(nil) returned %v, then Plugins() = %v", old, e.Plugins())
	}
	trace = trace[:0]
	c2 := e.AcquireCall()
	defer e.ReleaseCall(c2)
	if err := decodeChat(c2, chatBody("openai/gpt-4o-mini", false)); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletion(c2); err != nil || len(trace) != 0 {
		t.Errorf("%v; hooks %v ran without plugins", err, trace)
	}
}
