package mocks

import (
	"errors"
	"strings"

	"github.com/mailru/easyjson/jlexer"
)

var (
	errTooDeep    = errors.New("JSON nesting is too deep")
	errBadEscape  = errors.New("invalid escape in JSON string")
	errWantObject = &jlexer.LexerError{Reason: "expected object"}
)

// skipValue consumes one JSON value of any kind, checking its syntax, and
// returns the number of bytes its strings hold (object keys excluded), as
// a rough measure of the text a request carries. depth is the nesting
// level of the value; values nested deeper than maxJSONNestingDepth are
// rejected so that hostile input cannot exhaust the stack.
func skipValue(l *jlexer.Lexer, depth int) int {
	if depth > maxJSONNestingDepth {
		l.AddError(errTooDeep)
		return 0
	}
	switch l.CurrentToken() {
	case jlexer.TokenString:
		return len(rawString(l))
	case jlexer.TokenDelim:
		n := 0
		if l.IsDelim('[') {
			l.Delim('[')
			for !l.IsDelim(']') {
				n += skipValue(l, depth+1)
				l.WantComma()
			}
			l.Delim(']')
			return n
		}
		l.Delim('{') // fails on a stray '}' or ']'
		for !l.IsDelim('}') {
			rawString(l)
			l.WantColon()
			n += skipValue(l, depth+1)
			l.WantComma()
		}
		l.Delim('}')
		return n
	default:
		// A number, true, false or null, already checked by the lexer,
		// or nothing at all after an error.
		l.Skip()
		return 0
	}
}

// rawString consumes a string token and returns its text without
// unescaping it, so that it never allocates. It still checks that every
// escape sequence is valid JSON.
func rawString(l *jlexer.Lexer) string {
	s := l.UnsafeFieldName(true) // true: skip unescaping
	if !validEscapes(s) {
		l.AddError(errBadEscape)
		return ""
	}
	return s
}

// validEscapes reports whether every backslash in the raw JSON string
// text s starts a valid escape sequence.
func validEscapes(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++
		if i >= len(s) {
			return false
		}
		switch s[i] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		case 'u':
			if i+4 >= len(s) {
				return false
			}
			for j := i + 1; j <= i+4; j++ {
				if !isHex(s[j]) {
					return false
				}
			}
			i += 4
		default:
			return false
		}
	}
	return true
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// readBool reads a JSON boolean; null reads as false.
func readBool(l *jlexer.Lexer) bool {
	if l.IsNull() {
		l.Skip()
		return false
	}
	return l.Bool()
}

// readIncludeUsage reads a stream_options object and returns its
// include_usage member; null reads as false.
func readIncludeUsage(l *jlexer.Lexer) bool {
	if l.IsNull() {
		l.Skip()
		return false
	}
	include := false
	l.Delim('{')
	for !l.IsDelim('}') {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		if key == "include_usage" {
			include = readBool(l)
		} else {
			skipValue(l, 2)
		}
		l.WantComma()
	}
	l.Delim('}')
	return include
}

// lexError turns the lexer's error into an OpenAI-style 400. field names
// the top-level member being read when the error occurred, or is empty.
func lexError(l *jlexer.Lexer, field string) *apiError {
	var lerr *jlexer.LexerError
	if field != "" && errors.As(l.Error(), &lerr) {
		switch {
		case strings.HasPrefix(lerr.Reason, "expected "):
			return invalidParam(field, "Invalid type for '"+field+"': "+lerr.Reason+".")
		case strings.HasPrefix(lerr.Reason, "strconv."): // a number out of range or not an integer
			return invalidParam(field, "Invalid value for '"+field+"': expected an integer.")
		}
	}
	if errors.Is(l.Error(), errTooDeep) {
		return invalidJSON("Nesting in the JSON body is too deep.")
	}
	return invalidJSON("")
}
