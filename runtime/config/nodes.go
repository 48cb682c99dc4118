package config

import (
	"fmt"
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/provider"

	yaml "go.yaml.in/yaml/v3"
)

// Limits of the node walker.
const (
	defaultNodeBudget        = 1 << 20 // nodes visited, counting every pass through an alias
	maxMergeDepth            = 8       // merge keys inside merged mappings
	defaultMaxReportedErrors = 20
)

// decoder walks a yaml.Node tree into a Config and collects every problem it finds.
type decoder struct {
	file   string
	getenv func(string) string
	errs   []*Error
	budget int  // nodes left to visit; see deref
	spent  bool // the budget ran out; later errors are consequences and are dropped
	// types describes the provider types of this build, by name (their adapters' Info); nil
	// when Parse was given no adapters (WithAdapters).
	types map[string]*provider.Info
}

// pair is one key and its value in a mapping.
type pair struct {
	key, val *yaml.Node
}

// errorf records a problem at node n (which may be nil) and path.
func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	if d.spent {
		return
	}
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs = append(d.errs, &Error{File: d.file, Line: line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

// deref follows aliases and spends one unit of the node budget. It returns nil when n is
// nil or the budget is spent. When the budget runs out, it records one error.
func (d *decoder) deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	if n == nil || n.Kind == yaml.AliasNode {
		return nil
	}
	if d.budget <= 0 {
		return nil
	}
	d.budget--
	if d.budget == 0 {
		d.errorf(n, "", "document too large: more than %d nodes, counting alias expansions", defaultNodeBudget)
		d.spent = true
	}
	return n
}

// isNull reports whether n is a YAML/JSON null.
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// join appends a mapping key to a dotted path. Keys that are not plain identifiers are
// written as ["quoted"], so that "gpt-4.1" cannot be read as two path elements.
func join(path, key string) string {
	plain := key != ""
	for _, c := range key {
		if !(c == '_' || c == '-' || c == '$' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			plain = false
			break
		}
	}
	switch {
	case !plain:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

// index appends a list index to a path.
func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// mapping returns the pairs of the mapping n, in order. A null or missing n gives no pairs.
// Any other kind of node is reported and gives no pairs. Merge keys ("<<") are expanded as
// in YAML: keys written in the mapping win over merged keys, and earlier merged mappings
// win over later ones. Duplicate keys are reported.
func (d *decoder) mapping(n *yaml.Node, path string) []pair {
	n = d.deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be an object")
		return nil
	}
	return d.pairs(n, path, 0)
}

func (d *decoder) pairs(n *yaml.Node, path string, depth int) []pair {
	var out []pair
	seen := make(map[string]int) // key -> line of first occurrence
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := d.deref(n.Content[i])
		if k == nil {
			return out
		}
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "object keys must be strings")
			continue
		}
		if k.Tag == "!!merge" {
			merges = append(merges, n.Content[i+1])
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, join(path, k.Value), "duplicate key (first on line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		out = append(out, pair{k, n.Content[i+1]})
	}
	for _, m := range merges {
		m = d.deref(m)
		if m == nil {
			return out
		}
		var sources []*yaml.Node
		switch m.Kind {
		case yaml.MappingNode:
			sources = []*yaml.Node{m}
		case yaml.SequenceNode:
			sources = m.Content
		}
		if len(sources) == 0 && m.Kind != yaml.SequenceNode {
			d.errorf(m, path, "merge value must be an object or a list of objects")
			continue
		}
		for _, src := range sources {
			src = d.deref(src)
			if src == nil {
				return out
			}
			if src.Kind != yaml.MappingNode {
				d.errorf(src, path, "merge value must be an object or a list of objects")
				continue
			}
			if depth >= maxMergeDepth {
				d.errorf(src, path, "merge keys nested more than %d deep", maxMergeDepth)
				continue
			}
			for _, p := range d.pairs(src, path, depth+1) {
				if _, dup := seen[p.key.Value]; !dup {
					seen[p.key.Value] = p.key.Line
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// list returns the items of the sequence n. A null or missing n gives nil. Any other kind
// of node is reported and gives nil.
func (d *decoder) list(n *yaml.Node, path string) []*yaml.Node {
	n = d.deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "must be a list")
		return nil
	}
	return n.Content
}

// unknown reports a key that the object at path does not have.
func (d *decoder) unknown(p pair, path string) {
	d.errorf(p.key, join(path, p.key.Value), "unknown field")
}

// ignore accepts a key that upstream has and this gateway ignores. Its value must be a
// scalar, so that a misplaced object is still noticed.
func (d *decoder) ignore(p pair, path string) {
	v := d.deref(p.val)
	if v != nil && v.Kind != yaml.ScalarNode {
		d.errorf(v, join(path, p.key.Value), "must be a single value")
	}
}
