package config

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// parseKeyID parses a JSON config whose only key has id lit (a JSON string literal) and
// returns the id that Parse read.
func parseKeyID(t testing.TB, lit []byte) (string, error) {
	t.Helper()
	doc := []byte(`{"providers": {"p": {"keys": [{"value": "v", "id": `)
	doc = append(doc, lit...)
	doc = append(doc, `}]}}}`...)
	cfg, err := Parse("strings.json", doc, getenv(nil))
	if err != nil {
		return "", err
	}
	return cfg.Providers["p"].Keys[0].ID, nil
}

// TestJSONStrings checks that JSON string literals read through yaml.v3 give the same
// strings as encoding/json, including the escapes and characters where YAML differs.
func TestJSONStrings(t *testing.T) {
	for _, lit := range []string{
		`"plain"`,
		`""`,
		`"\/"`,
		`"a\/b\\/c\\\/d"`,
		`"\"quoted\" \\ back"`,
		`"\b\f\n\r\t"`,
		`"\u0000\u001f\u007f"`,
		`"\u00e9\u00E9"`,
		`"\ud83d\ude00"`,
		`"\uD83D\uDE00x"`,
		`"\ud800"`,
		`"\udc00"`,
		`"\ud800\u0041"`,
		`"\ud800\ud800\udc00"`,
		`"\ud800\\u"`,
		"\"raw é 😀 日本\"",
		"\"del \x7f c1 \u0080 \u009f nel \u0085\"",
		"\"ls \u2028 ps \u2029\"",
		"\"bom \ufeff nonchar \ufffe \uffff\"",
		"\"bad utf8 \xff \xc3\x28 \xed\xa0\x80\"",
		`"tab\tinside"`,
		`"# not a comment"`,
		`"key: value"`,
		`"- dash"`,
		`"*alias &anchor !tag"`,
		`"{[,]}"`,
		`"   spaces   "`,
		`"env_not_a_ref"`,
	} {
		var want string
		if err := json.Unmarshal([]byte(lit), &want); err != nil {
			t.Fatalf("bad test literal %s: %v", lit, err)
		}
		got, err := parseKeyID(t, []byte(lit))
		if err != nil {
			t.Errorf("%s: %v", lit, err)
			continue
		}
		if got != want {
			t.Errorf("%s: got %q, want %q", lit, got, want)
		}
	}
}

// TestJSONNumbers checks how JSON numbers land in integer and float fields.
func TestJSONNumbers(t *testing.T) {
	for _, tc := range []struct {
		weight, concurrency string
		wantWeight          float64
		wantConcurrency     int
		wantErr             string
	}{
		{weight: "1", concurrency: "10", wantWeight: 1, wantConcurrency: 10},
		{weight: "0.25", concurrency: "1000000", wantWeight: 0.25, wantConcurrency: 1000000},
		{weight: "2.5e-1", concurrency: "7", wantWeight: 0.25, wantConcurrency: 7},
		{weight: "1E2", concurrency: "-0", wantWeight: 100, wantConcurrency: DefaultConcurrency},
		{weight: "-0", concurrency: "3", wantWeight: 0, wantErr: "providers.p.keys: at least one key must have a weight > 0"},
		{weight: "1e400", concurrency: "1", wantErr: "providers.p.keys[0].weight: must be a finite number"},
		{weight: "1", concurrency: "1e3", wantErr: "providers.p.concurrency_and_buffer_size.concurrency: must be an integer"},
		{weight: "1", concurrency: "10.0", wantErr: "providers.p.concurrency_and_buffer_size.concurrency: must be an integer"},
		{weight: "1", concurrency: `"10"`, wantErr: "providers.p.concurrency_and_buffer_size.concurrency: must be an integer"},
		{weight: "1", concurrency: "99999999999999999999", wantErr: "providers.p.concurrency_and_buffer_size.concurrency: must be between 1 and 1000000, or 0 for the default"},
		{weight: "1", concurrency: "-99999999999999999999", wantErr: "providers.p.concurrency_and_buffer_size.concurrency: must be between 1 and 1000000, or 0 for the default"},
		{weight: "true", concurrency: "1", wantErr: "providers.p.keys[0].weight: must be a number"},
	} {
		doc := `{"providers": {"p": {"keys": [{"value": "v", "weight": ` + tc.weight + `}],
"concurrency_and_buffer_size": {"concurrency": ` + tc.concurrency + `}}}}`
		cfg, err := Parse("n.json", []byte(doc), getenv(nil))
		if tc.wantErr != "" {
			if err == nil || !strings.HasSuffix(err.Error(), tc.wantErr) {
				t.Errorf("weight %s, concurrency %s: error %v, want %q", tc.weight, tc.concurrency, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("weight %s, concurrency %s: %v", tc.weight, tc.concurrency, err)
			continue
		}
		p := cfg.Providers["p"]
		if p.Keys[0].Weight != tc.wantWeight || p.Concurrency.Concurrency != tc.wantConcurrency {
			t.Errorf("weight %s, concurrency %s: got %v, %d", tc.weight, tc.concurrency, p.Keys[0].Weight, p.Concurrency.Concurrency)
		}
	}
}

// TestYAMLScalars checks YAML number and duration forms in the same fields.
func TestYAMLScalars(t *testing.T) {
	const doc = `
providers:
  p:
    keys: [{value: v, weight: 1_0}]
    concurrency_and_buffer_size: {concurrency: 0x10, buffer_size: 1_000}
    network_config:
      retry_backoff_initial: 1.5s
      retry_backoff_max: 0o17777
`
	cfg, err := Parse("s.yaml", []byte(doc), getenv(nil))
	if err != nil {
		t.Fatal(err)
	}
	p := cfg.Providers["p"]
	if p.Keys[0].Weight != 10 || p.Concurrency != (ConcurrencyAndBuffer{16, 1000}) ||
		p.Network.RetryBackoffInitial != 1500*time.Millisecond || p.Network.RetryBackoffMax != 8191*time.Millisecond {
		t.Errorf("got weight %v, %+v, backoff %v..%v", p.Keys[0].Weight, p.Concurrency, p.Network.RetryBackoffInitial, p.Network.RetryBackoffMax)
	}
}

// TestJSONLines checks that error lines stay right when strings are rewritten and the file
// uses tabs, CRLF or a byte order mark.
func TestJSONLines(t *testing.T) {
	const doc = "\xef\xbb\xbf{\r\n\t\"providers\": {\r\n\t\t\"p\": {\r\n" +
		"\t\t\t\"keys\": [{\"value\": \"\\ud83d\\ude00\\/\u2028\", \"id\": \"\u0085\"},\r\n" +
		"\t\t\t\t{\"value\": \"v\", \"weight\": -1}]\r\n\t\t}\r\n\t}\r\n}\r\n"
	_, err := Parse("lines.json", []byte(doc), getenv(nil))
	const want = "lines.json:5: providers.p.keys[1].weight: must be >= 0"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestYAMLSafeJSONUnchanged(t *testing.T) {
	data := []byte(`{"a": "plain \u00e9 \n text", "b": [1, 2.5, true, null]}`)
	if out := yamlSafeJSON(data); &out[0] != &data[0] {
		t.Error("yamlSafeJSON copied a document that needed no rewriting")
	}
}

// FuzzJSONStrings checks, for any valid JSON string literal, that Parse reads it as
// encoding/json does.
func FuzzJSONStrings(f *testing.F) {
	for _, s := range []string{`"a"`, `"\/"`, `"\ud83d\ude00"`, `"\ud800"`, "\"\u2028\"", "\"\x7f\"", "\"\xff\""} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, lit []byte) {
		var want string
		lit = bytes.TrimSpace(lit)
		if len(lit) == 0 || lit[0] != '"' || json.Unmarshal(lit, &want) != nil {
			return
		}
		got, err := parseKeyID(t, lit)
		if err != nil {
			t.Fatalf("%q: %v", lit, err)
		}
		if got != want {
			t.Fatalf("%q: got %q, want %q", lit, got, want)
		}
		if !utf8.ValidString(got) {
			t.Fatalf("%q: invalid UTF-8 result", lit)
		}
	})
}

func TestJSONSyntaxErrorHidesCharacter(t *testing.T) {
	for doc, want := range map[string]string{
		"{\"providers\": {\"p\": {\"keys\": [{\"value\": \"sk-\x01\"}]}}}": "s.json:1: invalid JSON: invalid character in string literal",
		"{\n\"a\": x}":                         "s.json:2: invalid JSON: invalid character looking for beginning of value",
		"{\n\n\"a\": '}":                       "s.json:3: invalid JSON: invalid character looking for beginning of value",
		"{\"a\": 1}}":                          "s.json:1: invalid JSON: invalid character after top-level value",
		"{\"a\": \"\\q\"}":                     "s.json:1: invalid JSON: invalid character in string escape code",
		"{\"a\": 1,\n \"b\": \"unterminated\n": "s.json:2: invalid JSON: invalid character in string literal",
	} {
		_, err := Parse("s.json", []byte(doc), getenv(nil))
		if err == nil || err.Error() != want {
			t.Errorf("%q: error %v, want %s", doc, err, want)
		}
	}
}
