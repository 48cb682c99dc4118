package config

import (
	"reflect"
	"strings"
	"testing"
)

// TestClientAccessAndPlugins covers client.api_keys, client.allow_direct_keys and the
// "plugins" list.
func TestClientAccessAndPlugins(t *testing.T) {
	const providers = `"providers":{"openai":{"keys":[{"value":"sk-1","models":["*"],"weight":1}]}}`
	env := map[string]string{"GW_KEY": "gw-from-env"}
	cases := []struct {
		name        string
		json        string
		wantKeys    []string
		wantDirect  bool
		wantPlugins []Plugin
		wantErr     string
	}{
		{name: "defaults", json: `{` + providers + `}`},
		{name: "keys and direct keys", json: `{` + providers + `,"client":{"api_keys":["gw-1","env.GW_KEY"],"allow_direct_keys":true}}`,
			wantKeys: []string{"gw-1", "gw-from-env"}, wantDirect: true},
		{name: "empty key", json: `{` + providers + `,"client":{"api_keys":[""]}}`, wantErr: "client.api_keys[0]: must not be empty"},
		{name: "unset env key", json: `{` + providers + `,"client":{"api_keys":["env.NOPE"]}}`, wantErr: "client.api_keys[0]: environment variable NOPE is not set"},
		{name: "direct keys not a bool", json: `{` + providers + `,"client":{"allow_direct_keys":"yes"}}`, wantErr: "client.allow_direct_keys"},
		{name: "plugins", json: `{` + providers + `,"plugins":[{"name":"cache","enabled":true,"config":{"ttl_seconds":60}},{"name":"other","enabled":false}]}`,
			wantPlugins: []Plugin{{Name: "cache", Enabled: true, Config: map[string]any{"ttl_seconds": 60}}, {Name: "other"}}},
		{name: "enabled by default", json: `{` + providers + `,"plugins":[{"name":"cache"}]}`,
			wantPlugins: []Plugin{{Name: "cache", Enabled: true}}},
		{name: "plugin without a name", json: `{` + providers + `,"plugins":[{"enabled":true}]}`, wantErr: "plugins[0].name: is required"},
		{name: "plugin unknown field", json: `{` + providers + `,"plugins":[{"name":"cache","ttl":1}]}`, wantErr: "plugins[0].ttl: unknown field"},
		{name: "plugin config not an object", json: `{` + providers + `,"plugins":[{"name":"cache","config":[1]}]}`, wantErr: "plugins[0].config: must be an object"},
		{name: "plugins not a list", json: `{` + providers + `,"plugins":{"name":"cache"}}`, wantErr: "plugins: must be a list"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c.json", []byte(tc.json), func(k string) string { return env[k] })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg.Client.APIKeys, tc.wantKeys) || cfg.Client.AllowDirectKeys != tc.wantDirect {
				t.Errorf("api_keys %q, allow_direct_keys %v", cfg.Client.APIKeys, cfg.Client.AllowDirectKeys)
			}
			if !reflect.DeepEqual(cfg.Plugins, tc.wantPlugins) {
				t.Errorf("plugins %#v, want %#v", cfg.Plugins, tc.wantPlugins)
			}
		})
	}
}

// TestClientLimits covers the connection and request-intake limits: their defaults, their
// keys, and their ranges.
func TestClientLimits(t *testing.T) {
	const providers = `"providers":{"openai":{"keys":[{"value":"sk-1","models":["*"],"weight":1}]}}`
	cases := []struct {
		name, client           string
		buffered, conns, perIP int
		wantErr                string
	}{
		{name: "defaults", client: `{}`, buffered: DefaultMaxBufferedRequestMB, conns: DefaultMaxConnections, perIP: DefaultMaxConnectionsPerIP},
		{name: "set", client: `{"max_buffered_request_mb":256,"max_connections":500,"max_connections_per_ip":20}`, buffered: 256, conns: 500, perIP: 20},
		{name: "zero means default", client: `{"max_buffered_request_mb":0,"max_connections":0,"max_connections_per_ip":0}`,
			buffered: DefaultMaxBufferedRequestMB, conns: DefaultMaxConnections},
		{name: "negative connections", client: `{"max_connections":-1}`, wantErr: "client.max_connections: must be between 1 and"},
		{name: "negative per ip", client: `{"max_connections_per_ip":-1}`, wantErr: "client.max_connections_per_ip: must be between 0 and"},
		{name: "buffered not a number", client: `{"max_buffered_request_mb":"lots"}`, wantErr: "client.max_buffered_request_mb"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse("c.json", []byte(`{`+providers+`,"client":`+tc.client+`}`), func(string) string { return "" })
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c := cfg.Client
			if c.MaxBufferedRequestMB != tc.buffered || c.MaxConnections != tc.conns || c.MaxConnectionsPerIP != tc.perIP {
				t.Errorf("buffered %d, connections %d, per ip %d; want %d, %d, %d",
					c.MaxBufferedRequestMB, c.MaxConnections, c.MaxConnectionsPerIP, tc.buffered, tc.conns, tc.perIP)
			}
		})
	}
}
