package config

import (
	"strconv"
	"strings"
)

// Error is one problem in a configuration file.
type Error struct {
	File string // file name, as given to Parse or Load
	Line int    // 1-based line, or 0 if unknown
	Path string // dotted path of the field, e.g. "providers.openai.keys[0].weight"; may be empty
	Msg  string // what is wrong; never contains a value from the file
}

// Error formats e as "file:line: path: msg". It leaves out the parts that are not known.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(e.Line))
	}
	b.WriteString(": ")
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList is every problem found in a configuration file, in line order. Parse returns
// a non-empty ErrorList as its error. Use errors.As to get the list, or to get the first
// *Error.
type ErrorList []*Error

// Error joins the errors with newlines.
func (l ErrorList) Error() string {
	var b strings.Builder
	for i, e := range l {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Error())
	}
	return b.String()
}

// Unwrap returns the errors, so that errors.Is and errors.As look into the list.
func (l ErrorList) Unwrap() []error {
	errs := make([]error, len(l))
	for i, e := range l {
		errs[i] = e
	}
	return errs
}
