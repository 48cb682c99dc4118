package runtime

import (
	"testing"

	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// TestOperationBaseURLs checks that an operation with a base URL of its own in the spec
// (Bedrock's model list, on the control-plane host) uses it, that the other operations use
// the default base URL, and that a base URL in the config replaces both.
func TestOperationBaseURLs(t *testing.T) {
	info := provider.Info{
		Name: "split", Title: "Split", Format: "bedrock",
		DefaultBaseURL:  "https://runtime.{region}.example.com",
		DefaultBaseURLs: [provider.NumOps]string{provider.OpModels: "https://control.{region}.example.com"},
		Auth:            provider.Auth{Header: "Authorization", Prefix: "Bearer "},
		Paths: [provider.NumOps]string{
			provider.OpChat:   "/model/{model}/converse",
			provider.OpModels: "/foundation-models?byInferenceType=ON_DEMAND",
		},
	}
	for _, tc := range []struct {
		name, baseURL, chat, models string
	}{
		{"spec hosts", "", "https://runtime.eu-west-1.example.com/model/m1/converse",
			"https://control.eu-west-1.example.com/foundation-models?byInferenceType=ON_DEMAND"},
		{"config base_url", "http://127.0.0.1:9/", "http://127.0.0.1:9/model/m1/converse",
			"http://127.0.0.1:9/foundation-models?byInferenceType=ON_DEMAND"},
	} {
		pc := &config.Provider{Name: "split", Keys: []config.Key{{Value: "k", Weight: 1, Settings: &bedrock.KeyConfig{Region: "eu-west-1"}}}}
		pc.Network.BaseURL = tc.baseURL
		p, err := buildProvider("split", pc, map[string]provider.Adapter{"split": infoAdapter{info: &info}}, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		for op, want := range map[provider.Op]string{provider.OpChat: tc.chat, provider.OpModels: tc.models} {
			c := &Call{op: op, key: 0}
			if err := c.setKey(p, "m1"); err != nil {
				t.Fatal(err)
			}
			if got := string(c.url); got != want {
				t.Errorf("%s, %s: URL %s, want %s", tc.name, op, got, want)
			}
		}
	}
}
