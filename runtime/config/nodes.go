package config

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
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

// scalar returns n if it is a scalar with one of the given tags. It returns nil without a
// report for null, and nil with a report ("must be <what>") otherwise.
func (d *decoder) scalar(n *yaml.Node, path, what string, tags ...string) *yaml.Node {
	n = d.deref(n)
	if n == nil || isNull(n) {
		return nil
	}
	if n.Kind == yaml.ScalarNode {
		for _, t := range tags {
			if n.Tag == t {
				return n
			}
		}
	}
	hint := ""
	if what == "a string" && n.Kind == yaml.ScalarNode && n.Style == 0 {
		hint = " (quote it)"
	}
	d.errorf(n, path, "must be %s%s", what, hint)
	return nil
}

// str returns the string value of n with "env.VAR" resolved. ok is false if n is absent,
// null or wrong; only the wrong case is reported.
func (d *decoder) str(n *yaml.Node, path string) (s string, ok bool) {
	n = d.scalar(n, path, "a string", "!!str")
	if n == nil {
		return "", false
	}
	return d.expand(n, path, n.Value)
}

// expand resolves s if it has the form "env.NAME".
func (d *decoder) expand(n *yaml.Node, path, s string) (string, bool) {
	name, ok := strings.CutPrefix(s, "env.")
	if !ok {
		return s, true
	}
	if !isEnvName(name) {
		d.errorf(n, path, `invalid environment variable reference: want "env.NAME" with NAME made of letters, digits and '_'`)
		return "", false
	}
	v := d.getenv(name)
	if v == "" {
		d.errorf(n, path, "environment variable %s is not set", name)
		return "", false
	}
	return v, true
}

// isEnvName reports whether s is a portable environment variable name.
func isEnvName(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// boolean returns the value of the boolean n.
func (d *decoder) boolean(n *yaml.Node, path string) (v, ok bool) {
	n = d.scalar(n, path, "true or false", "!!bool")
	if n == nil {
		return false, false
	}
	if err := n.Decode(&v); err != nil {
		d.errorf(n, path, "must be true or false")
		return false, false
	}
	return v, true
}

// intValue returns the value of the integer n. An integer too large for int64 (which
// yaml.v3 tags as a float) is clamped to the int64 range, so the caller's range check
// reports it. ok is false if n is absent, null or not an integer; only the last case is
// reported.
func (d *decoder) intValue(n *yaml.Node, path string) (v int64, ok bool) {
	n = d.scalar(n, path, "an integer", "!!int", "!!float")
	if n == nil {
		return 0, false
	}
	if n.Tag == "!!float" {
		if digits := strings.TrimLeft(n.Value, "+-"); digits != "" && strings.Trim(digits, "0123456789_") == "" {
			if strings.HasPrefix(n.Value, "-") {
				return math.MinInt64, true
			}
			return math.MaxInt64, true
		}
	} else if err := n.Decode(&v); err == nil {
		return v, true
	}
	d.errorf(n, path, "must be an integer")
	return 0, false
}

// integer returns the value of the integer n, checked to lie in [lo, hi].
func (d *decoder) integer(n *yaml.Node, path string, lo, hi int64) (int, bool) {
	v, ok := d.intValue(n, path)
	if !ok || !d.inRange(d.deref(n), path, v, lo, hi) {
		return 0, false
	}
	return int(v), true
}

// inRange reports whether lo <= v <= hi, and records an error if not.
func (d *decoder) inRange(n *yaml.Node, path string, v, lo, hi int64) bool {
	switch {
	case v < lo && hi == math.MaxInt64:
		d.errorf(n, path, "must be >= %d", lo)
	case v > hi && lo == math.MinInt64:
		d.errorf(n, path, "must be <= %d", hi)
	case v < lo || v > hi:
		d.errorf(n, path, "must be between %d and %d", lo, hi)
	default:
		return true
	}
	return false
}

// number returns the value of the finite number n.
func (d *decoder) number(n *yaml.Node, path string) (float64, bool) {
	if v := d.deref(n); v != nil && v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Style == 0 {
		// yaml.v3 tags numbers beyond the float64 range, such as 1e400, as strings.
		if _, err := strconv.ParseFloat(v.Value, 64); err != nil && errors.Is(err, strconv.ErrRange) {
			d.errorf(v, path, "must be a finite number")
			return 0, false
		}
	}
	n = d.scalar(n, path, "a number", "!!int", "!!float")
	if n == nil {
		return 0, false
	}
	var v float64
	if err := n.Decode(&v); err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.errorf(n, path, "must be a finite number")
		return 0, false
	}
	return v, true
}

// millis returns a duration written as integer milliseconds or as a Go duration string
// ("500ms", "2s"), as upstream's retry_backoff_* fields accept, checked to lie in [0, hi].
func (d *decoder) millis(n *yaml.Node, path string, hi time.Duration) (time.Duration, bool) {
	const want = `must be integer milliseconds or a duration such as "500ms"`
	node := d.scalar(n, path, want[len("must be "):], "!!int", "!!float", "!!str")
	if node == nil {
		return 0, false
	}
	var v time.Duration
	switch node.Tag {
	case "!!str":
		s, ok := d.expand(node, path, node.Value)
		if !ok {
			return 0, false
		}
		var err error
		if v, err = time.ParseDuration(s); err != nil {
			d.errorf(node, path, want)
			return 0, false
		}
	default:
		ms, ok := d.intValue(node, path)
		if !ok {
			return 0, false
		}
		ms = max(min(ms, int64(hi/time.Millisecond)+1), -1) // keep the product in range
		v = time.Duration(ms) * time.Millisecond
	}
	switch {
	case v < 0:
		d.errorf(node, path, "must be >= 0")
	case v > hi:
		d.errorf(node, path, "must be at most %v", hi)
	default:
		return v, true
	}
	return 0, false
}

// strList returns a list of non-empty strings. If check is not nil, it is called on each
// string and returns a reason to reject it, or "".
func (d *decoder) strList(n *yaml.Node, path string, check func(string) string) []string {
	items := d.list(n, path)
	if items == nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		p := index(path, i)
		s, ok := d.str(item, p)
		if !ok {
			continue
		}
		msg := ""
		if s == "" {
			msg = "must not be empty"
		} else if check != nil {
			msg = check(s)
		}
		if msg != "" {
			d.errorf(d.deref(item), p, "%s", msg)
			continue
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil // "[]" and an absent list mean the same
	}
	return out
}

// strMap returns an object whose values are strings.
func (d *decoder) strMap(n *yaml.Node, path string) map[string]string {
	pairs := d.mapping(n, path)
	if pairs == nil {
		return nil
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		if s, ok := d.str(p.val, join(path, p.key.Value)); ok {
			out[p.key.Value] = s
		}
	}
	return out
}

// boolMap returns an object whose values are booleans.
func (d *decoder) boolMap(n *yaml.Node, path string) map[string]bool {
	pairs := d.mapping(n, path)
	if pairs == nil {
		return nil
	}
	out := make(map[string]bool, len(pairs))
	for _, p := range pairs {
		if v, ok := d.boolean(p.val, join(path, p.key.Value)); ok {
			out[p.key.Value] = v
		}
	}
	return out
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
