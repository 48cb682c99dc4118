package server

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/governance/memstore"
	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

var costInLog = regexp.MustCompile(`cost_usd=([0-9.]+)`)

// TestGovernanceCostGolden: for each provider wire format the mock speaks, plain and
// streamed, the cost the gateway reports (header for a plain answer, access line for
// both) equals the price table times the usage the client sees: 1 USD per million input
// tokens (1,000 nano-USD each) and 2 USD per million output tokens.
func TestGovernanceCostGolden(t *testing.T) {
	for _, format := range []string{mocks.FormatOpenAI, mocks.FormatAnthropic, mocks.FormatGemini, mocks.FormatCohere} {
		t.Run(format, func(t *testing.T) {
			cfgJSON := `{"providers":{"` + format + `":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],
				"network_config":{"base_url":"http://mock.inmemory"}}},
				"governance":{"virtual_keys":[{"name":"a","value":"` + govAlice + `"}],"prices":{"` + format + `/*":{"input":1,"output":2}}}}`
			p := newInProcess(t, mocks.Config{Format: format}, cfgJSON)
			cfg, err := config.Parse("gov.json", []byte(cfgJSON), nil)
			if err != nil {
				t.Fatal(err)
			}
			g := governance.New(memstore.New(time.Now))
			if err := g.Configure(cfg); err != nil {
				t.Fatal(err)
			}
			p.srv.SetGovernor(g)
			var log bytes.Buffer
			p.srv.SetAccessLog(NewAccessLog(&log, false))
			model := format + "/test-model"
			for _, stream := range []bool{false, true} {
				log.Reset()
				body := `{"model":"` + model + `","max_tokens":50,"messages":[{"role":"user","content":"hello there"}]}`
				if stream {
					body = `{"model":"` + model + `","max_tokens":50,"stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hello there"}]}`
				}
				ctx := govRequest(p, "POST", "/v1/chat/completions", "x-api-key", govAlice, []byte(body))
				if ctx.Response.StatusCode() != 200 {
					t.Fatalf("stream %v: status %d: %s", stream, ctx.Response.StatusCode(), ctx.Response.Body())
				}
				var out bytes.Buffer
				if err := ctx.Response.BodyWriteTo(&out); err != nil {
					t.Fatal(err)
				}
				in, outTok := lastUsage(t, out.String())
				want := string(governance.AppendUSD(nil, in*1000+outTok*2000))
				if !stream {
					if got := string(ctx.Response.Header.Peek(CostHeader)); got != want {
						t.Errorf("header: %s, want %s (usage %d in, %d out)", got, want, in, outTok)
					}
				}
				m := costInLog.FindStringSubmatch(log.String())
				if m == nil || m[1] != want {
					t.Errorf("stream %v: access line cost %v, want %s (usage %d in, %d out): %s", stream, m, want, in, outTok, log.String())
				}
			}
		})
	}
}

// lastUsage returns the last usage object in an answer or a stream.
func lastUsage(t *testing.T, body string) (in, out int64) {
	t.Helper()
	found := false
	for _, part := range strings.Split(body, "\n") {
		part = strings.TrimPrefix(part, "data: ")
		var r struct {
			Usage *struct {
				PromptTokens     int64 `json:"prompt_tokens"`
				CompletionTokens int64 `json:"completion_tokens"`
			} `json:"usage"`
		}
		if json.Unmarshal([]byte(part), &r) == nil && r.Usage != nil {
			in, out, found = r.Usage.PromptTokens, r.Usage.CompletionTokens, true
		}
	}
	if !found || in+out == 0 {
		t.Fatalf("no usage in %s", body)
	}
	return in, out
}
