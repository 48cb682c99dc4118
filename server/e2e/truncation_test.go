package e2e

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestStreamEndedEarlyThroughGateway checks, for each wire format with an end event, that a
// provider stream whose HTTP body ends cleanly before that event (and before any finish
// reason) reaches the client as its chunks followed by a 502 stream_truncated error event,
// never as "data: [DONE]": a client must not take a cut answer for a whole one.
func TestStreamEndedEarlyThroughGateway(t *testing.T) {
	cases := []struct {
		format, provider, model, keyConfig string
	}{
		{mocks.FormatOpenAI, "openai", "gpt-4o-mini", ""},
		{mocks.FormatAnthropic, "anthropic", "claude-3-5-sonnet-20241022", ""},
		{mocks.FormatBedrock, "bedrock", "anthropic.claude-3-5-sonnet-20240620-v1:0", `,"bedrock_key_config":{"region":"us-east-1"}`},
	}
	for _, tc := range cases {
		t.Run(tc.provider, func(t *testing.T) {
			_, mockURL := startMock(t, mocks.Config{Format: tc.format, Fault: mocks.FaultStreamEndEarly, StreamChunks: 10})
			gw := startGateway(t, `{"providers":{"`+tc.provider+`":{"keys":[{"value":"`+mockKey+`","models":["*"],"weight":1`+tc.keyConfig+`}],`+
				`"network_config":{"base_url":"`+mockURL+`","max_retries":0}}}}`, nil)
			client := &http.Client{}
			t.Cleanup(client.CloseIdleConnections)
			resp, err := client.Post(gw+"/v1/chat/completions", "application/json", strings.NewReader(
				`{"model":"`+tc.provider+`/`+tc.model+`","stream":true,"messages":[{"role":"user","content":"Hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var data []string
			sc := bufio.NewScanner(resp.Body)
			for sc.Scan() {
				if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
					data = append(data, d)
				}
			}
			if resp.StatusCode != 200 || sc.Err() != nil || len(data) < 2 {
				t.Fatalf("%s, %v, events %q", resp.Status, sc.Err(), data)
			}
			for _, d := range data[:len(data)-1] {
				if !strings.Contains(d, `"object":"chat.completion.chunk"`) || strings.Contains(d, `"finish_reason":"`) {
					t.Errorf("want content chunks without a finish reason before the error, got %s", d)
				}
			}
			var last struct {
				Error struct{ Code, Type, Message string } `json:"error"`
			}
			if err := json.Unmarshal([]byte(data[len(data)-1]), &last); err != nil || last.Error.Code != "stream_truncated" ||
				!strings.Contains(last.Error.Message, "provider "+tc.provider) {
				t.Errorf("last event %s (%v), want a stream_truncated error naming the provider", data[len(data)-1], err)
			}
		})
	}
}
