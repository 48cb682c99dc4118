package spec_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/bifrost-gw/bifrost/gen/spec"
)

// openaiBase is a base spec with a path for every operation.
var openaiBase = lines(
	"name: openai",
	"format: openai",
	"base_url: https://api.openai.com",
	"auth: {scheme: bearer}",
	"operations: [chat, chat_stream, text, text_stream, embedding, models]",
	"paths:",
	"  chat: /v1/chat/completions",
	"  chat_stream: /v1/chat/completions",
	"  text: /v1/completions",
	"  text_stream: /v1/completions",
	"  embedding: /v1/embeddings",
	"  models: /v1/models",
	"docs: https://platform.openai.com/docs/api-reference",
)

func mustParse(t *testing.T, file, src string) *spec.Spec {
	t.Helper()
	s, err := spec.Parse(file, []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestResolveInheritsAndOverridesPaths(t *testing.T) {
	base := mustParse(t, "specs/openai.yaml", openaiBase)
	acme := mustParse(t, "specs/acme.yaml", lines(lName, lCompat, lBase, lAuth,
		"operations: [chat, chat_stream, models]",
		"paths:",
		"  chat: /chat/completions",
		"  models: /openai/models",
		lDocs))
	got, err := spec.Resolve([]*spec.Spec{base, acme})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != acme || got[1] != base {
		t.Fatalf("Resolve returned %v, want [acme openai] sorted by name", got)
	}
	if acme.Format != "openai" || acme.Compat != "openai" {
		t.Errorf("acme: Format %q Compat %q, want both openai", acme.Format, acme.Compat)
	}
	want := map[spec.Operation]string{
		spec.OpChat:       "/chat/completions",    // overridden
		spec.OpChatStream: "/v1/chat/completions", // inherited
		spec.OpText:       "/v1/completions",      // inherited, though acme does not list text
		spec.OpTextStream: "/v1/completions",
		spec.OpEmbedding:  "/v1/embeddings",
		spec.OpModels:     "/openai/models", // overridden
	}
	if !reflect.DeepEqual(acme.Paths, want) {
		t.Errorf("acme paths = %v, want %v", acme.Paths, want)
	}
	if base.Paths[spec.OpChat] != "/v1/chat/completions" || base.Paths[spec.OpModels] != "/v1/models" {
		t.Errorf("the base spec's paths changed: %v", base.Paths)
	}
}

func TestResolveErrors(t *testing.T) {
	acme := func(extra ...string) string {
		return lines(append([]string{lName, lCompat, lBase, lAuth, lOps, lDocs}, extra...)...)
	}
	for _, c := range []struct {
		name  string
		specs [][2]string // file, source
		want  string
	}{
		{"unknown compat base", [][2]string{
			{"specs/openai.yaml", openaiBase},
			{"specs/zeta.yaml", lines("name: zeta", "format: openai", "base_url: https://zeta.ai", lAuth, "operations: [chat]", "paths: {chat: /chat}", "docs: https://zeta.ai")},
			{"specs/acme.yaml", lines(lName, "compat: anthropic", lBase, lAuth, lOps, lDocs)},
		}, `specs/acme.yaml:2: compat "anthropic" is not a base spec (bases: openai, zeta)`},
		{"compat without any base", [][2]string{
			{"specs/acme.yaml", acme()},
		}, `specs/acme.yaml:2: compat "openai" is not a base spec (bases: )`},
		// A compat spec must name a base spec, not another compat spec, whatever the order.
		{"compat with a compat spec listed after it", [][2]string{
			{"specs/openai.yaml", openaiBase},
			{"specs/acme.yaml", lines(lName, "compat: beta", lBase, lAuth, lOps, lDocs)},
			{"specs/beta.yaml", lines("name: beta", lCompat, lBase, lAuth, lOps, lDocs)},
		}, `specs/acme.yaml:2: compat "beta" is not a base spec (bases: openai)`},
		{"compat with a compat spec listed before it", [][2]string{
			{"specs/openai.yaml", openaiBase},
			{"specs/beta.yaml", lines("name: beta", lCompat, lBase, lAuth, lOps, lDocs)},
			{"specs/acme.yaml", lines(lName, "compat: beta", lBase, lAuth, lOps, lDocs)},
		}, `specs/acme.yaml:2: compat "beta" is not a base spec (bases: openai)`},
		{"duplicate provider name", [][2]string{
			{"specs/openai.yaml", openaiBase},
			{"specs/a/acme.yaml", acme()},
			{"specs/b/acme.yaml", lines("# the same provider again", lName, lCompat, lBase, lAuth, lOps, lDocs)},
		}, `specs/b/acme.yaml:2: provider "acme" is already defined in specs/a/acme.yaml`},
		{"base operation without a path", [][2]string{
			{"specs/openai.yaml", lines("name: openai", "format: openai", "base_url: https://api.openai.com", lAuth,
				"operations: [chat, models]", "paths: {chat: /v1/chat/completions}", "docs: https://openai.com")},
		}, "specs/openai.yaml:5: operation models has no path (give paths.models, or inherit it with compat)"},
		{"compat operation the base has no path for", [][2]string{
			{"specs/openai.yaml", lines("name: openai", "format: openai", "base_url: https://api.openai.com", lAuth,
				"operations: [chat]", "paths: {chat: /v1/chat/completions}", "docs: https://openai.com")},
			{"specs/acme.yaml", lines(lName, lCompat, lBase, lAuth, "operations: [chat, embedding]", lDocs)},
		}, "specs/acme.yaml:5: operation embedding has no path (give paths.embedding, or inherit it with compat)"},
		{"responses on a format that is not openai", [][2]string{
			{"specs/other.yaml", lines("name: other", "format: other", "codec: Codec", "base_url: https://other.ai", lAuth,
				"operations: [chat, responses]", "paths: {chat: /chat, responses: /responses}", "docs: https://other.ai")},
		}, "specs/other.yaml:6: operation responses is forwarded as the client sent it: only for the openai format (this is other)"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var specs []*spec.Spec
			for _, fs := range c.specs {
				specs = append(specs, mustParse(t, fs[0], fs[1]))
			}
			got, err := spec.Resolve(specs)
			if err == nil {
				t.Fatalf("Resolve succeeded (%v), want %s", got, c.want)
			}
			if err.Error() != c.want {
				t.Errorf("Resolve error\n got: %s\nwant: %s", err, c.want)
			}
		})
	}
}

// TestResolveRealSpecs resolves the repository's specs: every compat spec names openai.
func TestResolveRealSpecs(t *testing.T) {
	specs := loadRepoSpecs(t)
	got, err := spec.Resolve(specs)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range got {
		if i > 0 && got[i-1].Name >= s.Name {
			t.Errorf("not sorted: %s before %s", got[i-1].Name, s.Name)
		}
		if (s.Format == spec.FormatOpenAI) != (s.Codec == "") {
			t.Errorf("%s: format %q with codec %q: the openai format has no codec, every other one has", s.Name, s.Format, s.Codec)
		}
		if s.Stream != spec.StreamSSE && s.Stream != spec.StreamAWSEventStream {
			t.Errorf("%s: stream %q", s.Name, s.Stream)
		}
		for _, op := range s.Operations {
			if s.Paths[op] == "" {
				t.Errorf("%s: no path for %s", s.Name, op)
			}
		}
	}
}

func loadRepoSpecs(t *testing.T) []*spec.Spec {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "..", "specs", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no specs under ../../specs (%v)", err)
	}
	var specs []*spec.Spec
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, mustParse(t, "specs/"+filepath.Base(f), string(data)))
	}
	return specs
}

// TestResolveModelPathsNotInherited checks that a compat spec keeps only its own
// model_paths: the base's routes belong to the base's URLs.
func TestResolveModelPathsNotInherited(t *testing.T) {
	base := mustParse(t, "specs/openai.yaml", openaiBase+lines(
		"model_paths:", "  - prefix: o1", "    paths: {chat: /v1/reasoning}"))
	acme := mustParse(t, "specs/acme.yaml", lines(lName, lCompat, lBase, lAuth, lOps, lDocs))
	if _, err := spec.Resolve([]*spec.Spec{base, acme}); err != nil {
		t.Fatal(err)
	}
	if len(acme.ModelPaths) != 0 || len(base.ModelPaths) != 1 || base.ModelPaths[0].Prefix != "o1" {
		t.Errorf("model_paths: acme %v, openai %v; want none and the base's own", acme.ModelPaths, base.ModelPaths)
	}
}
