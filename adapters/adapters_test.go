package adapters_test

import (
	"os"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime/provider"
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

// codec holds the reused values of one encode+decode round through an adapter.
type codec struct {
	a       provider.Adapter
	reqBody []byte
	body    []byte
	req     schemas.ChatRequest
	resp    schemas.ChatResponse
	w       jwriter.Writer
	buf     []byte
}

func newCodec(tb testing.TB, a provider.Adapter) *codec {
	return &codec{a: a, reqBody: load(tb, "chat_request_1kb.json"), body: load(tb, "chat_response_1kb.json"), buf: make([]byte, 0, 8<<10)}
}

// round decodes the client's request, encodes the provider request, decodes the provider's
// response and encodes it for the client, as the gateway does.
func (c *codec) round(tb testing.TB) {
	c.req.Reset()
	l := jlexer.Lexer{Data: c.reqBody}
	c.req.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		tb.Fatal(err)
	}
	c.req.Model = "gpt-4o-mini"
	c.w.Buffer.Buf = c.buf[:0]
	if err := c.a.EncodeChat(&c.w, &c.req); err != nil {
		tb.Fatal(err)
	}
	c.resp.Reset()
	if err := c.a.DecodeChat(c.body, &c.resp); err != nil {
		tb.Fatal(err)
	}
	c.resp.MarshalEasyJSON(&c.w)
	c.buf = c.w.Buffer.Buf
}

func TestChatRoundAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	if raceEnabled {
		t.Skip("the race detector's sync.Pool drops objects on purpose; run without -race")
	}
	for _, a := range adapters.All() {
		if !a.Info().Supports(provider.OpChat) {
			continue
		}
		t.Run(a.Info().Name, func(t *testing.T) {
			c := newCodec(t, a)
			c.round(t)
			if n := testing.AllocsPerRun(100, func() { c.round(t) }); n != 0 {
				t.Errorf("allocs per encode+decode = %v, want 0", n)
			}
		})
	}
}

func TestEveryAdapterDescribesItself(t *testing.T) {
	seen := map[string]bool{}
	for _, a := range adapters.All() {
		info := a.Info()
		if info.Name == "" || info.Docs == "" || info.Format == "" || seen[info.Name] {
			t.Errorf("adapter %+v: missing name, docs or format, or a duplicate", info)
		}
		seen[info.Name] = true
		if info.DefaultBaseURL == "" && !info.BaseURLRequired {
			t.Errorf("%s: no default base URL and none required", info.Name)
		}
		for op := provider.Op(0); op < provider.NumOps; op++ {
			var w jwriter.Writer
			var err error
			switch op {
			case provider.OpChat:
				err = a.EncodeChat(&w, &schemas.ChatRequest{Model: "m"})
			case provider.OpText:
				err = a.EncodeText(&w, &schemas.TextRequest{Model: "m"})
			case provider.OpEmbedding:
				err = a.EncodeEmbedding(&w, &schemas.EmbeddingRequest{Model: "m"})
			default:
				continue
			}
			if supported := info.Supports(op); supported != (err == nil) {
				t.Errorf("%s %s: supported=%v but encode error %v", info.Name, op, supported, err)
			}
		}
	}
}

// TestMistralMapping checks a spec's request mapping end to end: seed becomes random_seed,
// max_completion_tokens fills max_tokens, unsupported fields are not sent, unknown fields are.
func TestMistralMapping(t *testing.T) {
	var a provider.Adapter
	for _, x := range adapters.All() {
		if x.Info().Name == "mistral" {
			a = x
		}
	}
	var req schemas.ChatRequest
	l := jlexer.Lexer{Data: []byte(`{"model":"mistral-small-latest","messages":[{"role":"user","content":"hi"}],"seed":7,"max_completion_tokens":99,"logprobs":true,"user":"u","safe_prompt":true,"random_seed":8}`)}
	req.UnmarshalEasyJSON(&l)
	if l.Error() != nil {
		t.Fatal(l.Error())
	}
	var w jwriter.Writer
	if err := a.EncodeChat(&w, &req); err != nil {
		t.Fatal(err)
	}
	got, _ := w.BuildBytes()
	want := `{"model":"mistral-small-latest","messages":[{"role":"user","content":"hi"}],"max_tokens":99,"random_seed":7,"safe_prompt":true}`
	if string(got) != want {
		t.Errorf("mistral body\n got %s\nwant %s", got, want)
	}
}

func BenchmarkOpenAIChat(b *testing.B) {
	var a provider.Adapter
	for _, x := range adapters.All() {
		if x.Info().Name == "openai" {
			a = x
		}
	}
	c := newCodec(b, a)
	b.Run("decode-request+encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(c.reqBody)))
		for i := 0; i < b.N; i++ {
			c.req.Reset()
			l := jlexer.Lexer{Data: c.reqBody}
			c.req.UnmarshalEasyJSON(&l)
			c.w.Buffer.Buf = c.buf[:0]
			if err := a.EncodeChat(&c.w, &c.req); err != nil {
				b.Fatal(err)
			}
			c.buf = c.w.Buffer.Buf
		}
	})
	b.Run("decode-response+encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(c.body)))
		for i := 0; i < b.N; i++ {
			c.resp.Reset()
			if err := a.DecodeChat(c.body, &c.resp); err != nil {
				b.Fatal(err)
			}
			c.w.Buffer.Buf = c.buf[:0]
			c.resp.MarshalEasyJSON(&c.w)
			c.buf = c.w.Buffer.Buf
		}
	})
}
