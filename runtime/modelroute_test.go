package runtime

import (
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/vertex"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// infoAdapter is an adapter of which only Info is used.
type infoAdapter struct {
	provider.Adapter
	info *provider.Info
}

func (a infoAdapter) Info() *provider.Info { return a.info }

// routedInfo is a provider with Vertex-like URLs and two model routes.
var routedInfo = provider.Info{
	Name: "routed", Title: "Routed", Format: "openai",
	DefaultBaseURL: "https://{region}-api.example.com",
	Auth:           provider.Auth{Header: "Authorization", Prefix: "Bearer "},
	Paths: [provider.NumOps]string{
		provider.OpChat:       "/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent",
		provider.OpChatStream: "/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:streamGenerateContent?alt=sse",
		provider.OpEmbedding:  "/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:predict",
	},
	ModelPaths: []provider.ModelRoute{
		{Prefix: "claude-", Paths: [provider.NumOps]string{
			provider.OpChat:       "/v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:rawPredict",
			provider.OpChatStream: "/v1/projects/{project}/locations/{region}/publishers/anthropic/models/{model}:streamRawPredict",
		}},
		{Prefix: "c", Paths: [provider.NumOps]string{provider.OpChat: "/c/{model}"}},
	},
}

func routedProvider(t *testing.T, region string, keys bool) *providerState {
	t.Helper()
	pc := &config.Provider{Name: "routed"}
	if keys {
		pc.Keys = []config.Key{{Value: "k", Weight: 1, Settings: &vertex.KeyConfig{ProjectID: "p1", Region: region}}}
	} else {
		pc.Network.BaseURL = "http://127.0.0.1:9"
		pc.Keys = nil
	}
	info := routedInfo
	if !keys {
		info.KeyOptional = true
		info.Paths = [provider.NumOps]string{provider.OpChat: "/default/{model}"}
		info.ModelPaths = []provider.ModelRoute{{Prefix: "claude-", Paths: [provider.NumOps]string{provider.OpChat: "/claude/{model}"}}}
	}
	p, err := buildProvider("routed", pc, map[string]provider.Adapter{"routed": infoAdapter{info: &info}}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestModelRoutes checks that a request goes to the first route whose prefix starts the
// model, for the operations the route gives, and to the default URL otherwise.
func TestModelRoutes(t *testing.T) {
	const google = "/v1/projects/p1/locations/us-east5/publishers/google/models/"
	const anthropic = "/v1/projects/p1/locations/us-east5/publishers/anthropic/models/"
	p := routedProvider(t, "us-east5", true)
	for _, tc := range []struct {
		op    provider.Op
		model string
		want  string
	}{
		{provider.OpChat, "gemini-2.0-flash", google + "gemini-2.0-flash:generateContent"},
		{provider.OpChat, "claude-3-5-haiku@20241022", anthropic + "claude-3-5-haiku%4020241022:rawPredict"},
		{provider.OpChatStream, "claude-sonnet-4@20250514", anthropic + "claude-sonnet-4%4020250514:streamRawPredict"},
		{provider.OpChatStream, "gemini-2.0-flash", google + "gemini-2.0-flash:streamGenerateContent?alt=sse"},
		// The route gives no embedding path: the default one serves it.
		{provider.OpEmbedding, "claude-x", google + "claude-x:predict"},
		// "claude" does not start with "claude-"; the second route matches.
		{provider.OpChat, "claude", "/c/claude"},
		{provider.OpChatStream, "claude", google + "claude:streamGenerateContent?alt=sse"},
	} {
		c := &Call{op: tc.op, key: 0}
		if err := c.setKey(p, tc.model); err != nil {
			t.Fatal(err)
		}
		want := "https://us-east5-api.example.com" + tc.want
		if got := string(c.url); got != want {
			t.Errorf("%s %s: URL %s, want %s", tc.op, tc.model, got, want)
		}
	}

	g := routedProvider(t, "global", true)
	c := &Call{op: provider.OpChat, key: 0}
	if err := c.setKey(g, "claude-opus-4@20250514"); err != nil {
		t.Fatal(err)
	}
	if want := "https://api.example.com/v1/projects/p1/locations/global/publishers/anthropic/models/claude-opus-4%4020250514:rawPredict"; string(c.url) != want {
		t.Errorf("global: URL %s, want %s", c.url, want)
	}

	// A provider without keys compiles its routes once.
	n := routedProvider(t, "", false)
	for model, want := range map[string]string{"claude-3": "http://127.0.0.1:9/claude/claude-3", "gpt-4o": "http://127.0.0.1:9/default/gpt-4o"} {
		c := &Call{op: provider.OpChat, key: -1}
		if err := c.setKey(n, model); err != nil {
			t.Fatal(err)
		}
		if string(c.url) != want {
			t.Errorf("keyless %s: URL %s, want %s", model, c.url, want)
		}
	}
}

// TestModelRouteNeedsKeyValues checks that a route's placeholders are checked per key when
// the config loads, as the default paths' are.
func TestModelRouteNeedsKeyValues(t *testing.T) {
	info := routedInfo
	info.DefaultBaseURL = "https://api.example.com"
	info.Paths = [provider.NumOps]string{provider.OpChat: "/v1/{model}"}
	info.ModelPaths = []provider.ModelRoute{{Prefix: "claude-", Paths: [provider.NumOps]string{provider.OpChat: "/v1/projects/{project}/{model}"}}}
	info.KeyConfig = &vertex.KeyConfigSpec // names the field that gives {project}
	pc := &config.Provider{Name: "routed", Keys: []config.Key{{Value: "k", Weight: 1}}}
	_, err := buildProvider("routed", pc, map[string]provider.Adapter{"routed": infoAdapter{info: &info}}, nil, nil)
	if err == nil || err.Error() != "keys[0]: vertex_key_config.project_id is required" {
		t.Errorf("err = %v, want the key's missing project_id", err)
	}
}
