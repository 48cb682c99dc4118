package config

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to Parse as JSON and as YAML. Parse must not panic. It
// must return either an ErrorList or a Config that holds the package's guarantees. The
// committed corpus is in testdata/fuzz/FuzzParse. The example files and the bad configs of
// errors_test.go are added as seeds too.
func FuzzParse(f *testing.F) {
	for _, name := range []string{"config.json", "config.yaml"} {
		data, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, tc := range badConfigs {
		f.Add([]byte(tc.doc))
	}
	env := getenv(map[string]string{"A": "sk-a", "URL": "https://example.com"})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, name := range []string{"fuzz.json", "fuzz.yaml"} {
			for _, opts := range [][]Option{nil, {withAdapters}} {
				cfg, err := Parse(name, data, env, opts...)
				if err != nil {
					checkErrorList(t, name, err)
					continue
				}
				checkConfig(t, cfg, opts != nil)
			}
		}
	})
}

func checkErrorList(t *testing.T, name string, err error) {
	var list ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		t.Fatalf("%s: error %T %v is not a non-empty ErrorList", name, err, err)
	}
	for _, e := range list {
		if e.File != name || e.Line < 0 || e.Msg == "" {
			t.Fatalf("%s: malformed error %+v", name, *e)
		}
	}
}

// checkConfig checks the guarantees a successfully parsed Config gives.
// checkConfig checks a Config that Parse accepted; told says Parse was told the adapters.
func checkConfig(t *testing.T, cfg *Config, told bool) {
	d := &decoder{}
	withAdapters(d)
	if cfg == nil || len(cfg.Providers) == 0 {
		t.Fatal("Parse succeeded without providers")
	}
	if cfg.Client.InitialPoolSize <= 0 || cfg.Client.MaxRequestBodyMB <= 0 {
		t.Fatalf("client defaults missing: %+v", cfg.Client)
	}
	for name, p := range cfg.Providers {
		if p == nil || p.Name != name || !isProviderName(name) {
			t.Fatalf("provider %q: bad name or nil", name)
		}
		if p.Concurrency.Concurrency <= 0 || p.Concurrency.BufferSize <= 0 {
			t.Fatalf("provider %q: concurrency %+v", name, p.Concurrency)
		}
		n := p.Network
		if n.DefaultRequestTimeout <= 0 || n.StreamIdleTimeout <= 0 || n.MaxConnsPerHost <= 0 ||
			n.MaxRetries < 0 || n.MaxRetries > maxRetries ||
			n.RetryBackoffInitial <= 0 || n.RetryBackoffMax < n.RetryBackoffInitial {
			t.Fatalf("provider %q: network %+v", name, n)
		}
		if n.BaseURL != "" && (strings.HasSuffix(n.BaseURL, "/") || !isURLWithScheme(n.BaseURL, "http", "https")) {
			t.Fatalf("provider %q: base_url %q", name, n.BaseURL)
		}
		if len(p.Keys) == 0 && told && !d.keyless(p) {
			t.Fatalf("provider %q: no keys", name)
		}
		total := 0.0
		for _, k := range p.Keys {
			if k.Weight < 0 || math.IsNaN(k.Weight) || math.IsInf(k.Weight, 0) {
				t.Fatalf("provider %q: weight %v", name, k.Weight)
			}
			total += k.Weight
		}
		if len(p.Keys) > 0 && total == 0 {
			t.Fatalf("provider %q: all weights are 0", name)
		}
	}
	for alias, targets := range cfg.Aliases {
		if len(targets) == 0 || strings.Contains(alias, "/") {
			t.Fatalf("alias %q: %v", alias, targets)
		}
		for _, target := range targets {
			prov, model, ok := strings.Cut(target, "/")
			if !ok || model == "" || cfg.Providers[prov] == nil {
				t.Fatalf("alias %q: bad target %q", alias, target)
			}
		}
	}
}
