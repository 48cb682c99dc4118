package gemini

import (
	"os"
	"strconv"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// chatRound holds the reused values of one encode+decode of a ~1 KB chat, as the runtime
// reuses them: the request is decoded from the client's body, encoded for Gemini, Gemini's
// answer is decoded and encoded for the client.
type chatRound struct {
	reqBody, body []byte
	req           schemas.ChatRequest
	resp          schemas.ChatResponse
	w             jwriter.Writer
	buf           []byte
}

func newChatRound(tb testing.TB) *chatRound {
	req, err := os.ReadFile("../testdata/chat_request_1kb.json")
	if err != nil {
		tb.Fatal(err)
	}
	body, err := os.ReadFile("testdata/response_1kb.json")
	if err != nil {
		tb.Fatal(err)
	}
	return &chatRound{reqBody: req, body: body, buf: make([]byte, 0, 8<<10)}
}

func (c *chatRound) run(tb testing.TB) {
	c.req.Reset()
	l := jlexer.Lexer{Data: c.reqBody}
	c.req.UnmarshalEasyJSON(&l)
	if err := l.Error(); err != nil {
		tb.Fatal(err)
	}
	c.req.Model = "gemini-2.0-flash"
	c.w.Buffer.Buf = c.buf[:0]
	if err := (Codec{}).EncodeChat(&c.w, &c.req); err != nil {
		tb.Fatal(err)
	}
	c.resp.Reset()
	if err := (Codec{}).DecodeChat(c.body, &c.resp); err != nil {
		tb.Fatal(err)
	}
	c.resp.MarshalEasyJSON(&c.w)
	c.buf = c.w.Buffer.Buf
}

// BenchmarkChat measures the encode of a ~1 KB request and the decode of a ~1 KB response.
func BenchmarkChat(b *testing.B) {
	c := newChatRound(b)
	b.ReportAllocs()
	for b.Loop() {
		c.run(b)
	}
}

// streamEvents is a realistic 50-event Gemini stream: 49 text events (each a whole
// GenerateContentResponse with usageMetadata, as Gemini sends them) and a last one with the
// finish reason.
func streamEvents() [][]byte {
	var evs [][]byte
	for i := 0; i < 50; i++ {
		finish := ""
		if i == 49 {
			finish = `,"finishReason":"STOP"`
		}
		out := strconv.Itoa(i * 3)
		evs = append(evs, []byte(`{"candidates": [{"content": {"parts": [{"text": "word `+strconv.Itoa(i)+` of the answer, "}],"role": "model"}`+finish+`,"index": 0}],`+
			`"usageMetadata": {"promptTokenCount": 42,"candidatesTokenCount": `+out+`,"totalTokenCount": `+strconv.Itoa(42+i*3)+`,"promptTokensDetails": [{"modality": "TEXT","tokenCount": 42}]},`+
			`"modelVersion": "gemini-2.0-flash","responseId": "mD0qaKzKIc2mz7IPqbW_mAM"}`))
	}
	return evs
}

// streamRound converts a whole stream, encoding each chunk as the server does.
type streamRound struct {
	evs   [][]byte
	st    provider.StreamState
	chunk schemas.ChatStreamChunk
	w     jwriter.Writer
	buf   []byte
}

func (s *streamRound) run(tb testing.TB) {
	s.st.Reset(7, "gemini-2.0-flash", 1)
	for _, ev := range s.evs {
		s.chunk.Reset()
		step, err := Codec{}.DecodeChatEvent(provider.Event{Data: ev}, &s.st, &s.chunk)
		if err != nil || step != provider.StepChunk {
			tb.Fatalf("step %v, %v", step, err)
		}
		s.w.Buffer.Buf = s.buf[:0]
		s.chunk.MarshalEasyJSON(&s.w)
		s.buf = s.w.Buffer.Buf
	}
}

// BenchmarkStream converts a 50-event stream; allocs/op are per stream, and allocs/event
// per event.
func BenchmarkStream(b *testing.B) {
	s := &streamRound{evs: streamEvents(), buf: make([]byte, 0, 4<<10)}
	b.ReportAllocs()
	var allocs float64
	for b.Loop() {
		s.run(b)
	}
	allocs = testing.AllocsPerRun(10, func() { s.run(b) })
	b.ReportMetric(allocs/float64(len(s.evs)), "allocs/event")
}
