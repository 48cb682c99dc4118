package repocheck_test

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/internal/repocheck"
)

// root is the repository, seen from this package's directory.
const root = "../.."

const module = "github.com/bifrost-gw/bifrost"

// allowed are the provider names that runtime/ may carry, because they name a wire format
// that the gateway itself speaks, or give an example in a message to the user, rather than
// choosing behaviour for a provider. A Path ending in "*" covers every file that begins
// with it; an empty Text covers every mention of the provider in those files.
var allowed = []repocheck.Allowed{
	{Path: "runtime/jsonscan/*", Provider: "openai", Why: "scans the OpenAI wire format, the unified format of the gateway"},
	{Path: "runtime/jsonscan/*", Provider: "anthropic", Why: "scans the Anthropic Messages wire format, an inbound format of the gateway (/anthropic/v1/messages)"},
	{Path: "runtime/passthrough*", Provider: "openai", Why: "passes the OpenAI formats through, scanning them with jsonscan"},
	{Path: "runtime/passthrough*", Provider: "anthropic", Why: "passes the Anthropic Messages format through, scanning it with jsonscan"},
	{Path: "runtime/route.go", Provider: "openai", Text: "e.g. openai/gpt-4o-mini", Why: "an example of provider/model in the error for a missing model"},
	{Path: "runtime/snapshot.go", Provider: "openai", Text: "OpenAI-compatible providers", Why: "names the OpenAI-compatible format in the error for an unknown provider"},
	{Path: "runtime/config/network.go", Provider: "openai", Text: "a provider type such as", Why: "an example of a provider type in the error for a bad base_provider_type"},
}

// providers returns the provider names of specs/*.yaml (their "name:" line).
func providers(t *testing.T) []string {
	t.Helper()
	specs, err := filepath.Glob(filepath.Join(root, "specs", "*.yaml"))
	if err != nil || len(specs) == 0 {
		t.Fatalf("no specs found: %v", err)
	}
	var names []string
	for _, p := range specs {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		s := bufio.NewScanner(f)
		for s.Scan() {
			if v, ok := strings.CutPrefix(s.Text(), "name:"); ok {
				names = append(names, strings.ToLower(strings.TrimSpace(v)))
				break
			}
		}
		f.Close()
	}
	return names
}

func files(t *testing.T, dir string) []repocheck.File {
	t.Helper()
	fs, err := repocheck.HandWritten(root, dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) == 0 {
		t.Fatalf("no hand-written Go files under %s", dir)
	}
	return fs
}

// TestSizes: no hand-written file over 600 lines, no function over 80.
func TestSizes(t *testing.T) {
	for _, v := range repocheck.Sizes(files(t, ".")) {
		t.Error(v)
	}
}

// TestAdaptersDoNotImportTheEngine: adapters import the contracts (runtime/provider,
// runtime/schemas, ...), never the engine package itself, which receives them.
func TestAdaptersDoNotImportTheEngine(t *testing.T) {
	for _, v := range repocheck.Imports(files(t, "adapters"), module+"/runtime") {
		t.Errorf("%s: adapters must not import the engine; it receives them through Options.Adapters", v)
	}
}

// TestRuntimeNamesNoProvider: no identifier or string under runtime/ names a provider,
// outside the allowed mentions above.
func TestRuntimeNamesNoProvider(t *testing.T) {
	var left []repocheck.Mention
	for _, m := range repocheck.Disallowed(repocheck.Mentions(files(t, "runtime"), providers(t)), allowed) {
		left = append(left, m)
	}
	for _, m := range left {
		t.Errorf("%s: %q names the provider %s; the engine must stay provider-neutral (or add an allowed entry with its reason)", m.Pos, m.Text, m.Provider)
	}
}

// TestNoProviderSwitch: no switch under runtime/ has a case on a provider's name.
func TestNoProviderSwitch(t *testing.T) {
	for _, v := range repocheck.ProviderSwitches(files(t, "runtime"), providers(t)) {
		t.Error(v)
	}
}
