package spec_test

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/bifrost-gw/bifrost/gen/spec"
)

// TestReadmeExample checks that the worked example of specs/README.md is a valid spec.
func TestReadmeExample(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "specs", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatal("no yaml example in specs/README.md")
	}
	example := regexp.MustCompile(`(?m)^   `).ReplaceAll(m[1], nil) // the example is indented in a list
	acme := mustParse(t, "specs/acme.yaml", string(example))
	specs := append(loadRepoSpecs(t), acme)
	if _, err := spec.Resolve(specs); err != nil {
		t.Fatal(err)
	}
	if acme.Paths[spec.OpEmbedding] != "/v1/embeddings" || acme.BaseURL != "https://api.acme.ai" {
		t.Errorf("example resolved to %q + %q", acme.BaseURL, acme.Paths[spec.OpEmbedding])
	}
}
