package convert

import "unsafe"

// View returns b as a string without copying; b must not change while the string is used.
// It is the codecs' one way to read borrowed bytes as a string.
func View(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// ViewBytes returns s as bytes without copying; they must never be written to. It is the
// codecs' one way to use a string (a constant, or one borrowed from a request) as bytes.
func ViewBytes(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
