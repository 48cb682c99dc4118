package gemini

import (
	"sync"
	"unsafe"

	"github.com/bifrost-gw/bifrost/adapters/convert"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// scratchPool holds buffers for unescaping JSON strings while a request is encoded (a tool
// call's arguments, a tool result, a URL with escapes).
var scratchPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

// scratch is a pooled buffer taken on first use and returned by release.
type scratch struct{ p *[]byte }

// inner returns the unescaped content of the JSON string t: the bytes between its quotes when
// it has no escapes (borrowed from t), else a copy unescaped into the scratch buffer, valid
// until the next call. Null or absent text gives nil.
func (s *scratch) inner(t schemas.Text) ([]byte, bool) {
	if t.IsNull() || len(t) < 2 {
		return nil, true
	}
	in := t[1 : len(t)-1]
	esc := false
	for _, c := range in {
		if c == '\\' {
			esc = true
			break
		}
	}
	if !esc {
		return in, true
	}
	if s.p == nil {
		s.p = scratchPool.Get().(*[]byte)
	}
	out, ok := convert.AppendUnescaped((*s.p)[:0], in)
	*s.p = out[:0]
	return out, ok
}

// release returns the buffer to the pool.
func (s *scratch) release() {
	if s.p != nil {
		scratchPool.Put(s.p)
		s.p = nil
	}
}

// appendQuoted appends raw JSON (a tool call's args) to dst as a JSON string, with the
// whitespace outside its strings removed, as OpenAI sends arguments.
func appendQuoted(dst, raw []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	inString := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !inString && (c == ' ' || c == '\n' || c == '\r' || c == '\t') {
			continue
		}
		switch {
		case c == '"':
			if !inString || !escaped(raw, i) {
				inString = !inString
			}
			dst = append(dst, '\\', '"')
		case c == '\\':
			dst = append(dst, '\\', '\\')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}

// escaped reports whether raw[i] is preceded by an odd number of backslashes.
func escaped(raw []byte, i int) bool {
	n := 0
	for j := i - 1; j >= 0 && raw[j] == '\\'; j-- {
		n++
	}
	return n%2 == 1
}

// joinText appends the JSON string b to the JSON string a (both encoded, with quotes).
func joinText(a, b schemas.Text) schemas.Text {
	if b.IsNull() || len(b) <= 2 {
		return a
	}
	if a.IsNull() || len(a) <= 2 {
		return b
	}
	out := make(schemas.Text, 0, len(a)+len(b)-2)
	out = append(out, a[:len(a)-1]...)
	return append(out, b[1:]...)
}

// view returns b as a string without copying; b must not change while the string is used.
func view(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// bytesOf returns s as bytes without copying; they must not be modified.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// toolCallID makes the stable id of a tool call that Gemini gave none: "call_" and 16 hex
// digits of an FNV-1a hash of the response id, the choice, the call's position and the
// function's name.
func toolCallID(respID string, choice, n int, name string) string {
	const (
		offset = 14695981039346656037
		prime  = 1099511628211
	)
	h := uint64(offset)
	mix := func(s string) {
		for i := 0; i < len(s); i++ {
			h ^= uint64(s[i])
			h *= prime
		}
		h ^= 0xff
		h *= prime
	}
	mix(respID)
	for _, v := range [2]int{choice, n} {
		for k := 0; k < 4; k++ {
			h ^= uint64(byte(v >> (8 * k)))
			h *= prime
		}
	}
	mix(name)
	const digits = "0123456789abcdef"
	var b [21]byte
	copy(b[:], "call_")
	for i := 0; i < 16; i++ {
		b[5+i] = digits[(h>>(60-4*uint(i)))&15]
	}
	return string(b[:])
}
