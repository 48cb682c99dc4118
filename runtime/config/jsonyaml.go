package config

import (
	"unicode/utf16"
	"unicode/utf8"
)

// yamlSafeJSON rewrites the string literals of a valid JSON document so that yaml.v3
// decodes them to the same strings as encoding/json does. Outside string literals, JSON is
// YAML flow syntax already. Inside them, three things differ:
//
//   - the escape "\/" does not exist in YAML, so it becomes "/";
//   - YAML rejects UTF-16 surrogate escapes, so a surrogate pair becomes one "\UXXXXXXXX"
//     escape, and a lone surrogate becomes "\uFFFD", as encoding/json decodes it;
//   - YAML rejects some raw characters that JSON allows (DEL, C1 controls, U+FFFE,
//     U+FFFF), and it reads NEL, LS and PS as line breaks. These characters are
//     escaped. Invalid UTF-8 becomes "\uFFFD", as in encoding/json.
//
// The output has the same newlines at the same places, so line numbers are kept. data must
// be valid JSON. If nothing needs rewriting, data is returned as is.
func yamlSafeJSON(data []byte) []byte {
	var out []byte // nil until the first rewrite
	inString := false
	for i := 0; i < len(data); {
		c := data[i]
		var repl []byte // replacement for data[i:i+n], if not nil
		n := 1
		switch {
		case !inString:
			inString = c == '"'
		case c == '"':
			inString = false
		case c == '\\' && i+1 < len(data):
			n = 2
			switch data[i+1] {
			case '/':
				repl = []byte{'/'}
			case 'u':
				repl, n = rewriteUnicodeEscape(data[i:])
			}
		case c == 0x7f:
			repl = escapeRune(nil, rune(c))
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(data[i:])
			n = size
			switch {
			case r == utf8.RuneError && size == 1:
				repl = escapeRune(nil, utf8.RuneError)
			case !yamlAllowsRaw(r):
				repl = escapeRune(nil, r)
			}
		}
		if repl != nil && out == nil {
			out = make([]byte, i, len(data)+16)
			copy(out, data[:i])
		}
		if out != nil {
			if repl != nil {
				out = append(out, repl...)
			} else {
				out = append(out, data[i:i+n]...)
			}
		}
		i += n
	}
	if out == nil {
		return data
	}
	return out
}

// rewriteUnicodeEscape looks at the "\uXXXX" escape at the start of s. It returns the
// replacement and the length it replaces. The replacement is nil if the escape can stay.
func rewriteUnicodeEscape(s []byte) (repl []byte, n int) {
	r, ok := hex4(s[2:])
	if !ok {
		return nil, 2 // not possible in valid JSON; copy through
	}
	if !utf16.IsSurrogate(r) {
		return nil, 6
	}
	if r < 0xdc00 && len(s) >= 12 && s[6] == '\\' && s[7] == 'u' {
		if r2, ok := hex4(s[8:]); ok && r2 >= 0xdc00 && r2 <= 0xdfff {
			return escapeRune(nil, utf16.DecodeRune(r, r2)), 12
		}
	}
	return escapeRune(nil, utf8.RuneError), 6
}

// hex4 decodes four hex digits at the start of s.
func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		var v byte
		switch {
		case '0' <= c && c <= '9':
			v = c - '0'
		case 'a' <= c && c <= 'f':
			v = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			v = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(v)
	}
	return r, true
}

// escapeRune appends r as a YAML double-quoted escape: "\uXXXX" or "\UXXXXXXXX".
func escapeRune(b []byte, r rune) []byte {
	const digits = "0123456789ABCDEF"
	width := 4
	b = append(b, '\\', 'u')
	if r > 0xffff {
		width = 8
		b[len(b)-1] = 'U'
	}
	for shift := (width - 1) * 4; shift >= 0; shift -= 4 {
		b = append(b, digits[(r>>shift)&0xf])
	}
	return b
}

// yamlAllowsRaw reports whether the non-ASCII rune r may appear unescaped inside a YAML
// double-quoted scalar and still mean itself. That is YAML's printable set, minus the
// characters YAML reads as line breaks (NEL U+0085, LS U+2028, PS U+2029) and minus the
// byte order mark U+FEFF.
func yamlAllowsRaw(r rune) bool {
	switch {
	case r == 0x85, r == 0x2028, r == 0x2029, r == 0xfeff:
		return false
	case 0xa0 <= r && r <= 0xd7ff, 0xe000 <= r && r <= 0xfffd, 0x10000 <= r && r <= 0x10ffff:
		return true
	}
	return false
}
