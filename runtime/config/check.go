package config

import (
	"crypto/x509"
	"encoding/pem"
	"net/url"
	"slices"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// field is one known key of an object, for fields.
type field struct {
	name     string
	required bool
	set      func(f pair, path string) // decodes the value; path is the field's path
}

// fields decodes the object n. It calls set for each known key, reports unknown keys, and
// reports required keys that are missing or null. A null or absent n is an absent object
// and gives no errors.
func (d *decoder) fields(n *yaml.Node, path string, known []field) {
	node := d.deref(n)
	if node == nil || isNull(node) {
		return
	}
	if node.Kind != yaml.MappingNode {
		d.mapping(node, path) // reports the type error
		return
	}
	seen := make([]bool, len(known))
	for _, p := range d.mapping(node, path) {
		i := slices.IndexFunc(known, func(f field) bool { return f.name == p.key.Value })
		if i < 0 {
			d.unknown(p, path)
			continue
		}
		if v := d.deref(p.val); v == nil || isNull(v) {
			continue // absent; checked below if required
		}
		seen[i] = true
		known[i].set(p, join(path, p.key.Value))
	}
	for i, f := range known {
		if f.required && !seen[i] {
			d.errorf(node, join(path, f.name), "required")
		}
	}
}

// optInt returns an integer that is 0 (meaning "use the default", reported as ok=false)
// or lies in [lo, hi].
func (d *decoder) optInt(n *yaml.Node, path string, lo, hi int64) (int, bool) {
	v, ok := d.intValue(n, path)
	if !ok || v == 0 {
		return 0, false
	}
	if v < lo || v > hi {
		d.errorf(d.deref(n), path, "must be between %d and %d, or 0 for the default", lo, hi)
		return 0, false
	}
	return int(v), true
}

// nonEmpty returns a string that must not be empty.
func (d *decoder) nonEmpty(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if ok && s == "" {
		d.errorf(d.deref(n), path, "must not be empty")
	}
	return s
}

// httpURL returns an absolute http or https URL without query, fragment or credentials,
// with trailing slashes removed.
func (d *decoder) httpURL(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	if !isURLWithScheme(s, "http", "https") {
		d.errorf(d.deref(n), path, "must be an absolute http or https URL")
		return ""
	}
	u, _ := url.Parse(s) // cannot fail: isURLWithScheme parsed it
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "#") {
		d.errorf(d.deref(n), path, "must not contain a query, a fragment or credentials")
		return ""
	}
	return strings.TrimRight(s, "/")
}

// isURLWithScheme reports whether s is an absolute URL with a host and one of schemes.
func isURLWithScheme(s string, schemes ...string) bool {
	u, err := url.Parse(s)
	return err == nil && u.Host != "" && slices.Contains(schemes, u.Scheme)
}

// pemCert returns a string that must hold at least one PEM "CERTIFICATE" block, and every
// such block must parse as an X.509 certificate.
func (d *decoder) pemCert(n *yaml.Node, path string) string {
	s, ok := d.str(n, path)
	if !ok {
		return ""
	}
	rest, found := []byte(s), false
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			found = false
			break
		}
		found = true
	}
	if !found {
		d.errorf(d.deref(n), path, "must be one or more PEM-encoded X.509 certificates")
		return ""
	}
	return s
}

// headers decodes "extra_headers": header names must be HTTP tokens, and values must not
// be able to end the header.
func (d *decoder) headers(n *yaml.Node, path string) map[string]string {
	pairs := d.mapping(n, path)
	if pairs == nil {
		return nil
	}
	out := make(map[string]string, len(pairs))
	for _, p := range pairs {
		hp := join(path, p.key.Value)
		if !isToken(p.key.Value) {
			d.errorf(p.key, hp, "invalid header name")
			continue
		}
		v, ok := d.str(p.val, hp)
		if !ok {
			continue
		}
		if strings.ContainsAny(v, "\r\n\x00") {
			d.errorf(d.deref(p.val), hp, "must not contain line breaks or NUL")
			continue
		}
		out[p.key.Value] = v
	}
	return out
}

// isToken reports whether s is an HTTP token (RFC 9110, section 5.6.2).
func isToken(s string) bool {
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}

// isProviderName reports whether s is a valid provider name: 1 to 64 characters from
// [a-z0-9_-].
func isProviderName(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, c := range []byte(s) {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
