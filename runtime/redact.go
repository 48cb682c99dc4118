package runtime

import "strings"

// redactKey removes key from s: every whole occurrence becomes "[REDACTED]", and the key's
// last four characters become "****" where a provider shows them as the visible end of a
// masked key ("sk-...abcd", "sk-****abcd", "…abcd", "key ending abcd"): as a token of their
// own, not inside a word. Inside a word ("access token" for a key ending in "oken") the same
// four characters are ordinary text and stay. Keys
// shorter than 12 characters have no masked form worth matching.
func redactKey(s, key string) string {
	if key == "" {
		return s
	}
	if strings.Contains(s, key) {
		s = strings.ReplaceAll(s, key, "[REDACTED]")
	}
	if len(key) < 12 {
		return s
	}
	tail := key[len(key)-4:]
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
