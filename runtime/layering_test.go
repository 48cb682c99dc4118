package runtime_test

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestNoUpwardImport keeps the layering adapters -> runtime/{provider,schemas} one way: no
// non-test file under runtime/ imports the adapters; the engine receives them (Options.Adapters).
func TestNoUpwardImport(t *testing.T) {
	const banned = "github.com/bifrost-gw/bifrost/adapters"
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if p == banned || strings.HasPrefix(p, banned+"/") {
				t.Errorf("runtime/%s imports %s: the engine must receive adapters, not import them", filepath.ToSlash(path), p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestNewNeedsAdapters: an engine without adapters is refused with a hint, not built empty.
func TestNewNeedsAdapters(t *testing.T) {
	cfg, err := config.Parse("c.json", []byte(`{"providers":{"openai":{"keys":[{"value":"sk-x","weight":1}]}}}`), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := runtime.NewWithOptions(cfg, runtime.Options{}); err == nil || !strings.Contains(err.Error(), "adapters.All()") {
		t.Errorf("NewWithOptions without adapters: %v, want an error that names adapters.All()", err)
	}
}
