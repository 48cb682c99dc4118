package runtime_test

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestDeferredKeyConfig checks the engine's side of a config parsed without the providers'
// key config declarations: it decodes each key's member with its provider's declaration,
// and refuses a bad one with the member's file, line and path, a member of another
// provider type, and a missing required value.
func TestDeferredKeyConfig(t *testing.T) {
	env := func(string) string { return "" }
	for _, c := range []struct {
		name, doc, want string
	}{
		{"good", `{"providers":{"azure":{"keys":[{"value":"k","azure_key_config":{"endpoint":"https://r.openai.azure.com","api_version":"2024-10-21"}}]},
			"bedrock":{"keys":[{"bedrock_key_config":{"access_key":"AKID","secret_key":"s","region":"us-east-1"}}]},
			"vertex":{"keys":[{"value":"ya29.token","vertex_key_config":{"project_id":"p","region":"us-central1"}}]}}}`, ""},
		{"bad endpoint", "providers:\n  azure:\n    keys:\n      - value: k\n        azure_key_config: {endpoint: not-a-url}\n",
			"c.yaml:5: providers.azure.keys[0].azure_key_config.endpoint: must be an absolute http or https URL"},
		{"another provider's member", "providers:\n  openai:\n    keys:\n      - value: k\n        vertex_key_config: {project_id: p, region: r}\n",
			"c.yaml:5: providers.openai.keys[0].vertex_key_config: not a setting of this provider type's keys"},
		{"no project", "providers:\n  vertex:\n    keys:\n      - value: k\n        vertex_key_config: {region: r}\n",
			"c.yaml:5: providers.vertex.keys[0].vertex_key_config.project_id: required"},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "c.yaml"
			cfg, err := config.Parse(name, []byte(c.doc), env)
			if err != nil {
				t.Fatal(err)
			}
			e, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All()})
			if e != nil {
				defer e.Shutdown()
			}
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}
