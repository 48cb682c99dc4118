package gemini

import (
	"sync"

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
