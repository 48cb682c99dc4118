package convert

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

func TestAppendUnquoted(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{`""`, "", true},
		{`"plain"`, "plain", true},
		{`"a\"b\\c\/d"`, `a"b\c/d`, true},
		{`"\b\f\n\r\t"`, "\b\f\n\r\t", true},
		{`"\u00e9\u00E9"`, "éé", true},
		{`"\ud83d\ude00!"`, "😀!", true},
		{`"\ud83d"`, "\ufffd", true},                     // lone high surrogate
		{`"\ude00x"`, "\ufffdx", true},                   // lone low surrogate
		{`"\ud83d\u0041"`, "\ufffdA", true},              // high surrogate, then no low one
		{`"\ud83d\ud83d\ude00"`, "\ufffd😀", true},        // a high surrogate, then a pair
		{"\"raw\xffbyte\x01\"", "raw\xffbyte\x01", true}, // passed through unchanged
		{`"bad \x"`, "bad ", false},
		{`"\u12"`, "", false},
		{`"\u12g4"`, "", false},
		{`"\ud83d\u12"`, "\ufffd", false},
		{`"trailing\"`, "trailing", false}, // the last quote is escaped: a lone backslash ends the content
		{`"end\`, "", false},               // not a quoted string
		{`null`, "", false},
		{``, "", false},
		{`"`, "", false},
	} {
		got, ok := AppendUnquoted([]byte("prefix:"), schemas.Text(tc.in))
		if ok != tc.ok || (ok && string(got) != "prefix:"+tc.want) {
			t.Errorf("AppendUnquoted(%q) = %q, %v; want %q, %v", tc.in, got, ok, "prefix:"+tc.want, tc.ok)
		}
	}
	// Bad escapes leave what was decoded before them.
	if got, ok := AppendUnescaped(nil, []byte(`ab\qcd`)); ok || string(got) != "ab" {
		t.Errorf(`AppendUnescaped("ab\qcd") = %q, %v; want "ab", false`, got, ok)
	}
	if got, ok := AppendUnescaped(nil, []byte(`ab\`)); ok || string(got) != "ab" {
		t.Errorf(`AppendUnescaped("ab\") = %q, %v; want "ab", false`, got, ok)
	}
}

func TestAppendQuoted(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", `""`},
		{`{"a":"b\"c"}`, `"{\"a\":\"b\\\"c\"}"`},
		{"x\ny\rz\tw", `"x\ny\rz\tw"`},
		{"\x00\x1f\x7f", `"\u0000\u001f` + "\x7f" + `"`},
		{"é<>&\xff", "\"é<>&\xff\""},
	} {
		if got := string(AppendQuoted([]byte("p:"), []byte(tc.in))); got != "p:"+tc.want {
			t.Errorf("AppendQuoted(%q) = %s, want p:%s", tc.in, got, tc.want)
		}
	}
	if got := string(QuoteJSON(nil, ToolArguments)); got != `"{}"` {
		t.Errorf("QuoteJSON(nil) = %s", got)
	}
	if got := string(QuoteJSON(schemas.Raw(`{"q": "bifrost"}`), KeepSpacing)); got != `"{\"q\": \"bifrost\"}"` {
		t.Errorf("QuoteJSON(KeepSpacing) = %s", got)
	}
	if got := string(QuoteJSON(schemas.Raw(`{"q": "bifrost"}`), Compact)); got != `"{\"q\":\"bifrost\"}"` {
		t.Errorf("QuoteJSON(Compact) = %s", got)
	}
}

// TestQuoteJSONCompact checks Compact against encoding/json's Compact followed by quoting:
// whitespace outside strings goes, whitespace and escaped quotes inside strings stay.
func TestQuoteJSONCompact(t *testing.T) {
	for _, in := range []string{
		`{}`,
		"{\n  \"location\" : \"San Francisco, CA\",\n\t\"unit\": [ 1, 2 ]\r\n}",
		`{"a": "x \" y", "b": "back\\", "c": " spaced  out ", "d": {"e": null}}`,
		`  "just a string"  `,
		`[ "\\\"", " ", "\u00e9" ]`,
	} {
		var want bytes.Buffer
		if err := json.Compact(&want, []byte(in)); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		got := QuoteJSON(schemas.Raw(in), Compact)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("QuoteJSON(%s) = %s, not a JSON string: %v", in, got, err)
		}
		if back != want.String() {
			t.Errorf("QuoteJSON(%s, Compact) holds %s, want %s", in, back, want.String())
		}
		if kept := string(QuoteJSON(schemas.Raw(in), KeepSpacing)); kept != string(AppendQuoted(nil, []byte(in))) {
			t.Errorf("QuoteJSON(%s, KeepSpacing) = %s", in, kept)
		}
	}
}

func TestJoinText(t *testing.T) {
	for _, tc := range []struct{ a, b, want string }{
		{`"ab"`, `"cd"`, `"abcd"`},
		{`"a\n"`, `"\"b"`, `"a\n\"b"`},
		{``, `"cd"`, `"cd"`},
		{`null`, `"cd"`, `"cd"`},
		{`""`, `"cd"`, `"cd"`},
		{`"ab"`, ``, `"ab"`},
		{`"ab"`, `null`, `"ab"`},
		{`"ab"`, `""`, `"ab"`},
		{``, `""`, `""`},
		{``, ``, ``},
	} {
		a, b := schemas.Text(tc.a), schemas.Text(tc.b)
		if tc.a == "" {
			a = nil
		}
		if tc.b == "" {
			b = nil
		}
		if got := string(JoinText(a, b)); got != tc.want {
			t.Errorf("JoinText(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
		}
	}
	a, b := schemas.Text(`"ab"`), schemas.Text(`""`)
	if n := testing.AllocsPerRun(10, func() { JoinText(a, b); JoinText(nil, a) }); n != 0 {
		t.Errorf("JoinText without a join: %v allocations", n)
	}
}

func TestDataURL(t *testing.T) {
	for _, tc := range []struct {
		in, mime, data string
		ok             bool
	}{
		{`"data:image/png;base64,iVBORw0KGgo="`, "image/png", "iVBORw0KGgo=", true},
		{`"data:application/pdf;base64,JVBE\/w=="`, "application/pdf", "JVBE/w==", true}, // escaped slash
		{`"data:image/png;base64,"`, "", "", false},
		{`"data:image/png,abc"`, "", "", false},
		{`"data:image/png;base64,not base64!"`, "", "", false},
		{`"https://x.test/a.png"`, "", "", false},
		{`null`, "", "", false},
		{``, "", "", false},
	} {
		mime, data, ok := DataURL(schemas.Text(tc.in))
		if ok != tc.ok || string(mime) != tc.mime || string(data) != tc.data {
			t.Errorf("DataURL(%s) = %q, %q, %v; want %q, %q, %v", tc.in, mime, data, ok, tc.mime, tc.data, tc.ok)
		}
	}
	url := schemas.Text(`"data:image/png;base64,iVBORw0KGgo="`)
	if n := testing.AllocsPerRun(10, func() { DataURL(url) }); n != 0 {
		t.Errorf("DataURL without escapes: %v allocations", n)
	}
}

func TestInner(t *testing.T) {
	if in, ok := Inner(schemas.Text(`"a\"b"`)); !ok || string(in) != `a\"b` {
		t.Errorf("Inner = %q, %v", in, ok)
	}
	for _, bad := range []string{``, `"`, `null`, `1`, `"abc`} {
		if _, ok := Inner(schemas.Text(bad)); ok {
			t.Errorf("Inner(%s) ok", bad)
		}
	}
}

// FuzzJSONText checks that AppendUnquoted gives back what AppendQuoted was given, for any
// bytes, and that both agree with encoding/json wherever it accepts the input.
func FuzzJSONText(f *testing.F) {
	for _, s := range []string{"", "plain", `a"b\c/d`, "\b\f\n\r\t\x00\x1f", "é😀", "\xff\xfe", `\ud83d`,
		`"\ud83d\ude00"`, `"\ud83d"`, `"\u00e9\/"`, `"\q"`, `"\u12"`, `"a\"b"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		// Round trip, for any bytes.
		q := AppendQuoted(nil, s)
		got, ok := AppendUnquoted(nil, schemas.Text(q))
		if !ok || string(got) != string(s) {
			t.Fatalf("AppendUnquoted(AppendQuoted(%q)) = %q, %v", s, got, ok)
		}
		if utf8.Valid(s) {
			// encoding/json reads the quoted form back as s.
			var v string
			if err := json.Unmarshal(q, &v); err != nil || v != string(s) {
				t.Fatalf("json.Unmarshal(AppendQuoted(%q)) = %q, %v", s, v, err)
			}
		}
		// s taken as a JSON string's encoding: where encoding/json decodes it (and it is
		// valid UTF-8, which encoding/json would repair), AppendUnquoted agrees. A Text is
		// the string token alone, as the lexer gives it, so inputs with whitespace around
		// the token (which encoding/json skips) are not compared.
		var want string
		if utf8.Valid(s) && len(s) > 0 && s[0] == '"' && s[len(s)-1] == '"' && json.Unmarshal(s, &want) == nil {
			got, ok := AppendUnquoted(nil, schemas.Text(s))
			if !ok || string(got) != want {
				t.Fatalf("AppendUnquoted(%s) = %q, %v; encoding/json gives %q", s, got, ok, want)
			}
		}
	})
}
