package runtime

import (
	"bytes"
	"encoding/base64"
	"net/url"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// redacted replaces a credential, or one of its encoded forms, in text from a provider.
const redacted = "[REDACTED]"

// minMaskedLen is the shortest key whose masked and base64 forms are matched: a shorter
// key's last four characters, or its base64 runs, are too short to tell from other text.
const minMaskedLen = 12

// secret is one credential with the forms of it that a provider may echo in an error,
// computed once: for a configured key when the config is loaded, for a client's own key
// the first time one of its requests fails. The forms are:
//   - the key itself;
//   - the key URL-escaped as a query value and as a path segment (url.QueryEscape,
//     url.PathEscape), with upper- and lower-case hex digits;
//   - for keys of at least minMaskedLen bytes, the runs of the key's base64 encoding (standard
//     and URL alphabets) that do not depend on the text around the key: the encoding of the
//     key from byte 0, 1 and 2 on, up to its last whole 3-byte group. One of them appears in
//     the base64 of any text that holds the key: the key alone, "Bearer <key>", or a basic
//     auth "user:<key>", padded or not;
//   - for keys of at least minMaskedLen bytes, the visible end of a masked key ("sk-...abcd",
//     "sk-****abcd", "key ending abcd"): the key's last four characters, as a token of their
//     own.
//
// scrubText also looks through JSON escapes (\u0073k-...) and percent escapes of any case
// or extent.
type secret struct {
	key   string
	forms []string // whole forms, the key first
	tail  string   // the key's last four characters; "" for a short key
}

// newSecret computes the forms of key. An empty key matches nothing.
func newSecret(key string) secret {
	s := secret{key: key}
	if key == "" {
		return s
	}
	add := func(f string) {
		if f == "" {
			return
		}
		for _, g := range s.forms {
			if g == f {
				return
			}
		}
		s.forms = append(s.forms, f)
	}
	add(key)
	for _, esc := range [...]string{url.QueryEscape(key), url.PathEscape(key)} {
		add(esc)
		add(lowerHexEscapes(esc))
	}
	if len(key) < minMaskedLen {
		return s
	}
	s.tail = key[len(key)-4:]
	for skip := 0; skip < 3; skip++ {
		k := []byte(key[skip:])
		k = k[:len(k)/3*3] // whole groups only: their encoding has no padding
		add(base64.StdEncoding.EncodeToString(k))
		add(base64.URLEncoding.EncodeToString(k))
	}
	return s
}

// lowerHexEscapes returns esc with the hex digits of its %XX escapes in lower case.
func lowerHexEscapes(esc string) string {
	if strings.IndexByte(esc, '%') < 0 {
		return esc
	}
	b := []byte(esc)
	for i := 0; i+2 < len(b); i++ {
		if b[i] == '%' {
			for j := i + 1; j <= i+2; j++ {
				if 'A' <= b[j] && b[j] <= 'F' {
					b[j] += 'a' - 'A'
				}
			}
		}
	}
	return string(b)
}

// redact removes every form of the secret from s, as scrubText does.
func (k *secret) redact(s string) string {
	var scratch []byte
	return scrubText(s, &scratch, []secret{*k}, nil)
}

// replace replaces the secret's whole forms in s with "[REDACTED]", and its masked form's
// visible end with "****". Text without them is returned as it is, without allocating.
func (k *secret) replace(s string) string {
	if k.key == "" {
		return s
	}
	for _, f := range k.forms {
		if strings.Contains(s, f) {
			s = strings.ReplaceAll(s, f, redacted)
		}
	}
	if k.tail != "" && strings.Contains(s, k.tail) {
		s = maskTail(s, k.tail)
	}
	return s
}

// shows reports whether s holds one of the secret's whole forms.
func (k *secret) shows(s string) bool {
	for _, f := range k.forms {
		if strings.Contains(s, f) {
			return true
		}
	}
	return false
}

// scrubText removes every form of the secrets in a and b from s (see secret). A provider
// may also escape what it echoes: when s has JSON escapes (\u0073k-...) or percent escapes
// (%73k-...) and its decoded text shows a secret, the decoded text is scrubbed and returned.
// scratch is a buffer for the decoded text, kept between calls. Text without any secret is
// returned as it is, without allocating once scratch has grown to its size.
func scrubText(s string, scratch *[]byte, a, b []secret) string {
	if s == "" || len(a)+len(b) == 0 {
		return s
	}
	for i := range a {
		s = a[i].replace(s)
	}
	for i := range b {
		s = b[i].replace(s)
	}
	for _, decode := range [...]func([]byte, string) ([]byte, bool){appendJSONUnescaped, appendPercentDecoded} {
		d, ok := decode((*scratch)[:0], s)
		*scratch = d[:0]
		if !ok || !anyShows(unsafe.String(unsafe.SliceData(d), len(d)), a, b) {
			continue
		}
		s = string(d)
		for i := range a {
			s = a[i].replace(s)
		}
		for i := range b {
			s = b[i].replace(s)
		}
	}
	return s
}

func anyShows(s string, a, b []secret) bool {
	for i := range a {
		if a[i].shows(s) {
			return true
		}
	}
	for i := range b {
		if b[i].shows(s) {
			return true
		}
	}
	return false
}

// redactKey removes key, in every form newSecret lists, from s. It computes the forms on
// each call: hold a secret where a key is scrubbed more than once.
func redactKey(s, key string) string {
	k := newSecret(key)
	return k.redact(s)
}

// maskTail replaces tail with "****" where it is the visible end of a masked key: as a token
// of its own, not inside a word. Inside a word ("access token" for a key ending in "oken") the
// same four characters are ordinary text and stay.
func maskTail(s, tail string) string {
	var b strings.Builder
	rest := s
	for {
		i := strings.Index(rest, tail)
		if i < 0 {
			break
		}
		end := i + len(tail)
		if afterMask(rest[:i]) && (end == len(rest) || !alnum(rest[end])) {
			if b.Len() == 0 && len(rest) == len(s) {
				b.Grow(len(s))
			}
			b.WriteString(rest[:i])
			b.WriteString("****")
		} else {
			b.WriteString(rest[:end])
		}
		rest = rest[end:]
	}
	if b.Len() == 0 {
		return s
	}
	b.WriteString(rest)
	return b.String()
}

// afterMask reports whether before ends where the visible end of a masked key may start:
// after a character that is not a letter or digit ("...", "****", "-", a space), or after
// the x's some providers mask with.
func afterMask(before string) bool {
	if before == "" {
		return true
	}
	c := before[len(before)-1]
	return !alnum(c) || c == 'x' || c == 'X'
}

func alnum(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
}

// appendJSONUnescaped appends s to dst with its JSON string escapes decoded (\" \\ \/ \b
// \f \n \r \t \uXXXX, surrogate pairs included), as the raw JSON text of a non-string error
// member keeps them; anything that is not a valid escape stays as it is. ok is false, and
// nothing is appended, when s has no escape.
func appendJSONUnescaped(dst []byte, s string) (out []byte, ok bool) {
	i := strings.IndexByte(s, '\\')
	if i < 0 || i+1 >= len(s) {
		return dst, false
	}
	dst = append(dst, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 >= len(s) {
			dst = append(dst, c)
			continue
		}
		e := s[i+1]
		switch e {
		case '"', '\\', '/':
			dst = append(dst, e)
			i++
			continue
		case 'b', 'f', 'n', 'r', 't':
			dst = append(dst, "\b\f\n\r\t"[strings.IndexByte("bfnrt", e)])
			i++
			continue
		case 'u':
		default:
			dst = append(dst, c)
			continue
		}
		r, valid := hex4(s, i+2)
		if !valid {
			dst = append(dst, c)
			continue
		}
		i += 5
		if utf16.IsSurrogate(r) && i+2 < len(s) && s[i+1] == '\\' && s[i+2] == 'u' {
			if r2, valid := hex4(s, i+3); valid {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				}
			}
		}
		dst = utf8.AppendRune(dst, r)
	}
	return dst, true
}

// hex4 reads the four hex digits of s at i.
func hex4(s string, i int) (rune, bool) {
	if i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		if !isHexDigit(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// appendPercentDecoded appends s to dst with every valid %XX escape decoded, anything else
// (a lone '%', a '+') as it is. ok is false, and nothing is appended, when s has no valid
// escape.
func appendPercentDecoded(dst []byte, s string) (out []byte, ok bool) {
	first := -1
	for i := strings.IndexByte(s, '%'); i >= 0 && i+2 < len(s); {
		if isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			first = i
			break
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			break
		}
		i += 1 + j
	}
	if first < 0 {
		return dst, false
	}
	dst = append(dst, s[:first]...)
	for i := first; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]) {
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		dst = append(dst, s[i])
	}
	return dst, true
}

// scrub removes every credential of the call's current provider (its keys, and the OAuth2
// access token of a provider that uses one), and the client's own key, from s: text that came from a provider (an error's members, a network or decode error).
// Text without any credential is returned as it is, without allocating.
func (c *Call) scrub(s string) string {
	var configured []secret
	if p := c.cur.p; p != nil {
		configured = p.secrets
	}
	s = scrubText(s, &c.scratch, configured, c.directSecrets())
	if token := c.tokenSecrets(); token != nil {
		s = scrubText(s, &c.scratch, token, nil)
	}
	return s
}

// scrubBody scrubs every member of an error body, as scrub does.
func (c *Call) scrubBody(b *schemas.ErrorBody) {
	b.Message = c.scrub(b.Message)
	b.Type = c.scrub(b.Type)
	b.Param = schemas.NullString(c.scrub(string(b.Param)))
	b.Code = schemas.NullString(c.scrub(string(b.Code)))
}

// directSecrets returns the forms of the client's own key (none without one), computed once
// per key: a pooled Call keeps them while its requests come with the same key.
func (c *Call) directSecrets() []secret {
	if c.DirectKey == "" {
		return nil
	}
	if c.direct[0].key != c.DirectKey {
		c.direct[0] = newSecret(c.DirectKey)
	}
	return c.direct[:]
}

// tokenSecrets returns the forms of the bearer token the call's request carries to a
// provider whose auth scheme makes its own (an OAuth2 access token, for
// provider.AuthGoogleOAuth), or nil. The token changes as it expires, so it is read from the
// request; its forms are computed once per token.
func (c *Call) tokenSecrets() []secret {
	p := c.cur.p
	if p == nil || p.info == nil || p.info.Auth.Scheme == provider.AuthStatic {
		return nil
	}
	v := c.req.Header.Peek(fasthttp.HeaderAuthorization)
	token, ok := bytes.CutPrefix(v, []byte("Bearer "))
	if !ok || len(token) < minMaskedLen {
		return nil
	}
	if string(token) != c.token[0].key {
		c.token[0] = newSecret(string(token))
	}
	return c.token[:]
}

// appendSecrets appends the credentials of a configured key that a request may carry to a
// provider: its value, and those of its provider-specific settings (provider.KeyConfig's
// Secrets, such as an AWS secret key and session token).
func appendSecrets(dst []secret, value string, settings provider.KeyConfig) []secret {
	values := []string{value}
	if settings != nil {
		values = append(values, settings.Secrets()...)
	}
	for _, v := range values {
		if v != "" {
			dst = append(dst, newSecret(v))
		}
	}
	return dst
}
