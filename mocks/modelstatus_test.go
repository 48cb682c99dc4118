package mocks

import (
	"strings"
	"testing"
	"time"
)

// TestModelStatus: a model listed in Config.ModelStatus gets its status with OpenAI's error
// for it (model_not_found for 403 and 404), other models are served, and a status outside
// 400..599 is refused by New.
func TestModelStatus(t *testing.T) {
	s := newServer(t, Config{ModelStatus: map[string]int{"gpt-4-32k": 403, "gpt-gone": 404, "gpt-bad": 500}})
	cases := []struct {
		model, want string
		status      int
	}{
		{"gpt-4-32k", "does not have access to model `gpt-4-32k`", 403},
		{"gpt-gone", "The model `gpt-gone` does not exist or you do not have access to it.", 404},
		{"gpt-bad", "injected by bifrost-mock", 500},
		{"gpt-4o-mini", `"chat.completion"`, 200},
	}
	for _, tc := range cases {
		body := strings.Replace(chatBody, "gpt-4o-mini", tc.model, 1)
		r := call(t, s, "POST", "/v1/chat/completions", body, "")
		if r.status != tc.status || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("%s: %d %s; want %d with %q", tc.model, r.status, r.body, tc.status, tc.want)
		}
		if tc.status == 403 || tc.status == 404 {
			if !strings.Contains(string(r.body), `"code":"model_not_found"`) {
				t.Errorf("%s: %s; want code model_not_found", tc.model, r.body)
			}
		}
	}
	if st := s.Stats(); st.Injected[403] != 1 || st.Injected[404] != 1 || st.Injected[500] != 1 {
		t.Errorf("injected %v, want one each of 403, 404 and 500", st.Injected)
	}
	if _, err := New(Config{ModelStatus: map[string]int{"m": 200}}); err == nil {
		t.Error("New accepted ModelStatus 200")
	}
}

// TestInFlightStats: Stats counts the requests in the handler now and the most at once.
func TestInFlightStats(t *testing.T) {
	s := newServer(t, Config{Latency: 100 * time.Millisecond})
	done := make(chan struct{})
	for i := 0; i < 3; i++ {
		go func() {
			call(t, s, "POST", "/v1/chat/completions", chatBody, "")
			done <- struct{}{}
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for s.Stats().InFlight != 3 {
		if time.Now().After(deadline) {
			t.Fatalf("InFlight = %d, want 3", s.Stats().InFlight)
		}
		time.Sleep(time.Millisecond)
	}
	for i := 0; i < 3; i++ {
		<-done
	}
	if st := s.Stats(); st.InFlight != 0 || st.MaxInFlight != 3 {
		t.Errorf("InFlight %d, MaxInFlight %d; want 0 and 3", st.InFlight, st.MaxInFlight)
	}
}
