package mocks

import (
	"fmt"
	"testing"
)

func TestRecord(t *testing.T) {
	s := newServer(t, Config{Record: true})
	const n = recordCapacity + 6
	for i := range n {
		ctx := newChatCtx(fmt.Sprintf(`{"model":"m%d","messages":[{"role":"user","content":"x"}]}`, i), "sk-rec")
		ctx.Request.Header.Set("X-Test", fmt.Sprint(i))
		ctx.Request.URI().SetQueryString("n=1")
		s.Handler()(ctx)
		ctx.Request.SetBodyString("overwritten") // the record must hold a copy
	}
	reqs := s.Requests()
	if len(reqs) != recordCapacity {
		t.Fatalf("%d requests recorded, want %d", len(reqs), recordCapacity)
	}
	for i, r := range reqs {
		j := i + n - recordCapacity // the oldest requests fell out
		wantBody := fmt.Sprintf(`{"model":"m%d","messages":[{"role":"user","content":"x"}]}`, j)
		if r.Method != "POST" || r.Path != "/v1/chat/completions" || r.Query != "n=1" || string(r.Body) != wantBody {
			t.Errorf("request %d: %s %s ? %s body %s", i, r.Method, r.Path, r.Query, r.Body)
		}
		if r.Header["X-Test"] != fmt.Sprint(j) || r.Header["Authorization"] != "Bearer sk-rec" || r.Header["Content-Type"] != "application/json" {
			t.Errorf("request %d: headers %v", i, r.Header)
		}
	}

	reqs[0].Header["X-Test"] = "changed"
	reqs[0].Body[0] = 'X'
	if again := s.Requests(); again[0].Header["X-Test"] == "changed" || again[0].Body[0] == 'X' {
		t.Errorf("Requests returned shared state")
	}
}

func TestRecordOff(t *testing.T) {
	s := newServer(t, Config{})
	call(t, s, "POST", "/v1/chat/completions", chatBody, "")
	if reqs := s.Requests(); reqs != nil {
		t.Errorf("Requests() = %v without Config.Record", reqs)
	}
}
