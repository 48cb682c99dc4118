package cohere

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// round holds the reused values of one non-streaming chat through the converters, as the
// gateway runs it: the client's request decoded, Cohere's body encoded, Cohere's answer
// decoded and encoded for the client.
type round struct {
	reqBody, body []byte
	req           schemas.ChatRequest
	resp          schemas.ChatResponse
	w             jwriter.Writer
	buf           []byte
}

func newRound(tb testing.TB) *round {
	// The shared 1 KB OpenAI-shaped request of adapters/testdata, and a 1 KB Cohere answer.
	return &round{reqBody: load(tb, "../../testdata/chat_request_1kb.json"), body: load(tb, "chat_response_1kb.json"), buf: make([]byte, 0, 8<<10)}
}

func (r *round) encode(tb testing.TB) {
	decodeUnified(tb, r.reqBody, &r.req)
	r.req.Model = "command-a-03-2025"
	r.w.Buffer.Buf = r.buf[:0]
	if err := (Codec{}).EncodeChat(&r.w, &r.req); err != nil {
		tb.Fatal(err)
	}
	r.buf = r.w.Buffer.Buf
}

func (r *round) decode(tb testing.TB) {
	r.resp.Reset()
	if err := (Codec{}).DecodeChat(r.body, &r.resp); err != nil {
		tb.Fatal(err)
	}
	r.w.Buffer.Buf = r.buf[:0]
	r.resp.MarshalEasyJSON(&r.w)
	r.buf = r.w.Buffer.Buf
}

func (r *round) run(tb testing.TB) {
	r.encode(tb)
	r.decode(tb)
}

// BenchmarkChat measures a ~1 KB non-streaming chat: decode-request+encode is the client's
// request decoded and written as Cohere's body, decode+encode-response is Cohere's answer
// decoded and written for the client.
func BenchmarkChat(b *testing.B) {
	r := newRound(b)
	b.Run("decode-request+encode", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(r.reqBody)))
		for i := 0; i < b.N; i++ {
			r.encode(b)
		}
	})
	b.Run("decode+encode-response", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(r.body)))
		for i := 0; i < b.N; i++ {
			r.decode(b)
		}
	})
}

// BenchmarkStream measures the conversion of whole recorded streams, each event decoded and
// its chunk encoded for the client: a 52-event text stream and an 18-event tool-call stream.
// allocs/op is per stream; divide by the event count for allocations per event.
func BenchmarkStream(b *testing.B) {
	for _, tc := range []struct{ name, file string }{{"text-52-events", "stream_text.sse"}, {"tool-18-events", "stream_tool.sse"}} {
		b.Run(tc.name, func(b *testing.B) {
			s := newStreamRun(b, tc.file)
			n := 0
			for _, ev := range s.events {
				n += len(ev.Data)
			}
			b.ReportAllocs()
			b.SetBytes(int64(n))
			for i := 0; i < b.N; i++ {
				s.run(b)
			}
		})
	}
}

// streamRun decodes one recorded stream and encodes each chunk for the client.
type streamRun struct {
	events []provider.Event
	st     provider.StreamState
	chunk  schemas.ChatStreamChunk
	round
}

func newStreamRun(tb testing.TB, file string) *streamRun {
	return &streamRun{events: sseEvents(load(tb, file)), round: round{buf: make([]byte, 0, 8<<10)}}
}

func (s *streamRun) run(tb testing.TB) {
	s.st.Reset(7, "command-a-03-2025", 1700000000)
	for _, ev := range s.events {
		s.chunk.Reset()
		step, err := Codec{}.DecodeChatEvent(ev, &s.st, &s.chunk)
		if err != nil {
			tb.Fatal(err)
		}
		if step == provider.StepChunk {
			s.w.Buffer.Buf = s.buf[:0]
			s.chunk.MarshalEasyJSON(&s.w)
			s.buf = s.w.Buffer.Buf
		}
	}
}
