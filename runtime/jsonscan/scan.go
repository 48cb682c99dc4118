// Package jsonscan validates JSON and finds the byte ranges of the few members the gateway
// reads or edits, in one pass and without allocating, so that a request or an answer whose
// format the provider already speaks can be forwarded as it is, with only the gateway's edits
// spliced in (the passthrough path).
//
// Validation is RFC 8259's grammar, as strict as encoding/json's json.Valid: no leading
// zeros, no trailing commas, no raw control characters in strings, only the escapes of
// section 7, and at most maxDepth nested arrays and objects. Bytes must be valid UTF-8; the
// gateway checks that before (a request) or does not need it (an answer's usage). Anything
// the scanners are unsure of (an escaped member name that may be one they look for, a member
// of theirs given twice, a value of an unexpected type) makes them decline, and the caller
// takes the decoding path, which answers exactly as before.
package jsonscan

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unsafe"
)

// maxDepth is the deepest nesting accepted, encoding/json's own limit.
const maxDepth = 10000

// Span is the byte range [Start, End) of a value in the scanned text; End is 0 when absent.
type Span struct{ Start, End int }

// Set reports whether the span was found.
func (s Span) Set() bool { return s.End > 0 }

// Of returns the bytes of s in b.
func (s Span) Of(b []byte) []byte { return b[s.Start:s.End] }

// Text returns the content of the string value at s in b, without its quotes, borrowed from
// b (no copy: b must not change while it is used). It is for the strings ScanRequest
// returns, which hold no escape; "" when s is unset.
func (s Span) Text(b []byte) string {
	if s.End-s.Start < 2 {
		return ""
	}
	return unsafe.String(&b[s.Start+1], s.End-s.Start-2)
}

// scanner walks one JSON text. pos is the next byte to read; failed says the text is invalid.
type scanner struct {
	b      []byte
	pos    int
	depth  int
	failed bool
}

// Valid reports whether b is one JSON value, optionally surrounded by whitespace.
func Valid(b []byte) bool {
	s := scanner{b: b}
	s.ws()
	s.value()
	s.ws()
	return !s.failed && s.pos == len(b)
}

func (s *scanner) fail() { s.failed, s.pos = true, len(s.b) }

// ws skips whitespace.
func (s *scanner) ws() {
	for s.pos < len(s.b) {
		switch c := s.b[s.pos]; {
		case c > ' ': // most often: none, or the end of an indentation
			return
		case c == ' ', c == '\t', c == '\n', c == '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next byte, or 0 at the end.
func (s *scanner) peek() byte {
	if s.pos < len(s.b) {
		return s.b[s.pos]
	}
	return 0
}

// value skips one value starting at pos (no leading whitespace) and returns its first byte.
func (s *scanner) value() byte {
	c := s.peek()
	switch {
	case c == '{':
		s.skipObject()
	case c == '[':
		s.skipArray()
	case c == '"':
		s.str()
	case c == '-' || c >= '0' && c <= '9':
		s.number()
	case c == 't':
		s.lit("true")
	case c == 'f':
		s.lit("false")
	case c == 'n':
		s.lit("null")
	default:
		s.fail()
	}
	return c
}

// lit skips the literal word.
func (s *scanner) lit(word string) {
	if len(s.b)-s.pos < len(word) || string(s.b[s.pos:s.pos+len(word)]) != word {
		s.fail()
		return
	}
	s.pos += len(word)
}

// number skips a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *scanner) number() {
	if s.peek() == '-' {
		s.pos++
	}
	switch c := s.peek(); {
	case c == '0':
		s.pos++
	case c >= '1' && c <= '9':
		s.digits()
	default:
		s.fail()
		return
	}
	if s.peek() == '.' {
		s.pos++
		if !s.digits() {
			s.fail()
			return
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.pos++
		if c := s.peek(); c == '+' || c == '-' {
			s.pos++
		}
		if !s.digits() {
			s.fail()
		}
	}
}

// digits skips [0-9]* and reports whether there was one.
func (s *scanner) digits() bool {
	start := s.pos
	for s.pos < len(s.b) && s.b[s.pos] >= '0' && s.b[s.pos] <= '9' {
		s.pos++
	}
	return s.pos > start
}

// str skips a string and reports whether it holds an escape. A string that ends within
// its first 32 bytes, as most member names and short values do, is looked at a word at a
// time (specials and a quote test): the first word whose first special byte is a quote ends
// it. A longer one, or one with an escape, goes on past the plain words: its closing quote
// and then a backslash before it are found with bytes.IndexByte (vector instructions), and
// the bytes in between are checked for a control byte sixteen at a time (hasControl). A
// quote that an escape hides is looked for again only past that escape, so a string costs
// one pass of each search.
func (s *scanner) str() (escaped bool) {
	b, p := s.b, s.pos+1 // past the opening quote
	// The head, a word at a time.
	for end := p + 32; p+8 <= len(b) && p < end; p += 8 {
		v := binary.LittleEndian.Uint64(b[p:])
		if m := specials(v) | quotes(v); m != 0 {
			if i := p + bits.TrailingZeros64(m)>>3; b[i] == '"' {
				s.pos = i + 1
				return false
			}
			break
		}
	} // the words p passed hold no quote, backslash or control byte
	quote := -1 // the next quote at or after p, once found
	for {
		if quote < p {
			q := bytes.IndexByte(b[p:], '"')
			if q < 0 {
				s.fail() // unterminated
				return escaped
			}
			quote = p + q
		}
		// The first backslash before the quote (vector search), and no control byte before it.
		stop := quote
		if i := bytes.IndexByte(b[p:quote], '\\'); i >= 0 {
			stop = p + i
		}
		if hasControl(b[p:stop]) {
			s.fail()
			return escaped
		}
		if stop == quote {
			s.pos = quote + 1
			return escaped
		}
		escaped = true
		s.pos = stop
		if !s.escape() {
			s.fail()
			return escaped
		}
		p = s.pos
	}
}

// Word constants: one bit in each byte of a uint64, the lowest (lo) or the highest (hi).
const lo, hi = 0x0101010101010101, 0x8080808080808080

// hasControl reports whether b holds a control byte (below 0x20), looking at sixteen bytes
// at a time.
func hasControl(b []byte) bool {
	for len(b) >= 16 {
		v, w := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:16])
		if ((v-lo*0x20)&^v|(w-lo*0x20)&^w)&hi != 0 {
			return true
		}
		b = b[16:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}

// specials sets the high bit of each byte of v (little-endian: the first byte is the lowest)
// that may be a backslash or a control byte. The lowest bit set is exact; one above it may
// be false (a borrow out of the byte below).
func specials(v uint64) uint64 {
	below := (v - lo*0x20) & ^v
	slash := ((v ^ lo*'\\') - lo) & ^(v ^ lo*'\\')
	return (below | slash) & hi
}

// quotes sets the high bit of each byte of v that may be a quote, as specials does.
func quotes(v uint64) uint64 {
	q := v ^ lo*'"'
	return (q - lo) & ^q & hi
}

// escape skips one escape at pos (a backslash) and reports whether it is valid.
func (s *scanner) escape() bool {
	if s.pos+1 >= len(s.b) {
		return false
	}
	switch s.b[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return true
	case 'u':
		if s.pos+6 > len(s.b) {
			return false
		}
		for _, h := range s.b[s.pos+2 : s.pos+6] {
			if !(h >= '0' && h <= '9' || h >= 'a' && h <= 'f' || h >= 'A' && h <= 'F') {
				return false
			}
		}
		s.pos += 6
		return true
	}
	return false
}

// member is called for each member of an object the caller watches: key is the offset of
// the name's opening quote, name the raw name between its quotes (escaped says it holds an
// escape), and the value starts at pos (after the colon and whitespace). It must skip the
// value itself (usually with s.value).
type member func(s *scanner, key int, name []byte, escaped bool)

// object skips an object at pos, calling m for every member.
func (s *scanner) object(m member) {
	if !s.enter() {
		return
	}
	defer s.leave()
	s.pos++ // '{'
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return
	}
	for !s.failed {
		if s.peek() != '"' {
			s.fail()
			return
		}
		start := s.pos + 1
		esc := s.str()
		end := s.pos - 1
		s.ws()
		if s.peek() != ':' {
			s.fail()
			return
		}
		s.pos++
		s.ws()
		if !s.failed {
			m(s, start-1, s.b[start:end], esc)
		}
		if !s.next('}') {
			return
		}
	}
}

// element is called for each element of an array the caller watches, at its first byte.
// It must skip the element itself.
type element func(s *scanner, i int)

// array skips an array at pos, calling e for every element.
func (s *scanner) array(e element) {
	if !s.enter() {
		return
	}
	defer s.leave()
	s.pos++ // '['
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return
	}
	for i := 0; !s.failed; i++ {
		e(s, i)
		if !s.next(']') {
			return
		}
	}
}

// skipObject skips an object at pos. It is object without a callback, kept apart so that a
// scanner that only validates does not escape to the heap through the callback.
func (s *scanner) skipObject() {
	if !s.enter() {
		return
	}
	defer s.leave()
	s.pos++ // '{'
	s.ws()
	if s.peek() == '}' {
		s.pos++
		return
	}
	for !s.failed {
		if s.peek() != '"' {
			s.fail()
			return
		}
		s.str()
		s.ws()
		if s.peek() != ':' {
			s.fail()
			return
		}
		s.pos++
		s.ws()
		s.value()
		if !s.next('}') {
			return
		}
	}
}

// skipArray skips an array at pos (array without a callback; see skipObject).
func (s *scanner) skipArray() {
	if !s.enter() {
		return
	}
	defer s.leave()
	s.pos++ // '['
	s.ws()
	if s.peek() == ']' {
		s.pos++
		return
	}
	for !s.failed {
		s.value()
		if !s.next(']') {
			return
		}
	}
}

// enter counts one level of nesting; false (and failed) past maxDepth.
func (s *scanner) enter() bool {
	if s.depth++; s.depth > maxDepth {
		s.fail()
		return false
	}
	return true
}

func (s *scanner) leave() { s.depth-- }

// next reads what follows a member or an element: a comma (true: another follows) or the
// closing byte (false); anything else fails (false).
func (s *scanner) next(closing byte) bool {
	s.ws()
	switch s.peek() {
	case ',':
		s.pos++
		s.ws()
		return true
	case closing:
		s.pos++
		return false
	}
	s.fail()
	return false
}

// hollow reports whether the array or object read from start to pos holds only whitespace;
// false after a failure.
func (s *scanner) hollow(start int) bool {
	return !s.failed && s.pos-start >= 2 && blank(s.b[start+1:s.pos-1])
}
