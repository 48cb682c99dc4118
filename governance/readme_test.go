package governance_test

import (
	"os"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestREADMEGovernanceExample keeps the README's governance example valid.
func TestREADMEGovernanceExample(t *testing.T) {
	data, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "## Governance")
	_, rest, ok2 := strings.Cut(rest, "```yaml\n")
	example, _, ok3 := strings.Cut(rest, "```")
	if !ok || !ok2 || !ok3 {
		t.Fatal("README has no Governance section with a yaml example")
	}
	doc := "providers: {openai: {keys: [{value: sk-x}]}}\n" + example
	cfg, err := config.Parse("README.md", []byte(doc), func(name string) string { return "value-of-" + name })
	if err != nil {
		t.Fatalf("README example: %v", err)
	}
	if g := cfg.Governance; g == nil || len(g.VirtualKeys) != 1 || g.VirtualKeys[0].Value != "value-of-ALICE_KEY" {
		t.Errorf("README example: %+v", cfg.Governance)
	}
}
