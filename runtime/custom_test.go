package runtime_test

import (
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// TestCustomProviderOnAnyFormat declares providers in the config alone
// (custom_provider_config) on top of non-OpenAI adapters: each speaks its base's wire format
// at its own URL under its own name.
func TestCustomProviderOnAnyFormat(t *testing.T) {
	for _, tc := range []struct{ base, format string }{
		{"anthropic", mocks.FormatAnthropic},
		{"cohere", mocks.FormatCohere},
		{"gemini", mocks.FormatGemini},
	} {
		t.Run(tc.base, func(t *testing.T) {
			u := serveMock(t, mocks.Config{Format: tc.format, Latency: time.Millisecond, Record: true})
			cfg := `{"providers":{"corp-llm":{"keys":[{"name":"k","value":"` + rigKey + `","models":["*"],"weight":1}],
				"network_config":{"base_url":"http://` + u.addr + `"},
				"custom_provider_config":{"base_provider_type":"` + tc.base + `"}}}}`
			e := newEngine(t, cfg, timeouts{}, runtime.Options{})
			c, err := rigChat(t, e, chatBody("corp-llm/some-model", false), nil)
			defer e.ReleaseCall(c)
			if err != nil {
				t.Fatalf("%d %s", err.Status, err.Body.Message)
			}
			if c.Provider != "corp-llm" || len(c.ChatResp.Choices) != 1 || c.ChatResp.Choices[0].FinishReason == "" {
				t.Errorf("provider %q, response %+v", c.Provider, c.ChatResp)
			}
			if n := len(u.m.Requests()); n != 1 {
				t.Errorf("the %s mock got %d requests", tc.format, n)
			}
		})
	}
}
