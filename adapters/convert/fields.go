package convert

import (
	"iter"

	"github.com/mailru/easyjson/jlexer"
)

// Fields iterates over the members of the JSON object at l's position, yielding each key
// (borrowed from l's data, unescaped only when it has no escapes, as jlexer's
// UnsafeFieldName) with l at the member's value. The loop body must read or skip that value;
// Fields consumes the braces, colons and commas. It stops when l fails (a malformed object
// leaves the error in l); a body that breaks or returns leaves the rest of the object unread.
// It does not allocate:
//
//	for key := range convert.Fields(l) {
//		switch key {
//		case "text":
//			out.Text = l.UnsafeString()
//		default:
//			l.SkipRecursive()
//		}
//	}
//
// It replaces the object loop that each codec wrote out by hand
// (Delim('{'), UnsafeFieldName, WantColon, ..., WantComma, Delim('}')).
func Fields(l *jlexer.Lexer) iter.Seq[string] {
	return func(yield func(string) bool) {
		l.Delim('{')
		for !l.IsDelim('}') && l.Ok() {
			key := l.UnsafeFieldName(false)
			l.WantColon()
			if !yield(key) {
				return
			}
			l.WantComma()
		}
		l.Delim('}')
	}
}
