package runtime

import (
	"encoding/base64"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

func TestRedactKey(t *testing.T) {
	const key = "sk-proj-0123456789abcdefoken"
	for _, tc := range []struct{ name, in, want string }{
		{"whole key", "bad key " + key + ".", "bad key [REDACTED]."},
		{"twice", key + " and " + key, "[REDACTED] and [REDACTED]"},
		{"OpenAI's masked form", "Incorrect API key provided: sk-proj-********************oken.", "Incorrect API key provided: sk-proj-************************."},
		{"dots", "key sk-...oken is invalid", "key sk-...**** is invalid"},
		{"ellipsis", "key sk-…oken is invalid", "key sk-…**** is invalid"},
		{"ordinary word", "the access token expired", "the access token expired"},
		{"tail inside a word", "xoken tokens", "x**** tokens"},
		{"no key", "nothing to see", "nothing to see"},
		{"key ending", "wrong key (key ending oken)", "wrong key (key ending ****)"},
		{"at the start", "oken is not valid", "**** is not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := redactKey(tc.in, key); got != tc.want {
				t.Errorf("redactKey(%q)\n got %q\nwant %q", tc.in, got, tc.want)
			}
		})
	}
	if got := redactKey("abc", ""); got != "abc" {
		t.Errorf("empty key changed the text: %q", got)
	}
	if got := redactKey("short key shrt1 here", "shrt1"); got != "short key [REDACTED] here" {
		t.Errorf("short key: %q", got)
	}
}

// oddKey has bytes that URL-escaping changes and a base64 encoding that differs between the
// standard and URL alphabets.
const oddKey = "sk-echo/Key+odd=chars:0123456789~?>"

// TestSecretForms puts each form of a key a provider may echo into an error text, and
// checks that redact leaves nothing of the key: not the key, not the form, not the key
// decoded from the form.
func TestSecretForms(t *testing.T) {
	k := newSecret(oddKey)
	b64 := func(enc *base64.Encoding, s string) string { return enc.EncodeToString([]byte(s)) }
	var jsonEsc, pctAll strings.Builder
	for _, r := range oddKey {
		fmt.Fprintf(&jsonEsc, `\u%04x`, r)
		fmt.Fprintf(&pctAll, "%%%02x", r)
	}
	forms := []struct{ name, form string }{
		{"raw", oddKey},
		{"query escaped", url.QueryEscape(oddKey)},
		{"path escaped", url.PathEscape(oddKey)},
		{"query escaped, lower-case hex", strings.ToLower(url.QueryEscape(oddKey))[:len("sk-echo")] + "%2fKey%2bodd%3dchars%3a0123456789~%3f%3e"},
		{"every byte percent-escaped", pctAll.String()},
		{"JSON \\u escapes", jsonEsc.String()},
		{"JSON \\/ escapes", strings.ReplaceAll(oddKey, "/", `\/`)},
		{"masked dots", "sk-..." + oddKey[len(oddKey)-4:]},
		{"masked stars", "sk-echo****" + oddKey[len(oddKey)-4:]},
	}
	for _, v := range []string{oddKey, "Bearer " + oddKey, "user:" + oddKey, "x" + oddKey + ":"} {
		for name, enc := range map[string]*base64.Encoding{"std": base64.StdEncoding, "raw std": base64.RawStdEncoding, "url": base64.URLEncoding, "raw url": base64.RawURLEncoding} {
			forms = append(forms, struct{ name, form string }{"base64 " + name + " of " + strings.Replace(v, oddKey, "key", 1), b64(enc, v)})
		}
	}
	for _, f := range forms {
		t.Run(f.name, func(t *testing.T) {
			in := "Incorrect API key provided: " + f.form + ". See the docs."
			out := k.redact(in)
			if strings.Contains(out, oddKey) || strings.Contains(out, f.form) {
				t.Fatalf("redact(%q) = %q: the key shows", in, out)
			}
			if !strings.HasPrefix(out, "Incorrect API key provided: ") || !strings.HasSuffix(out, ". See the docs.") {
				t.Errorf("redact(%q) = %q: the text around the key changed", in, out)
			}
			if strings.HasPrefix(f.name, "base64") {
				return
			}
			if d, err := url.PathUnescape(out); err == nil && strings.Contains(d, oddKey) {
				t.Errorf("redact(%q) = %q: percent-decoded, the key shows", in, out)
			}
		})
	}
	// Text without the key comes back as it is, backslashes and percent signs included.
	for _, s := range []string{"", "plain", `C:\path\u0041 50% off %zz`, "tokens: 1234"} {
		if got := k.redact(s); got != s {
			t.Errorf("redact(%q) = %q", s, got)
		}
	}
}

// TestScrubNoMatchAllocs checks that scrubbing an error without a key, the common case,
// allocates nothing: configured keys, a client's own key, and every member of the body.
func TestScrubNoMatchAllocs(t *testing.T) {
	p := &providerState{}
	for _, v := range []string{oddKey, "sk-proj-0123456789abcdefoken", "AIzaSyA-0123456789abcdefghijklmnopqrs"} {
		p.secrets = append(p.secrets, newSecret(v))
	}
	c := &Call{DirectKey: "sk-direct-client-key-0123456789"}
	c.cur.p = p
	c.directSecrets()
	body := schemas.ErrorBody{
		Message: "The model `gpt-5` does not exist or you do not have access to it. 100% sure \\o/ \\u0041 https://x/a%20b",
		Type:    "invalid_request_error", Param: "model", Code: "model_not_found",
	}
	allocs := testing.AllocsPerRun(100, func() {
		b := body
		c.scrubBody(&b)
		c.RedactDirectKey(&Error{Body: b})
	})
	if allocs != 0 {
		t.Errorf("scrubbing an error without a key: %v allocs, want 0", allocs)
	}
}

// TestScrubAccessToken checks that the OAuth2 access token a Vertex request carries, which
// changes as it expires, is scrubbed like a key, without allocating while it stays the same.
func TestScrubAccessToken(t *testing.T) {
	p := &providerState{info: &provider.Info{Auth: provider.Auth{Scheme: provider.AuthGoogleOAuth}}}
	c := &Call{}
	c.cur.p = p
	for _, token := range []string{"ya29.a0AfH6SMBx-first-token-0123456789", "ya29.a0AfH6SMBx-second-token-9876543210"} {
		c.req.Header.Set("Authorization", "Bearer "+token)
		in := "Request had invalid authentication credentials: Bearer " + token + " (" + base64.StdEncoding.EncodeToString([]byte(token)) + ")"
		if got := c.scrub(in); strings.Contains(got, token) || strings.Contains(got, base64.StdEncoding.EncodeToString([]byte(token))) {
			t.Errorf("scrub(%q) = %q", in, got)
		}
	}
	if allocs := testing.AllocsPerRun(100, func() { c.scrub("Request had invalid authentication credentials.") }); allocs != 0 {
		t.Errorf("%v allocs without a token in the text, want 0", allocs)
	}
}
