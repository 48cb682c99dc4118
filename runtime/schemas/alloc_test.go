//go:build !race

package schemas

import (
	"os"
	"testing"

	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
)

// TestSteadyStateAllocs checks that decoding a chat response and encoding it again into a
// reused buffer allocates nothing once the pooled values have grown.
func TestSteadyStateAllocs(t *testing.T) {
	body, err := os.ReadFile("testdata/chat_response.json")
	if err != nil {
		t.Fatal(err)
	}
	req := []byte(`{"model":"openai/gpt-4o-mini","messages":[{"role":"system","content":"Be brief.\n"},{"role":"user","content":"Hello \"there\""}],"temperature":0.2,"max_tokens":64}`)
	var resp ChatResponse
	var creq ChatRequest
	var w jwriter.Writer
	buf := make([]byte, 0, 16<<10)
	run := func() {
		resp.Reset()
		l := jlexer.Lexer{Data: body}
		resp.UnmarshalEasyJSON(&l)
		if l.Error() != nil {
			t.Fatal(l.Error())
		}
		creq.Reset()
		l2 := jlexer.Lexer{Data: req}
		creq.UnmarshalEasyJSON(&l2)
		if l2.Error() != nil {
			t.Fatal(l2.Error())
		}
		w.Buffer.Buf = buf[:0]
		resp.MarshalEasyJSON(&w)
		creq.MarshalEasyJSON(&w)
		buf = w.Buffer.Buf
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("allocs per decode+encode = %v, want 0", n)
	}
}
