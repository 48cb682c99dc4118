package runtime

import "testing"

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
