package emit_test

import (
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/gen/emit"
	"github.com/bifrost-gw/bifrost/gen/spec"
)

const mappingBase = `name: openai
format: openai
base_url: https://api.openai.com
auth: {scheme: bearer}
operations: [chat, text, embedding]
paths: {chat: /v1/chat/completions, text: /v1/completions, embedding: /v1/embeddings}
docs: https://platform.openai.com/docs/api-reference
`

// acmeWith returns specs/acme.yaml with a request mapping from line 6 on.
func acmeWith(request ...string) string {
	return strings.Join(append([]string{
		"name: acme",
		"compat: openai",
		"base_url: https://api.acme.com",
		"auth: {scheme: bearer}",
		"operations: [chat, text, embedding]",
	}, append(append([]string{"request:"}, request...), "docs: https://docs.acme.com")...), "\n") + "\n"
}

const (
	embeddingFields = "dimensions, encoding_format, input, model, user"
	textFields      = "best_of, echo, frequency_penalty, logit_bias, logprobs, max_tokens, model, n, presence_penalty, prompt, seed, stop, stream, stream_options, suffix, temperature, top_p, user"
)

// TestMappingErrors checks the mapping errors that need the unified types, which Parse does
// not know: they come from Generate, at the line where the mapping starts.
func TestMappingErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		src  string
		want string
	}{
		{"drop of an unknown field", acmeWith("  embedding:", "    drop: [dims]"),
			`specs/acme.yaml:8: request.embedding: drop: unknown field "dims" (fields: ` + embeddingFields + `)`},
		{"drop of a gateway field", acmeWith("  embedding: {drop: [fallbacks]}"),
			`specs/acme.yaml:7: request.embedding: drop: unknown field "fallbacks" (fields: ` + embeddingFields + `)`},
		{"drop of a field of another operation", acmeWith("  text:", "    drop: [messages]"),
			`specs/acme.yaml:8: request.text: drop: unknown field "messages" (fields: ` + textFields + `)`},
		{"rename of an unknown field", acmeWith("  embedding:", "    rename: {dims: dimensions}"),
			`specs/acme.yaml:8: request.embedding: rename: unknown field "dims" (fields: ` + embeddingFields + `)`},
		{"rename of a gateway field", acmeWith("  embedding:", "    rename: {provider: vendor}"),
			`specs/acme.yaml:8: request.embedding: rename: unknown field "provider" (fields: ` + embeddingFields + `)`},
		{"two renames to the same target", acmeWith("  chat:", "    rename:", "      seed: random_seed", "      n: random_seed"),
			`specs/acme.yaml:8: request.chat: rename: "n" and "seed" both become "random_seed"`},
		{"merge of fields with different types", acmeWith("  chat:", "    rename: {seed: max_tokens}"),
			`specs/acme.yaml:8: request.chat: rename: "seed" (opt.Int64) cannot fill "max_tokens" (opt.Int): types differ`},
		{"merge into a field that cannot be absent", acmeWith("  chat:", "    rename: {user: reasoning_effort}"),
			`specs/acme.yaml:8: request.chat: rename: "user" cannot fill "reasoning_effort": it has no notion of absent`},
	} {
		t.Run(c.name, func(t *testing.T) {
			var specs []*spec.Spec
			for _, f := range []struct{ file, src string }{{"specs/openai.yaml", mappingBase}, {"specs/acme.yaml", c.src}} {
				s, err := spec.Parse(f.file, []byte(f.src))
				if err != nil {
					t.Fatal(err)
				}
				specs = append(specs, s)
			}
			resolved, err := spec.Resolve(specs)
			if err != nil {
				t.Fatal(err)
			}
			out, err := emit.Generate(resolved)
			if err == nil {
				t.Fatalf("Generate succeeded with files %d, want %s", len(out.Files), c.want)
			}
			if err.Error() != c.want {
				t.Errorf("Generate error\n got: %s\nwant: %s", err, c.want)
			}
		})
	}
}

// TestMappingAccepted covers mappings that are valid although they look close to an error:
// a rename into a dropped field's name is a plain rename, two fields may swap names, and a
// field renamed to its own name is kept as it is.
func TestMappingAccepted(t *testing.T) {
	for _, c := range []struct {
		name    string
		request []string
		want    []string // lines of wire_gen.go, with spaces collapsed
	}{
		{"rename into a dropped field", []string{"  text:", "    rename: {best_of: n}", "    drop: [n]"},
			[]string{"BestOf opt.Int `json:\"n,omitempty\"`", "x.BestOf = r.BestOf"}},
		{"swap", []string{"  chat:", "    rename: {max_tokens: max_completion_tokens, max_completion_tokens: max_tokens}"},
			[]string{"MaxTokens opt.Int `json:\"max_completion_tokens,omitempty\"`", "MaxCompletionTokens opt.Int `json:\"max_tokens,omitempty\"`", "x.MaxTokens = r.MaxTokens"}},
		{"rename to itself", []string{"  embedding:", "    rename: {user: user}"},
			[]string{"User string `json:\"user,omitempty,nocopy\"`", "x.User = r.User"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			base, err := spec.Parse("specs/openai.yaml", []byte(mappingBase))
			if err != nil {
				t.Fatal(err)
			}
			acme, err := spec.Parse("specs/acme.yaml", []byte(acmeWith(c.request...)))
			if err != nil {
				t.Fatal(err)
			}
			resolved, err := spec.Resolve([]*spec.Spec{base, acme})
			if err != nil {
				t.Fatal(err)
			}
			out, err := emit.Generate(resolved)
			if err != nil {
				t.Fatal(err)
			}
			wire := string(out.Files["adapters/acme/wire_gen.go"])
			have := map[string]bool{}
			for _, line := range strings.Split(wire, "\n") {
				have[strings.Join(strings.Fields(line), " ")] = true
			}
			for _, line := range c.want {
				if !have[line] {
					t.Errorf("wire_gen.go lacks the line %q:\n%s", line, wire)
				}
			}
			if got := strings.Join(out.EasyJSON, ","); got != "adapters/acme" {
				t.Errorf("EasyJSON = %q, want adapters/acme", got)
			}
		})
	}
}

// TestGenerateWithoutMappings checks that a spec without request mappings has no wire file and
// needs no easyjson run.
func TestGenerateWithoutMappings(t *testing.T) {
	base, err := spec.Parse("specs/openai.yaml", []byte(mappingBase))
	if err != nil {
		t.Fatal(err)
	}
	resolved, err := spec.Resolve([]*spec.Spec{base})
	if err != nil {
		t.Fatal(err)
	}
	out, err := emit.Generate(resolved)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for p := range out.Files {
		paths = append(paths, p)
	}
	if len(paths) != 2 || out.Files["adapters/openai/openai_gen.go"] == nil || out.Files["adapters/registry_gen.go"] == nil {
		t.Errorf("files = %v, want adapters/openai/openai_gen.go and adapters/registry_gen.go", paths)
	}
	if len(out.EasyJSON) != 0 {
		t.Errorf("EasyJSON = %v, want none", out.EasyJSON)
	}
}
