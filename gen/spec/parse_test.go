package spec_test

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/gen/spec"
)

// lines joins YAML lines, so that a case's line numbers can be read off its position.
func lines(ls ...string) string { return strings.Join(ls, "\n") + "\n" }

// The lines of a valid compat spec, specs/acme.yaml.
const (
	lName   = "name: acme"
	lCompat = "compat: openai"
	lBase   = "base_url: https://api.acme.com"
	lAuth   = "auth: {scheme: bearer}"
	lOps    = "operations: [chat, chat_stream]"
	lDocs   = "docs: https://docs.acme.com"
)

const knownTop = "api_version, auth, base_url, base_url_required, base_urls, codec, compat, docs, format, headers, key_config, key_optional, model_paths, name, notes, operations, paths, request, stream, title"

func TestParseValid(t *testing.T) {
	src := lines(
		"# ACME's OpenAI-compatible API.",
		lName,
		"title: ACME AI",
		lCompat,
		"base_url: http://api.acme.com:8080/openai",
		"auth: {scheme: header, header: X-Api-Key, prefix: 'Token '}",
		"key_optional: true",
		"headers:",
		"  X-Version: '2024-01-01'",
		"  Accept-Encoding: identity",
		"operations: [models, embedding, chat_stream, chat]",
		"paths: {models: /models}",
		"request:",
		"  chat:",
		"    rename: {seed: random_seed, max_completion_tokens: max_tokens}",
		"    drop: [user, logit_bias]",
		"docs: https://docs.acme.com/",
		"notes: a note",
	)
	s, err := spec.Parse("specs/acme.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := spec.Spec{
		File:        "specs/acme.yaml",
		Name:        "acme",
		Title:       "ACME AI",
		Compat:      "openai",
		BaseURL:     "http://api.acme.com:8080/openai",
		Auth:        spec.Auth{Scheme: "header", Header: "X-Api-Key", Prefix: "Token "},
		KeyOptional: true,
		Headers:     []spec.Header{{Name: "Accept-Encoding", Value: "identity"}, {Name: "X-Version", Value: "2024-01-01"}},
		Operations:  []spec.Operation{spec.OpChat, spec.OpChatStream, spec.OpEmbedding, spec.OpModels},
		Paths:       map[spec.Operation]string{spec.OpModels: "/models"},
		Requests: map[string]*spec.Mapping{"chat": {
			Rename: map[string]string{"seed": "random_seed", "max_completion_tokens": "max_tokens"},
			Drop:   []string{"logit_bias", "user"},
			Line:   15,
		}},
		Docs:  "https://docs.acme.com/",
		Notes: "a note",
	}
	got := *s
	for _, c := range []struct {
		name string
		got  any
		want any
	}{
		{"File", got.File, want.File}, {"Name", got.Name, want.Name}, {"Title", got.Title, want.Title},
		{"Format", got.Format, want.Format}, {"Compat", got.Compat, want.Compat}, {"BaseURL", got.BaseURL, want.BaseURL},
		{"BaseURLRequired", got.BaseURLRequired, want.BaseURLRequired}, {"Auth", got.Auth, want.Auth},
		{"KeyOptional", got.KeyOptional, want.KeyOptional}, {"Headers", got.Headers, want.Headers},
		{"Operations", got.Operations, want.Operations}, {"Paths", got.Paths, want.Paths},
		{"Requests", got.Requests, want.Requests}, {"Docs", got.Docs, want.Docs}, {"Notes", got.Notes, want.Notes},
	} {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
		}
	}
	for key, line := range map[string]int{"name": 2, "compat": 4, "operations": 11, "docs": 17, "missing": 0} {
		if got := s.Line(key); got != line {
			t.Errorf("Line(%q) = %d, want %d", key, got, line)
		}
	}
	if !s.Supports(spec.OpEmbedding) || s.Supports(spec.OpText) {
		t.Errorf("Supports: embedding %v, text %v; want true, false", s.Supports(spec.OpEmbedding), s.Supports(spec.OpText))
	}
}

func TestParseDefaults(t *testing.T) {
	s, err := spec.Parse("specs/acme.yaml", []byte(lines(lName, lCompat, lBase, lAuth, lOps, lDocs)))
	if err != nil {
		t.Fatal(err)
	}
	if s.Title != "acme" {
		t.Errorf("Title = %q, want the name", s.Title)
	}
	if s.Auth != (spec.Auth{Scheme: "bearer"}) || s.KeyOptional || s.BaseURLRequired || s.Headers != nil {
		t.Errorf("unexpected defaults: %+v", s)
	}
	if len(s.Paths) != 0 || len(s.Requests) != 0 {
		t.Errorf("Paths %v and Requests %v, want both empty", s.Paths, s.Requests)
	}

	self, err := spec.Parse("specs/local.yaml", []byte(lines(
		"name: local", lCompat, "base_url_required: true", "auth: {scheme: none}", lOps, lDocs)))
	if err != nil {
		t.Fatal(err)
	}
	if !self.BaseURLRequired || self.BaseURL != "" || self.Auth.Scheme != spec.AuthNone {
		t.Errorf("self-hosted spec: %+v", self)
	}
}

// TestParseErrors has one case per validation rule of Parse, with the exact error.
func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		file string // default specs/acme.yaml
		src  string
		want string
	}{
		// Structure and unknown keys.
		{"invalid YAML", "", lines(lName, "title: ACME: AI", lDocs),
			"specs/acme.yaml:2: invalid YAML: mapping values are not allowed in this context"},
		{"invalid YAML tab", "", lines(lName, "auth:", "\tscheme: bearer"),
			"specs/acme.yaml:3: invalid YAML: found character that cannot start any token"},
		{"empty", "", "# nothing here\n", "specs/acme.yaml: empty spec"},
		{"two documents", "", lines(lName, lCompat, lBase, lAuth, lOps, lDocs, "---", "name: other"),
			"specs/acme.yaml:7: a spec is one YAML document: remove the second one"},
		{"keyword name", "specs/func.yaml", lines("name: func", lCompat, lBase, lAuth, lOps, lDocs),
			`specs/func.yaml:1: name "func" cannot be a Go package name here (a keyword, main, or a helper package)`},
		{"main name", "specs/main.yaml", lines("name: main", lCompat, lBase, lAuth, lOps, lDocs),
			`specs/main.yaml:1: name "main" cannot be a Go package name here (a keyword, main, or a helper package)`},
		{"title with a newline", "", lines(lName, `title: "ACME\n*/ func x() {}"`, lCompat, lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:2: title must be one non-empty line of text"},
		{"header value with CR LF", "", lines(lName, lCompat, lBase, lAuth, `headers: {X-A: "v\r\nX-Injected: 1"}`, lOps, lDocs),
			`specs/acme.yaml:5: header "X-A": the value must not have control characters (CR or LF would inject headers)`},
		{"base_url with an empty query", "", lines(lName, lCompat, "base_url: https://api.acme.com?", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must not have a query, a fragment or control characters"},
		{"not a mapping", "", "- name: acme\n", "specs/acme.yaml:1: the spec must be a mapping"},
		{"unknown top-level key", "", lines(lName, lCompat, lBase, lAuth, lOps, lDocs, "color: blue"),
			`specs/acme.yaml:7: unknown key "color" in the spec (known: ` + knownTop + `)`},
		{"duplicate top-level key", "", lines(lName, lCompat, lBase, lAuth, lOps, lDocs, "docs: https://acme.com"),
			`specs/acme.yaml:7: duplicate key "docs" in the spec`},
		{"unknown key in auth", "", lines(lName, lCompat, lBase, "auth:", "  scheme: bearer", "  token: x", lOps, lDocs),
			`specs/acme.yaml:6: unknown key "token" in auth (known: header, prefix, scheme, service)`},
		{"unknown key in paths", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chats: /v1/chat", lDocs),
			`specs/acme.yaml:7: unknown key "chats" in paths (known: chat, chat_stream, count_tokens, embedding, models, responses, responses_stream, text, text_stream)`},
		{"unknown operation in request", "", lines(lName, lCompat, lBase, lAuth, "operations: [chat, models]", "request:", "  models: {drop: [x]}", lDocs),
			`specs/acme.yaml:7: unknown key "models" in request (known: chat, embedding, text)`},
		{"unknown key in request mapping", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    keep: [model]", lDocs),
			`specs/acme.yaml:8: unknown key "keep" in request.chat (known: drop, rename)`},
		{"auth not a mapping", "", lines(lName, lCompat, lBase, "auth: bearer", lOps, lDocs),
			"specs/acme.yaml:4: auth must be a mapping"},

		// Required keys.
		{"missing name", "", lines(lCompat, lBase, lAuth, lOps, lDocs),
			`specs/acme.yaml:1: missing required key "name"`},
		{"missing docs", "", lines("# a comment", lName, lCompat, lBase, lAuth, lOps),
			`specs/acme.yaml:2: missing required key "docs"`},
		{"missing operations", "", lines(lName, lCompat, lBase, lAuth, lDocs),
			`specs/acme.yaml:1: missing required key "operations"`},
		{"missing auth", "", lines(lName, lCompat, lBase, lOps, lDocs),
			`specs/acme.yaml:1: missing required key "auth"`},

		// name and title.
		{"name not matching file", "specs/acme_ai.yaml", lines(lName, lCompat, lBase, lAuth, lOps, lDocs),
			`specs/acme_ai.yaml:1: name "acme" must match the file name "acme_ai"`},
		{"name upper case", "specs/Acme.yaml", lines("name: Acme", lCompat, lBase, lAuth, lOps, lDocs),
			`specs/Acme.yaml:1: name "Acme" must be lower case letters, digits and _ and start with a letter`},
		{"name with dash", "specs/acme-ai.yaml", lines("name: acme-ai", lCompat, lBase, lAuth, lOps, lDocs),
			`specs/acme-ai.yaml:1: name "acme-ai" must be lower case letters, digits and _ and start with a letter`},
		{"name starting with a digit", "specs/1acme.yaml", lines("name: 1acme", lCompat, lBase, lAuth, lOps, lDocs),
			`specs/1acme.yaml:1: name "1acme" must be lower case letters, digits and _ and start with a letter`},
		{"name not a string", "", lines("name: [acme]", lCompat, lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:1: name must be a string"},
		{"name null", "", lines("name:", lCompat, lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:1: name must be a string"},
		{"title not a string", "", lines(lName, "title: {a: b}", lCompat, lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:2: title must be a string"},

		// format and compat.
		{"format and compat", "", lines(lName, "format: openai", lCompat, lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:3: a spec has either format (a base) or compat (reuses a base), not both"},
		{"neither format nor compat", "", lines(lName, lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:1: missing key: format (for a base spec) or compat (to reuse a base)"},
		{"unsupported format", "", lines(lName, "format: anthropic", lBase, lAuth, lOps, lDocs),
			`specs/acme.yaml:2: format "anthropic" needs codec: the Go type in adapters/acme/ that converts it by hand`},
		{"codec not a type name", "", lines(lName, "format: anthropic", "codec: anthropic", lBase, lAuth, lOps, lDocs),
			`specs/acme.yaml:3: codec "anthropic" must be an exported Go type name, declared in adapters/acme/ (such as Codec)`},
		{"compat with itself", "", lines(lName, "compat: acme", lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:2: a spec cannot be compat with itself"},

		// base_url.
		{"base_url and base_url_required", "", lines(lName, lCompat, "base_url_required: true", lBase, lAuth, lOps, lDocs),
			"specs/acme.yaml:4: base_url conflicts with base_url_required: true"},
		{"missing base_url", "", lines(lName, lCompat, lAuth, lOps, lDocs),
			"specs/acme.yaml:1: missing key: base_url (or base_url_required: true for self-hosted providers)"},
		{"missing base_url, base_url_required false", "", lines(lName, lCompat, "base_url_required: false", lAuth, lOps, lDocs),
			"specs/acme.yaml:1: missing key: base_url (or base_url_required: true for self-hosted providers)"},
		{"base_url_required not a bool", "", lines(lName, lCompat, "base_url_required: yes", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url_required must be true or false"},
		{"relative base_url", "", lines(lName, lCompat, "base_url: api.acme.com", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must be an absolute http or https URL"},
		{"base_url without host", "", lines(lName, lCompat, "base_url: https:///v1", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must be an absolute http or https URL"},
		{"base_url not http", "", lines(lName, lCompat, "base_url: ftp://api.acme.com", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must be an absolute http or https URL"},
		{"base_url with trailing slash", "", lines(lName, lCompat, "base_url: https://api.acme.com/openai/", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must not end with /"},
		{"base_url with query", "", lines(lName, lCompat, "base_url: https://api.acme.com?version=2", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must not have a query, a fragment or control characters"},
		{"base_url with fragment", "", lines(lName, lCompat, "base_url: https://api.acme.com#top", lAuth, lOps, lDocs),
			"specs/acme.yaml:3: base_url must not have a query, a fragment or control characters"},

		// auth.
		{"auth without scheme", "", lines(lName, lCompat, lBase, "auth: {header: X-Key}", lOps, lDocs),
			`specs/acme.yaml:4: auth: missing key "scheme" (bearer, header, none, sigv4 or google_oauth)`},
		{"bad auth scheme", "", lines(lName, lCompat, lBase, "auth: {scheme: basic}", lOps, lDocs),
			`specs/acme.yaml:4: auth.scheme "basic" is not one of bearer, header, none, sigv4, google_oauth`},
		{"header scheme without header", "", lines(lName, lCompat, lBase, "auth:", "  scheme: header", "  prefix: 'Key '", lOps, lDocs),
			"specs/acme.yaml:5: auth: scheme header needs a header name"},
		{"bad auth header name", "", lines(lName, lCompat, lBase, "auth: {scheme: header, header: 'X Key'}", lOps, lDocs),
			`specs/acme.yaml:4: auth.header "X Key" is not a valid header name`},
		{"prefix with bearer", "", lines(lName, lCompat, lBase, "auth:", "  scheme: bearer", "  prefix: 'Token '", lOps, lDocs),
			"specs/acme.yaml:6: auth.prefix is only for scheme header"},
		{"header with none", "", lines(lName, lCompat, lBase, "auth:", "  scheme: none", "  header: X-Key", lOps, lDocs),
			"specs/acme.yaml:6: auth.header is only for scheme header"},
		{"key_optional not a bool", "", lines(lName, lCompat, lBase, lAuth, "key_optional: 1", lOps, lDocs),
			"specs/acme.yaml:5: key_optional must be true or false"},

		// Static headers.
		{"headers not a mapping", "", lines(lName, lCompat, lBase, lAuth, "headers: [X-A]", lOps, lDocs),
			"specs/acme.yaml:5: headers must be a mapping of header name to value"},
		{"bad static header name", "", lines(lName, lCompat, lBase, lAuth, "headers:", "  X-Ok: a", "  X_Bad: b", lOps, lDocs),
			`specs/acme.yaml:7: header "X_Bad" is not a valid header name`},
		{"duplicate static header", "", lines(lName, lCompat, lBase, lAuth, "headers:", "  X-Version: a", "  x-version: b", lOps, lDocs),
			`specs/acme.yaml:7: duplicate header "x-version"`},
		{"reserved static header", "", lines(lName, lCompat, lBase, lAuth, "headers:", "  authorization: Bearer x", lOps, lDocs),
			`specs/acme.yaml:6: header "authorization" is set by the gateway and cannot be a static header`},
		{"reserved static header Host", "", lines(lName, lCompat, lBase, lAuth, "headers: {Host: acme.com}", lOps, lDocs),
			`specs/acme.yaml:5: header "Host" is set by the gateway and cannot be a static header`},
		{"static header value not a string", "", lines(lName, lCompat, lBase, lAuth, "headers:", "  X-A: [a]", lOps, lDocs),
			"specs/acme.yaml:6: header X-A must be a string"},

		// Operations.
		{"operations not a list", "", lines(lName, lCompat, lBase, lAuth, "operations: chat", lDocs),
			"specs/acme.yaml:5: operations must be a list"},
		{"no operations", "", lines(lName, lCompat, lBase, lAuth, "operations: []", lDocs),
			"specs/acme.yaml:5: operations must list at least one operation"},
		{"unknown operation", "", lines(lName, lCompat, lBase, lAuth, "operations:", "  - chat", "  - images", lDocs),
			`specs/acme.yaml:7: unknown operation "images" (known: chat, chat_stream, text, text_stream, embedding, models, count_tokens, responses, responses_stream)`},
		{"duplicate operation", "", lines(lName, lCompat, lBase, lAuth, "operations:", "  - chat", "  - models", "  - chat", lDocs),
			`specs/acme.yaml:8: operation "chat" is listed twice`},
		{"chat_stream without chat", "", lines(lName, lCompat, lBase, lAuth, "operations:", "  - models", "  - chat_stream", lDocs),
			"specs/acme.yaml:7: chat_stream needs chat"},
		{"text_stream without text", "", lines(lName, lCompat, lBase, lAuth, "operations: [chat, text_stream]", lDocs),
			"specs/acme.yaml:5: text_stream needs text"},
		{"responses_stream without responses", "", lines(lName, lCompat, lBase, lAuth, "operations: [chat, responses_stream]", lDocs),
			"specs/acme.yaml:5: responses_stream needs responses"},

		// Paths.
		{"paths not a mapping", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths: /v1", lDocs),
			"specs/acme.yaml:6: paths must be a mapping"},
		{"relative path", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: v1/chat/completions", lDocs),
			`specs/acme.yaml:7: paths.chat "v1/chat/completions" must start with / and have no fragment, space or control character`},
		{"path with fragment", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: /v1/chat#x", lDocs),
			`specs/acme.yaml:7: paths.chat "/v1/chat#x" must start with / and have no fragment, space or control character`},
		{"unknown placeholder", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: /v1/{modle}/chat", lDocs),
			`specs/acme.yaml:7: paths.chat uses unknown placeholder {modle} (known: {model}, {deployment}, {api_version}, {region}, {project}, {endpoint})`},
		{"model twice", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: /v1/{model}/{deployment}", lDocs),
			`specs/acme.yaml:7: paths.chat uses {model} or {deployment} more than once`},
		{"endpoint in path", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: /{endpoint}/chat", lDocs),
			`specs/acme.yaml:7: paths.chat: {endpoint} is only for base_url`},
		{"path with space", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: /v1/chat completions", lDocs),
			`specs/acme.yaml:7: paths.chat "/v1/chat completions" must start with / and have no fragment, space or control character`},
		{"path not a string", "", lines(lName, lCompat, lBase, lAuth, lOps, "paths:", "  chat: [/v1/chat]", lDocs),
			"specs/acme.yaml:7: paths.chat must be a string"},

		// Request mappings.
		{"request for an unlisted operation", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  text:", "    drop: [user]", lDocs),
			"specs/acme.yaml:8: request.text maps an operation the provider does not list"},
		{"rename not a mapping", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    rename: [seed]", lDocs),
			"specs/acme.yaml:8: request.chat.rename must be a mapping of unified field to provider field"},
		{"rename to a bad name", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    rename:", "      seed: RandomSeed", lDocs),
			`specs/acme.yaml:9: request.chat.rename: "seed" -> "RandomSeed": field names are lower case JSON names`},
		{"rename to a list", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    rename:", "      seed: [a]", lDocs),
			`specs/acme.yaml:9: request.chat.rename: "seed" -> "": field names are lower case JSON names`},
		{"renamed twice", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    rename:", "      seed: random_seed", "      seed: rng_seed", lDocs),
			`specs/acme.yaml:10: request.chat.rename: "seed" is renamed twice`},
		{"renamed and dropped", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    rename: {seed: random_seed}", "    drop:", "      - user", "      - seed", lDocs),
			`specs/acme.yaml:11: request.chat: "seed" is both renamed and dropped`},
		{"drop not a list", "", lines(lName, lCompat, lBase, lAuth, lOps, "request:", "  chat:", "    drop: user", lDocs),
			"specs/acme.yaml:8: request.chat.drop must be a list"},

		// model_paths.
		{"model_paths not a list", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths: {prefix: x}", lDocs),
			"specs/acme.yaml:6: model_paths must be a non-empty list of {prefix, paths}"},
		{"model_paths empty", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths: []", lDocs),
			"specs/acme.yaml:6: model_paths must be a non-empty list of {prefix, paths}"},
		{"model_paths unknown key", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - prefix: x-", "    path: {chat: /x}", lDocs),
			`specs/acme.yaml:8: unknown key "path" in model_paths[0] (known: codec, paths, prefix)`},
		{"model_paths missing paths", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - prefix: x-", lDocs),
			`specs/acme.yaml:7: model_paths[0]: missing key "paths"`},
		{"model_paths codec without a spec codec", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - {prefix: x-, codec: XCodec, paths: {chat: /x}}", lDocs),
			"specs/acme.yaml:7: model_paths[0].codec is for a spec with a codec of its own (a base spec whose format is not openai)"},
		{"model_paths codec not a type name", "", lines(lName, "format: acme", "codec: Codec", lBase, lAuth, lOps, "model_paths:", "  - {prefix: x-, codec: x_codec, paths: {chat: /x}}", lDocs),
			`specs/acme.yaml:8: model_paths[0].codec "x_codec" must be an exported Go type name, declared in adapters/acme/ beside Codec`},
		{"model_paths empty prefix", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", `  - prefix: ""`, "    paths: {chat: /x}", lDocs),
			"specs/acme.yaml:7: model_paths[0].prefix must be a non-empty model name prefix without control characters"},
		{"model_paths shadowed prefix", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:",
			"  - {prefix: claude-, paths: {chat: /a}}", "  - {prefix: claude-3, paths: {chat: /b}}", lDocs),
			`specs/acme.yaml:8: model_paths[1].prefix "claude-3" is never used: model_paths[0] (prefix "claude-") matches those models first`},
		{"model_paths no paths", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - {prefix: x-, paths: {}}", lDocs),
			"specs/acme.yaml:7: model_paths[0].paths must give at least one path"},
		{"model_paths unknown operation", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - prefix: x-", "    paths:", "      chats: /x", lDocs),
			`specs/acme.yaml:9: unknown key "chats" in model_paths[0].paths (known: chat, chat_stream, count_tokens, embedding, models, responses, responses_stream, text, text_stream)`},
		{"model_paths unlisted operation", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - prefix: x-", "    paths:", "      chat: /x", "      embedding: /e", lDocs),
			"specs/acme.yaml:10: model_paths[0].paths.embedding: the provider does not list operation embedding"},
		{"model_paths bad path", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - prefix: x-", "    paths: {chat: 'x/{model}'}", lDocs),
			`specs/acme.yaml:8: model_paths[0].paths.chat "x/{model}" must start with / and have no fragment, space or control character`},
		{"model_paths bad placeholder", "", lines(lName, lCompat, lBase, lAuth, lOps, "model_paths:", "  - prefix: x-", "    paths: {chat: '/m/{modle}'}", lDocs),
			"specs/acme.yaml:8: model_paths[0].paths.chat uses unknown placeholder {modle} (known: {model}, {deployment}, {api_version}, {region}, {project}, {endpoint})"},

		// base_urls.
		{"base_urls not a mapping", "", lines(lName, lCompat, lBase, lAuth, lOps, "base_urls: [https://x.acme.com]", lDocs),
			"specs/acme.yaml:6: base_urls must be a mapping"},
		{"base_urls empty", "", lines(lName, lCompat, lBase, lAuth, lOps, "base_urls: {}", lDocs),
			"specs/acme.yaml:6: base_urls must give at least one operation's base URL"},
		{"base_urls unknown operation", "", lines(lName, lCompat, lBase, lAuth, lOps, "base_urls:", "  list: https://x.acme.com", lDocs),
			`specs/acme.yaml:7: unknown key "list" in base_urls (known: chat, chat_stream, count_tokens, embedding, models, responses, responses_stream, text, text_stream)`},
		{"base_urls unlisted operation", "", lines(lName, lCompat, lBase, lAuth, lOps, "base_urls:", "  models: https://x.acme.com", lDocs),
			"specs/acme.yaml:7: base_urls.models: the provider does not list operation models"},
		{"base_urls bad URL", "", lines(lName, lCompat, lBase, lAuth, lOps, "base_urls:", "  chat: https://x.acme.com/", lDocs),
			"specs/acme.yaml:7: base_urls.chat must not end with /"},
		{"base_urls bad placeholder", "", lines(lName, lCompat, lBase, lAuth, lOps, "base_urls:", "  chat: 'https://{regoin}.acme.com'", lDocs),
			"specs/acme.yaml:7: base_urls.chat uses unknown placeholder {regoin} (known: {model}, {deployment}, {api_version}, {region}, {project}, {endpoint})"},
		{"base_urls and base_url_required", "", lines(lName, lCompat, "base_url_required: true", lAuth, lOps, "base_urls:", "  chat: https://x.acme.com", lDocs),
			"specs/acme.yaml:7: base_urls conflicts with base_url_required: true"},

		// key_config.
		{"key_config not a Go name", "", lines(lName, lCompat, lBase, lAuth, lOps, "key_config: keyConfig", lDocs),
			`specs/acme.yaml:6: key_config "keyConfig" must be an exported Go variable name, declared in adapters/<name>/ (such as KeyConfigSpec)`},
		{"key_config not a string", "", lines(lName, lCompat, lBase, lAuth, lOps, "key_config: [A]", lDocs),
			"specs/acme.yaml:6: key_config must be a string"},

		// docs and notes.
		{"docs not a URL", "", lines(lName, lCompat, lBase, lAuth, lOps, "docs: docs.acme.com"),
			"specs/acme.yaml:6: docs must be an absolute http or https URL"},
		{"notes not a string", "", lines(lName, lCompat, lBase, lAuth, lOps, lDocs, "notes: [a]"),
			"specs/acme.yaml:7: notes must be a string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			file := c.file
			if file == "" {
				file = "specs/acme.yaml"
			}
			s, err := spec.Parse(file, []byte(c.src))
			if err == nil {
				t.Fatalf("Parse succeeded (%+v), want %s", s, c.want)
			}
			if err.Error() != c.want {
				t.Errorf("Parse error\n got: %s\nwant: %s", err, c.want)
			}
			var se *spec.Error
			if !errors.As(err, &se) || se.File != file {
				t.Errorf("error %#v is not a *spec.Error for %s", err, file)
			}
		})
	}
}

// TestParseModelPaths reads model_paths in file order, with each entry's line.
func TestParseModelPaths(t *testing.T) {
	s := mustParse(t, "specs/acme.yaml", lines(lName, lCompat, lBase, lAuth, lOps,
		"model_paths:",
		"  - prefix: claude-",
		"    paths:",
		"      chat: /anthropic/{model}:rawPredict",
		"      chat_stream: /anthropic/{model}:streamRawPredict",
		"  - prefix: llama",
		"    paths: {chat: '/meta/{model}'}",
		lDocs))
	want := []spec.ModelPaths{
		{Prefix: "claude-", Line: 7, Paths: map[spec.Operation]string{
			spec.OpChat: "/anthropic/{model}:rawPredict", spec.OpChatStream: "/anthropic/{model}:streamRawPredict"}},
		{Prefix: "llama", Line: 11, Paths: map[spec.Operation]string{spec.OpChat: "/meta/{model}"}},
	}
	if !reflect.DeepEqual(s.ModelPaths, want) {
		t.Errorf("ModelPaths = %+v, want %+v", s.ModelPaths, want)
	}
}

func TestErrorString(t *testing.T) {
	for _, c := range []struct {
		err  spec.Error
		want string
	}{
		{spec.Error{File: "specs/a.yaml", Line: 3, Reason: "bad"}, "specs/a.yaml:3: bad"},
		{spec.Error{File: "specs/a.yaml", Reason: "bad"}, "specs/a.yaml: bad"},
	} {
		if got := c.err.Error(); got != c.want {
			t.Errorf("Error() = %q, want %q", got, c.want)
		}
	}
}

// FuzzParse checks that Parse never panics and that every error names the spec file first.
func FuzzParse(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("..", "..", "specs", "*.yaml"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no seed specs under ../../specs (%v)", err)
	}
	for _, path := range files {
		data, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add("specs/"+filepath.Base(path), data)
	}
	for _, broken := range []string{
		"",
		"---\n",
		"name: [acme\n",
		"\tname: acme\n",
		"- a\n- b\n",
		"a: &x [1]\nb: *x\n",
		"name: acme\n<<: {docs: x}\n",
		lines(lName, lCompat, lBase, lAuth, lOps, "request: {chat: {rename: {seed: [a]}, drop: [seed]}}", lDocs),
		lines(lName, lCompat, lBase, "auth: {scheme: header, header: X-Key, prefix: 'K '}", "headers: {X-A: ~}", lOps, lDocs),
		lines(lName, lCompat, "base_url_required: true", "key_optional: true", "auth: {scheme: none}", "operations: [text_stream, text]", "paths: {text: /c}", lDocs),
		lines(lName, "format: openai", lBase, lAuth, lOps, "paths: {chat: ~, models: /m}", lDocs),
	} {
		f.Add("specs/acme.yaml", []byte(broken))
	}
	f.Fuzz(func(t *testing.T, file string, data []byte) {
		s, err := spec.Parse(file, data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), file) {
				t.Fatalf("error %q does not start with the file name %q", err, file)
			}
			var se *spec.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %#v is not a *spec.Error", err)
			}
			return
		}
		if s.Name != strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)) {
			t.Fatalf("accepted name %q for file %q", s.Name, file)
		}
		if len(s.Operations) == 0 || (s.BaseURL == "") != s.BaseURLRequired || (s.Format == "") == (s.Compat == "") {
			t.Fatalf("accepted an incomplete spec: %+v", s)
		}
		for op, p := range s.Paths {
			if !strings.HasPrefix(p, "/") {
				t.Fatalf("accepted path %q for %s", p, op)
			}
		}
	})
}
