package schemas

import (
	"github.com/mailru/easyjson/jlexer"
)

// Unmarshaler is implemented by the types of this package (by their generated easyjson code).
type Unmarshaler interface {
	UnmarshalEasyJSON(l *jlexer.Lexer)
}

// Decode decodes data into v, borrowing from data. The error gives the byte offset of the
// problem.
func Decode(data []byte, v Unmarshaler) error {
	l := jlexer.Lexer{Data: data}
	v.UnmarshalEasyJSON(&l)
	l.Consumed()
	return l.Error()
}
