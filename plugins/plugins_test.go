package plugins

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

func TestBuild(t *testing.T) {
	cases := []struct {
		name    string
		in      []config.Plugin
		want    []string
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"cache", []config.Plugin{{Name: "cache", Enabled: true, Config: map[string]any{"ttl_seconds": 10}}}, []string{"cache"}, ""},
		{"disabled is left out", []config.Plugin{{Name: "cache"}}, nil, ""},
		{"unknown plugin", []config.Plugin{{Name: "cache", Enabled: true}, {Name: "semantic_cache", Enabled: true}}, nil,
			`plugins[1].name: unknown plugin "semantic_cache" (known: cache)`},
		{"bad config", []config.Plugin{{Name: "cache", Enabled: true, Config: map[string]any{"ttl_seconds": -1}}}, nil,
			"plugins[0].config.ttl_seconds: must be between 1 and"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Build(tc.in, nil)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, p := range got {
				names = append(names, p.Name())
			}
			if strings.Join(names, ",") != strings.Join(tc.want, ",") {
				t.Errorf("plugins %v, want %v", names, tc.want)
			}
		})
	}
}
