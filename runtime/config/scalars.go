package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

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
	if !ok {
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(d.deref(n), path, "must be between %d and %d", lo, hi)
		return 0, false
	}
	return int(v), true
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
		if v := d.deref(item); v != nil && isNull(v) {
			d.errorf(v, p, "must be a string")
			continue
		}
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
