package runtime

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

func TestCompileGlobalRegion(t *testing.T) {
	const u = "https://{region}-aiplatform.googleapis.com/v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent"
	for region, want := range map[string]string{
		"global":      "https://aiplatform.googleapis.com/v1/projects/p1/locations/global/publishers/google/models/gemini-2.0-flash:generateContent",
		"us-central1": "https://us-central1-aiplatform.googleapis.com/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent",
	} {
		tmpl, err := compile(u, keyVars{region: region, project: "p1"})
		if err != nil {
			t.Fatal(err)
		}
		if got := string(tmpl.appendURL(nil, "gemini-2.0-flash", nil)); got != want {
			t.Errorf("%s: got %s, want %s", region, got, want)
		}
	}
}

// routeCodec is a chat codec of a model route, for TestChatCodecByRoute.
type routeCodec struct{ provider.ChatCodec }

// TestChatCodecByRoute: a model route that names a codec converts its models' chats; other
// models use the adapter, and the choice costs no allocation.
func TestChatCodecByRoute(t *testing.T) {
	rc := routeCodec{}
	p := &providerState{routes: []modelRoute{{prefix: "claude-", codec: rc}, {prefix: "gem-"}}}
	if got := p.chatCodec("claude-sonnet-4@20250514"); got != provider.ChatCodec(rc) {
		t.Errorf("claude model: %T, want the route's codec", got)
	}
	for _, m := range []string{"gemini-2.0-flash", "gem-x", "claude"} {
		if got := p.chatCodec(m); got != nil {
			t.Errorf("%s: %T, want the adapter", m, got)
		}
	}
	if n := testing.AllocsPerRun(100, func() { p.chatCodec("claude-3") }); n != 0 {
		t.Errorf("allocs = %v, want 0", n)
	}
}
