package mocks

import (
	"github.com/mailru/easyjson/jlexer"
)

// textInput is one input of an embeddings request or one prompt of a text
// completion request: a string, or an array of token ids.
type textInput struct {
	hash   uint64 // of the text or token ids, to derive deterministic output
	size   int    // bytes of text, or number of token ids
	tokens int    // tokens the input counts for in usage
}

// readInputs reads a value that is a string, an array of strings, an
// array of integers (one input of token ids) or an array of integer
// arrays, appending one textInput per input to dst. param names the
// member, for errors. Syntax errors are left in l for the caller.
func readInputs(l *jlexer.Lexer, param string, dst []textInput) ([]textInput, *apiError) {
	invalid := func() *apiError {
		return invalidParam(param, "'$."+param+"' is invalid. Expected a string, an array of strings, an array of integers or an array of integer arrays.")
	}
	switch l.CurrentToken() {
	case jlexer.TokenString:
		return append(dst, stringInput(rawString(l))), nil
	case jlexer.TokenDelim:
		if !l.IsDelim('[') {
			return dst, invalid()
		}
	default:
		if l.Ok() {
			return dst, invalid()
		}
		return dst, nil
	}

	l.Delim('[')
	switch l.CurrentToken() {
	case jlexer.TokenNumber: // a single input of token ids
		in, ok := readTokenIDs(l)
		if !ok {
			return dst, invalid()
		}
		return append(dst, in), nil
	case jlexer.TokenDelim:
		if l.IsDelim(']') {
			l.Delim(']')
			return dst, invalid() // empty array
		}
	}
	first := l.CurrentToken() // all elements must be of this kind
	for !l.IsDelim(']') {
		kind := l.CurrentToken()
		if kind != first && l.Ok() {
			return dst, invalid()
		}
		switch kind {
		case jlexer.TokenString:
			dst = append(dst, stringInput(rawString(l)))
		case jlexer.TokenDelim:
			if !l.IsDelim('[') {
				return dst, invalid()
			}
			l.Delim('[')
			in, ok := readTokenIDs(l)
			if !ok {
				return dst, invalid()
			}
			dst = append(dst, in)
		default:
			if l.Ok() {
				return dst, invalid()
			}
		}
		if !l.Ok() {
			return dst, nil
		}
		l.WantComma()
	}
	l.Delim(']')
	return dst, nil
}

// readTokenIDs reads integers up to and including the closing ']' of an
// array whose '[' has been consumed. It reports false if the array is
// empty or holds anything but integers.
func readTokenIDs(l *jlexer.Lexer) (textInput, bool) {
	h := uint64(14695981039346656037)
	n := 0
	for !l.IsDelim(']') {
		if l.CurrentToken() != jlexer.TokenNumber {
			return textInput{}, !l.Ok() // a syntax error is reported by the lexer
		}
		h = mix64(h ^ uint64(l.Int64()))
		n++
		l.WantComma()
	}
	l.Delim(']')
	return textInput{hash: h, size: n, tokens: n}, n > 0 || !l.Ok()
}

// stringInput describes a text input from its raw JSON string text.
func stringInput(raw string) textInput {
	h := uint64(14695981039346656037) // FNV-1a 64
	for i := 0; i < len(raw); i++ {
		h ^= uint64(raw[i])
		h *= 1099511628211
	}
	return textInput{hash: h, size: len(raw), tokens: estimateTokens(len(raw))}
}
