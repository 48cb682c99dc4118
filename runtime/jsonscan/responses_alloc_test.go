//go:build !race

package jsonscan

import "testing"

// TestResponsesScanAllocs: scanning and splicing a Responses request, and scanning an
// answer and stream events, allocate nothing.
func TestResponsesScanAllocs(t *testing.T) {
	req := []byte(`{"model":"openai/gpt-5","provider":"openai","fallbacks":["azure/gpt-5"],"input":[{"role":"user","content":"hi"}],` +
		`"tools":[{"type":"web_search"}],"stream":true,"store":false,"include":["reasoning.encrypted_content"]}`)
	resp, created, completed := []byte(testResponse), []byte(testCreated), []byte(testCompleted)
	dst := make([]byte, 0, 1024)
	var r Request
	var a Answer
	var ev Event
	for name, f := range map[string]func(){
		"request": func() {
			if !ScanResponsesRequest(req, &r) {
				t.Fatal("declined")
			}
			dst = AppendRequest(dst[:0], req, &r, "gpt-5", false)
		},
		"answer":    func() { ScanResponses(resp, &a) },
		"created":   func() { ScanResponsesEvent(created, &ev, &a) },
		"completed": func() { ScanResponsesEvent(completed, &ev, &a) },
	} {
		if n := testing.AllocsPerRun(200, f); n != 0 {
			t.Errorf("%s: %v allocs per run, want 0", name, n)
		}
	}
}
