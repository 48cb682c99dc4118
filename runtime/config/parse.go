package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Load reads the configuration file at path and parses it with [Parse], taking
// environment variables from the process environment. The file is read as JSON if its
// name ends in .json. Otherwise it is read as YAML (.yaml, .yml or any other name), and
// YAML accepts JSON too.
//
// A read failure is returned wrapped. A bad file gives an [ErrorList] whose entries read
// "path:line: field.path: reason".
func Load(path string, opts ...Option) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, os.Getenv, opts...)
}

// Parse parses, resolves, defaults and validates a configuration. name is used in error
// messages. A name ending in .json makes data strict JSON. Any other name reads data as
// YAML, and data that is valid JSON is read as JSON whatever the name. getenv resolves
// "env.VAR" values. It returns "" for a variable that is not set, and a nil getenv means
// os.Getenv.
//
// Options add what Parse cannot know by itself: the provider types of this build and their
// key config declarations ([WithAdapters]).
//
// On failure Parse returns a nil *Config and an [ErrorList]. It does not panic on any input.
func Parse(name string, data []byte, getenv func(string) string, opts ...Option) (*Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	d := &decoder{file: name, getenv: getenv, budget: defaultNodeBudget}
	for _, o := range opts {
		o(d)
	}
	root := d.parseDocument(data)
	var cfg *Config
	if root != nil {
		cfg = d.config(root)
	}
	if len(d.errs) > 0 {
		return nil, d.errorList()
	}
	return cfg, nil
}

// isJSONName reports whether name should be read as strict JSON.
func isJSONName(name string) bool {
	return strings.EqualFold(filepath.Ext(name), ".json")
}

// parseDocument turns data into the document's root node. It returns nil and records an
// error if data is not valid or holds no document.
func (d *decoder) parseDocument(data []byte) *yaml.Node {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // UTF-8 byte order mark
	if len(bytes.TrimSpace(data)) == 0 {
		d.errs = append(d.errs, &Error{File: d.file, Msg: "empty configuration"})
		return nil
	}
	// A .json file must be JSON. A YAML file that happens to be valid JSON is read the
	// same way, so that JSON-only escapes work in it too.
	if isJSONName(d.file) || json.Valid(data) {
		var raw json.RawMessage
		if err := json.Unmarshal(data, &raw); err != nil {
			line := 0
			var syn *json.SyntaxError
			if errors.As(err, &syn) {
				line = lineAt(data, syn.Offset)
			}
			d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: "invalid JSON: " + withoutChar(err.Error())})
			return nil
		}
		data = yamlSafeJSON(data)
	}

	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := decodeNode(dec, &doc); err != nil {
		if err == io.EOF {
			d.errs = append(d.errs, &Error{File: d.file, Msg: "empty configuration"})
		} else {
			d.syntaxError(err)
		}
		return nil
	}
	var next yaml.Node
	switch err := decodeNode(dec, &next); {
	case err == io.EOF:
	case err != nil:
		d.syntaxError(err)
		return nil
	default:
		d.errs = append(d.errs, &Error{File: d.file, Line: next.Line, Msg: "more than one YAML document"})
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			d.errs = append(d.errs, &Error{File: d.file, Msg: "empty configuration"})
			return nil
		}
		return doc.Content[0]
	}
	return &doc
}

// decodeNode runs dec.Decode(n) and turns a panic inside yaml.v3 into an error. Parse must
// not panic on any input, and the third-party parser is the part this package cannot fuzz
// completely.
func decodeNode(dec *yaml.Decoder, n *yaml.Node) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("yaml: parser failure: %v", r)
		}
	}()
	return dec.Decode(n)
}

// syntaxError records a yaml.v3 syntax error, moving its "line N:" prefix into Error.Line.
func (d *decoder) syntaxError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	line := 0
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if num, after, ok := strings.Cut(rest, ": "); ok {
			if n, convErr := strconv.Atoi(num); convErr == nil {
				line, msg = n, after
			}
		}
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Msg: "invalid YAML: " + msg})
}

// withoutChar removes the offending character that encoding/json quotes in its syntax
// errors ("invalid character 'x' in string literal"). That character may be part of a
// secret.
func withoutChar(msg string) string {
	const prefix = "invalid character '"
	if rest, ok := strings.CutPrefix(msg, prefix); ok && len(rest) > 1 {
		if i := strings.Index(rest[1:], "' "); i >= 0 {
			return "invalid character " + rest[1+i+2:]
		}
	}
	return msg
}

// lineAt returns the 1-based line of the byte at offset in data.
func lineAt(data []byte, offset int64) int {
	if offset > int64(len(data)) {
		offset = int64(len(data))
	}
	if offset > 0 {
		offset-- // SyntaxError.Offset counts the bad byte as read
	}
	return 1 + bytes.Count(data[:offset], []byte{'\n'})
}

// errorList returns the recorded errors sorted by line, capped at a readable number.
func (d *decoder) errorList() ErrorList {
	errs := slices.Clone(d.errs)
	slices.SortStableFunc(errs, func(a, b *Error) int { return a.Line - b.Line })
	if len(errs) > defaultMaxReportedErrors {
		more := len(errs) - defaultMaxReportedErrors
		errs = append(errs[:defaultMaxReportedErrors],
			&Error{File: d.file, Msg: fmt.Sprintf("%d more errors not shown", more)})
	}
	return ErrorList(errs)
}
