package jsonscan

import (
	"encoding/json"
	"math/bits"
	"strings"
	"testing"
)

func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{
		`{}`, `[]`, ` {"a":1} `, `"x"`, `0`, `-0`, `-0.5e+3`, `1E9`, `true`, `null`, `[1,2,[3,{"a":[]}]]`,
		`{"a":"\u00e9\n\"\\\/"}`, "\"\xff\"",
		// invalid
		``, ` `, `{`, `{"a"}`, `{"a":}`, `{"a":1,}`, `[1,]`, `[,1]`, `01`, `1.`, `.5`, `-`, `1e`, `1e+`, `+1`,
		`tru`, `True`, `nul`, `"a`, "\"\x01\"", `"\x"`, `"\u12"`, `"\u12g4"`, `{"a":1}}`, `{} {}`, `[1 2]`,
		`{"a" 1}`, `{1:2}`, `NaN`, `{"a":1 "b":2}`,
		// str: a quote hidden by an escape, found before the escape is seen; escapes and
		// control bytes on either side of a word boundary; an unterminated string.
		`"abcdefgh\"ijklmnop"`, `["0123456\"", "x"]`, `"\\"`, `"\\\""`, `"01234567\\"`,
		`"0123456789abcdef\u00e9\"\"tail"`, "\"0123456\"\x01\"", "\"01234567\x1f89\"",
		"\"\\\"\x01\"", `"0123456789\"`, `"0123456789\\"x`, `"\"`,
	} {
		if got, want := Valid([]byte(s)), json.Valid([]byte(s)); got != want {
			t.Errorf("Valid(%q) = %v, encoding/json says %v", s, got, want)
		}
	}
	deep := strings.Repeat("[", maxDepth) + strings.Repeat("]", maxDepth)
	if !Valid([]byte(deep)) || Valid([]byte("["+deep+"]")) {
		t.Errorf("depth limit: %d levels valid %v, %d levels valid %v", maxDepth, Valid([]byte(deep)), maxDepth+1, Valid([]byte("["+deep+"]")))
	}
}

// TestWordChecks: at every position of an eight-byte word, specials marks a backslash or a
// control byte first and exactly, and hasControl finds a control byte in a word and in a
// longer text, for every byte value; both pass every other byte.
func TestWordChecks(t *testing.T) {
	for pos := range 8 {
		for c := range 256 {
			var b [8]byte
			for i := range b {
				b[i] = 'a'
			}
			b[pos] = byte(c)
			v := uint64(0)
			for i := 7; i >= 0; i-- {
				v = v<<8 | uint64(b[i])
			}
			m := specials(v)
			if c == '\\' || c < 0x20 {
				if m == 0 || bits.TrailingZeros64(m)>>3 != pos {
					t.Errorf("byte %#x at %d: specials = %#x, want its lowest mark at byte %d", c, pos, m, pos)
				}
			} else if m != 0 {
				t.Errorf("byte %#x at %d: specials = %#x", c, pos, m)
			}
			for _, text := range [][]byte{b[:], append([]byte("0123456789abcdef"), b[:]...), append(b[:], "0123456789abcdef"...)} {
				if got, want := hasControl(text), c < 0x20; got != want {
					t.Errorf("byte %#x at %d of %q: hasControl = %v", c, pos, text, got)
				}
			}
		}
	}
}
