package main

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

// TestApplyEnv checks that every flag can be set by its BIFROST_ variable and that the
// command line wins.
func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name     string
		env      map[string]string
		args     []string
		wantPort int
		wantHost string
		wantErr  string
	}{
		{name: "defaults", wantPort: 8080, wantHost: "127.0.0.1"},
		{name: "env", env: map[string]string{"BIFROST_PORT": "9000", "BIFROST_HOST": "0.0.0.0"}, wantPort: 9000, wantHost: "0.0.0.0"},
		{name: "flag wins", env: map[string]string{"BIFROST_PORT": "9000"}, args: []string{"-port", "9100"}, wantPort: 9100, wantHost: "127.0.0.1"},
		{name: "bad env", env: map[string]string{"BIFROST_PORT": "eighty"}, wantErr: "environment variable BIFROST_PORT:"},
		{name: "actions are flags only", env: map[string]string{"BIFROST_CHECK": "true"}, wantPort: 8080, wantHost: "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fs := flag.NewFlagSet("bifrost-http", flag.ContinueOnError)
			fs.SetOutput(io.Discard)
			port := fs.Int("port", 8080, "")
			host := fs.String("host", "127.0.0.1", "")
			fs.Duration("drain", time.Second, "")
			check := fs.Bool("check", false, "")
			err := applyEnv(fs, func(k string) string { return tt.env[k] }, "check")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			if *port != tt.wantPort || *host != tt.wantHost || *check {
				t.Errorf("port %d host %s check %v, want %d %s false", *port, *host, *check, tt.wantPort, tt.wantHost)
			}
		})
	}
}

// TestEveryFlagHasEnv checks the names the README documents for the real flags.
func TestEveryFlagHasEnv(t *testing.T) {
	want := map[string]string{"config": "BIFROST_CONFIG", "host": "BIFROST_HOST", "port": "BIFROST_PORT",
		"log-level": "BIFROST_LOG_LEVEL", "log-format": "BIFROST_LOG_FORMAT", "drain": "BIFROST_DRAIN",
		"watch": "BIFROST_WATCH", "pprof": "BIFROST_PPROF", "config-history": "BIFROST_CONFIG_HISTORY"}
	for name, env := range want {
		if got := envName(name); got != env {
			t.Errorf("envName(%q) = %s, want %s", name, got, env)
		}
	}
}
