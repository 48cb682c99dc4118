package runtime_test

import (
	"os"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestREADMEConfigExample keeps the README's configuration example working: it must parse and
// build an engine.
func TestREADMEConfigExample(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "## Configuration")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	_, rest, ok = strings.Cut(rest, "```json\n")
	example, _, ok2 := strings.Cut(rest, "```")
	if !ok || !ok2 {
		t.Fatal("README's Configuration section has no json example")
	}
	cfg, err := config.Parse("README.md", []byte(example), func(name string) string { return "value-of-" + name })
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	e, err := runtime.New(cfg, adapters.All())
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	e.Close()
	if got := strings.Join(e.Providers(), ","); got != "groq,my-llm,openai,vllm" {
		t.Errorf("providers %s", got)
	}
}
