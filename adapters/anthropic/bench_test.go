package anthropic_test

import (
	"os"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// fixture holds the reused values of the hot path, as the runtime keeps them per call.
type fixture struct {
	reqBody, respBody []byte
	events            []provider.Event
	req               schemas.ChatRequest
	resp              schemas.ChatResponse
	chunk             schemas.ChatStreamChunk
	st                provider.StreamState
	w                 jwriter.Writer
	buf               []byte
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	f := &fixture{reqBody: read("request_1kb.json"), respBody: read("message_1kb.json"), buf: make([]byte, 0, 8<<10)}
	f.events = parseSSE(tb, read("stream_50.sse"))
	l := jlexer.Lexer{Data: f.reqBody}
	f.req.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		tb.Fatal(err)
	}
	f.req.Model = "claude-3-5-sonnet-20241022"
	return f
}

// encode writes the Anthropic request for the decoded client request.
func (f *fixture) encode(tb testing.TB) {
	f.w.Buffer.Buf = f.buf[:0]
	if err := (anthropic.Codec{}).EncodeChat(&f.w, &f.req); err != nil {
		tb.Fatal(err)
	}
	f.buf = f.w.Buffer.Buf
}

// decode reads the Anthropic response and writes the client's answer.
func (f *fixture) decode(tb testing.TB) {
	f.resp.Reset()
	if err := (anthropic.Codec{}).DecodeChat(f.respBody, &f.resp); err != nil {
		tb.Fatal(err)
	}
	f.w.Buffer.Buf = f.buf[:0]
	f.resp.MarshalEasyJSON(&f.w)
	f.buf = f.w.Buffer.Buf
}

// stream converts the 50 events and writes each chunk.
func (f *fixture) stream(tb testing.TB) {
	f.st.Reset(7, "claude-3-5-sonnet-20241022", 1700000000)
	for _, ev := range f.events {
		f.chunk.Reset()
		step, err := anthropic.Codec{}.DecodeChatEvent(ev, &f.st, &f.chunk)
		if err != nil {
			tb.Fatal(err)
		}
		if step == provider.StepChunk {
			f.w.Buffer.Buf = f.buf[:0]
			f.chunk.MarshalEasyJSON(&f.w)
			f.buf = f.w.Buffer.Buf
		}
	}
}

// BenchmarkChat measures the Anthropic adapter's hot path: encode of the ~1 KB chat request
// (adapters/testdata/chat_request_1kb.json), decode of a ~1 KB response with the client's
// JSON written, and a 50-event stream (text, pings, a streamed tool call), per stream.
func BenchmarkChat(b *testing.B) {
	f := newFixture(b)
	b.Run("encode-request", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(f.reqBody)))
		for i := 0; i < b.N; i++ {
			f.encode(b)
		}
	})
	b.Run("decode-response", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(f.respBody)))
		for i := 0; i < b.N; i++ {
			f.decode(b)
		}
	})
	b.Run("stream-50-events", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			f.stream(b)
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(f.events)), "ns/event")
	})
}
