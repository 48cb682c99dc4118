package spec

import (
	"bytes"
	"errors"
	"fmt"
	"go/token"
	"io"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// Parse reads one spec. file is used in errors and must be named <name>.yaml.
func Parse(file string, data []byte) (*Spec, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &Error{File: file, Reason: "empty spec"}
		}
		return nil, yamlError(file, err)
	}
	if len(doc.Content) == 0 {
		return nil, &Error{File: file, Reason: "empty spec"}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &Error{File: file, Line: extra.Line, Reason: "a spec is one YAML document: remove the second one"}
	} else if !errors.Is(err, io.EOF) {
		return nil, yamlError(file, err)
	}
	p := parser{file: file}
	s, err := p.spec(doc.Content[0])
	if err != nil {
		return nil, err
	}
	if base := strings.TrimSuffix(filepath.Base(file), filepath.Ext(file)); base != s.Name {
		return nil, p.errf(s.Line("name"), "name %q must match the file name %q", s.Name, base)
	}
	return s, nil
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError turns a YAML syntax error into an Error at its line.
func yamlError(file string, err error) error {
	msg := err.Error()
	line := 0
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = msg[len(m[0]):]
	}
	return &Error{File: file, Line: line, Reason: "invalid YAML: " + strings.TrimPrefix(msg, "yaml: ")}
}

type parser struct{ file string }

func (p *parser) errf(line int, format string, args ...any) error {
	return &Error{File: p.file, Line: line, Reason: fmt.Sprintf(format, args...)}
}

// fields checks that n is a mapping with only the allowed keys and returns its values by key.
func (p *parser) fields(n *yaml.Node, what string, allowed ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n.Line, "%s must be a mapping", what)
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !slices.Contains(allowed, k.Value) {
			sorted := slices.Clone(allowed)
			sort.Strings(sorted)
			return nil, p.errf(k.Line, "unknown key %q in %s (known: %s)", k.Value, what, strings.Join(sorted, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, p.errf(k.Line, "duplicate key %q in %s", k.Value, what)
		}
		out[k.Value] = v
	}
	return out, nil
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", p.errf(n.Line, "%s must be a string", what)
	}
	return n.Value, nil
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, error) {
	var b bool
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
		return false, p.errf(n.Line, "%s must be true or false", what)
	}
	return b, nil
}

func (p *parser) strList(n *yaml.Node, what string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n.Line, "%s must be a list", what)
	}
	var out []string
	for _, c := range n.Content {
		s, err := p.str(c, what+" entries")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

var topKeys = []string{"name", "title", "format", "compat", "codec", "stream", "api_version", "base_url", "base_url_required", "base_urls", "auth", "key_optional", "key_config", "headers", "operations", "paths", "model_paths", "request", "docs", "notes"}

func (p *parser) spec(n *yaml.Node) (*Spec, error) {
	f, err := p.fields(n, "the spec", topKeys...)
	if err != nil {
		return nil, err
	}
	s := &Spec{File: p.file, Paths: map[Operation]string{}, Requests: map[string]*Mapping{}, lines: map[string]int{}}
	for k, v := range f {
		s.lines[k] = v.Line
	}
	for _, req := range []string{"name", "docs", "operations", "auth"} {
		if f[req] == nil {
			return nil, p.errf(n.Line, "missing required key %q", req)
		}
	}
	if err := p.identity(f, s); err != nil {
		return nil, err
	}
	if err := p.family(f, n, s); err != nil {
		return nil, err
	}
	if err := p.endpoint(f, n, s); err != nil {
		return nil, err
	}
	if s.Auth, err = p.auth(f["auth"]); err != nil {
		return nil, err
	}
	if err := p.keys(f, s); err != nil {
		return nil, err
	}
	if v := f["headers"]; v != nil {
		if s.Headers, err = p.headers(v); err != nil {
			return nil, err
		}
	}
	if s.Operations, err = p.operations(f["operations"]); err != nil {
		return nil, err
	}
	if v := f["paths"]; v != nil {
		if err := p.paths(v, "paths", s.Paths); err != nil {
			return nil, err
		}
	}
	if v := f["model_paths"]; v != nil {
		if s.ModelPaths, err = p.modelPaths(v, s); err != nil {
			return nil, err
		}
	}
	if v := f["base_urls"]; v != nil {
		if s.BaseURLRequired {
			return nil, p.errf(v.Line, "base_urls conflicts with base_url_required: true")
		}
		if s.BaseURLs, err = p.baseURLs(v, s); err != nil {
			return nil, err
		}
	}
	if v := f["request"]; v != nil {
		if err := p.requests(v, s); err != nil {
			return nil, err
		}
	}
	if s.Docs, err = p.str(f["docs"], "docs"); err != nil {
		return nil, err
	}
	if reason := checkURL(strings.TrimSuffix(s.Docs, "/")); reason != "" {
		return nil, p.errf(f["docs"].Line, "docs %s", reason)
	}
	if v := f["notes"]; v != nil {
		if s.Notes, err = p.str(v, "notes"); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// identity reads name and title.
func (p *parser) identity(f map[string]*yaml.Node, s *Spec) (err error) {
	if s.Name, err = p.str(f["name"], "name"); err != nil {
		return err
	}
	if !nameRE.MatchString(s.Name) {
		return p.errf(f["name"].Line, "name %q must be lower case letters, digits and _ and start with a letter", s.Name)
	}
	if token.IsKeyword(s.Name) || s.Name == "main" || s.Name == "convert" {
		return p.errf(f["name"].Line, "name %q cannot be a Go package name here (a keyword, main, or a helper package)", s.Name)
	}
	s.Title = s.Name
	if v := f["title"]; v != nil {
		if s.Title, err = p.str(v, "title"); err != nil {
			return err
		}
		if s.Title == "" || hasControl(s.Title) || strings.Contains(s.Title, "*/") {
			return p.errf(v.Line, "title must be one non-empty line of text")
		}
	}
	return nil
}

// family reads format and codec (a base spec) or compat (a spec that reuses a base).
func (p *parser) family(f map[string]*yaml.Node, n *yaml.Node, s *Spec) (err error) {
	switch {
	case f["format"] != nil && f["compat"] != nil:
		return p.errf(f["compat"].Line, "a spec has either format (a base) or compat (reuses a base), not both")
	case f["format"] != nil:
		if s.Format, err = p.str(f["format"], "format"); err != nil {
			return err
		}
		if !nameRE.MatchString(s.Format) {
			return p.errf(f["format"].Line, "format %q must be lower case letters, digits and _", s.Format)
		}
		switch v := f["codec"]; {
		case s.Format == FormatOpenAI && v != nil:
			return p.errf(v.Line, "format openai is generated whole and takes no codec")
		case s.Format != FormatOpenAI && v == nil:
			return p.errf(f["format"].Line, "format %q needs codec: the Go type in %s/%s/ that converts it by hand", s.Format, AdaptersDir, s.Name)
		case v != nil:
			if s.Codec, err = p.str(v, "codec"); err != nil {
				return err
			}
			if !codecRE.MatchString(s.Codec) {
				return p.errf(v.Line, "codec %q must be an exported Go type name, declared in %s/%s/ (such as Codec)", s.Codec, AdaptersDir, s.Name)
			}
		}
	case f["compat"] != nil:
		if s.Compat, err = p.str(f["compat"], "compat"); err != nil {
			return err
		}
		if s.Compat == s.Name {
			return p.errf(f["compat"].Line, "a spec cannot be compat with itself")
		}
		if v := f["codec"]; v != nil {
			return p.errf(v.Line, "codec belongs to the base spec; a compat spec inherits it")
		}
	default:
		return p.errf(n.Line, "missing key: format (for a base spec) or compat (to reuse a base)")
	}
	return nil
}

// endpoint reads base_url_required, base_url, stream and api_version.
func (p *parser) endpoint(f map[string]*yaml.Node, n *yaml.Node, s *Spec) (err error) {
	if v := f["base_url_required"]; v != nil {
		if s.BaseURLRequired, err = p.boolean(v, "base_url_required"); err != nil {
			return err
		}
	}
	if v := f["base_url"]; v != nil {
		if s.BaseURLRequired {
			return p.errf(v.Line, "base_url conflicts with base_url_required: true")
		}
		if s.BaseURL, err = p.str(v, "base_url"); err != nil {
			return err
		}
		if reason := checkURL(s.BaseURL); reason != "" {
			return p.errf(v.Line, "base_url %s", reason)
		}
	} else if !s.BaseURLRequired {
		return p.errf(n.Line, "missing key: base_url (or base_url_required: true for self-hosted providers)")
	}
	if v := f["stream"]; v != nil {
		if s.Stream, err = p.str(v, "stream"); err != nil {
			return err
		}
		if s.Stream != StreamSSE && s.Stream != StreamAWSEventStream {
			return p.errf(v.Line, "stream %q is not one of %s, %s", s.Stream, StreamSSE, StreamAWSEventStream)
		}
	}
	if v := f["api_version"]; v != nil {
		if s.APIVersion, err = p.str(v, "api_version"); err != nil {
			return err
		}
		if s.APIVersion == "" || strings.ContainsAny(s.APIVersion, "&#?/ {}") || hasControl(s.APIVersion) {
			return p.errf(v.Line, "api_version %q must be a non-empty query value", s.APIVersion)
		}
	}
	return nil
}

func (p *parser) auth(n *yaml.Node) (Auth, error) {
	f, err := p.fields(n, "auth", "scheme", "header", "prefix", "service")
	if err != nil {
		return Auth{}, err
	}
	var a Auth
	if f["scheme"] == nil {
		return a, p.errf(n.Line, "auth: missing key \"scheme\" (bearer, header, none, sigv4 or google_oauth)")
	}
	if a.Scheme, err = p.str(f["scheme"], "auth.scheme"); err != nil {
		return a, err
	}
	if v := f["service"]; v != nil && a.Scheme != AuthSigV4 {
		return a, p.errf(v.Line, "auth.service is only for scheme sigv4")
	}
	switch a.Scheme {
	case AuthBearer, AuthNone, AuthGoogleOAuth, AuthSigV4:
		for _, k := range []string{"header", "prefix"} {
			if v := f[k]; v != nil {
				return a, p.errf(v.Line, "auth.%s is only for scheme header", k)
			}
		}
		if a.Scheme == AuthSigV4 {
			if f["service"] == nil {
				return a, p.errf(n.Line, "auth: scheme sigv4 needs service (the AWS service name to sign for)")
			}
			if a.Service, err = p.str(f["service"], "auth.service"); err != nil {
				return a, err
			}
			if !nameRE.MatchString(strings.ReplaceAll(a.Service, "-", "_")) {
				return a, p.errf(f["service"].Line, "auth.service %q is not an AWS service name", a.Service)
			}
		}
	case AuthHeader:
		if f["header"] == nil {
			return a, p.errf(n.Line, "auth: scheme header needs a header name")
		}
		if a.Header, err = p.str(f["header"], "auth.header"); err != nil {
			return a, err
		}
		if !headerRE.MatchString(a.Header) {
			return a, p.errf(f["header"].Line, "auth.header %q is not a valid header name", a.Header)
		}
		if v := f["prefix"]; v != nil {
			if a.Prefix, err = p.str(v, "auth.prefix"); err != nil {
				return a, err
			}
		}
	default:
		return a, p.errf(f["scheme"].Line, "auth.scheme %q is not one of bearer, header, none, sigv4, google_oauth", a.Scheme)
	}
	return a, nil
}

func (p *parser) headers(n *yaml.Node) ([]Header, error) {
	if n.Kind != yaml.MappingNode {
		return nil, p.errf(n.Line, "headers must be a mapping of header name to value")
	}
	var out []Header
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !headerRE.MatchString(k.Value) {
			return nil, p.errf(k.Line, "header %q is not a valid header name", k.Value)
		}
		canon := strings.ToLower(k.Value)
		if seen[canon] {
			return nil, p.errf(k.Line, "duplicate header %q", k.Value)
		}
		seen[canon] = true
		if canon == "authorization" || canon == "content-type" || canon == "content-length" || canon == "host" {
			return nil, p.errf(k.Line, "header %q is set by the gateway and cannot be a static header", k.Value)
		}
		val, err := p.str(v, "header "+k.Value)
		if err != nil {
			return nil, err
		}
		if hasControl(val) {
			return nil, p.errf(v.Line, "header %q: the value must not have control characters (CR or LF would inject headers)", k.Value)
		}
		out = append(out, Header{Name: k.Value, Value: val})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (p *parser) operations(n *yaml.Node) ([]Operation, error) {
	names, err := p.strList(n, "operations")
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, p.errf(n.Line, "operations must list at least one operation")
	}
	seen := map[Operation]int{}
	for i, name := range names {
		op := Operation(name)
		if !slices.Contains(Operations, op) {
			return nil, p.errf(n.Content[i].Line, "unknown operation %q (known: %s)", name, opList())
		}
		if _, dup := seen[op]; dup {
			return nil, p.errf(n.Content[i].Line, "operation %q is listed twice", name)
		}
		seen[op] = n.Content[i].Line
	}
	if line, ok := seen[OpChatStream]; ok && seen[OpChat] == 0 {
		return nil, p.errf(line, "chat_stream needs chat")
	}
	if line, ok := seen[OpTextStream]; ok && seen[OpText] == 0 {
		return nil, p.errf(line, "text_stream needs text")
	}
	if line, ok := seen[OpResponsesStream]; ok && seen[OpResponses] == 0 {
		return nil, p.errf(line, "responses_stream needs responses")
	}
	var out []Operation
	for _, op := range Operations {
		if _, ok := seen[op]; ok {
			out = append(out, op)
		}
	}
	return out, nil
}

func opList() string {
	var s []string
	for _, op := range Operations {
		s = append(s, string(op))
	}
	return strings.Join(s, ", ")
}

// paths reads a mapping of operation to path into out; what names it in errors ("paths",
// "model_paths[0].paths").
func (p *parser) paths(n *yaml.Node, what string, out map[Operation]string) error {
	var keys []string
	for _, op := range Operations {
		keys = append(keys, string(op))
	}
	f, err := p.fields(n, what, keys...)
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 { // file order, so the first bad entry is reported
		k := n.Content[i].Value
		v := f[k]
		path, err := p.str(v, what+"."+k)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "# ") || hasControl(path) {
			return p.errf(v.Line, "%s.%s %q must start with / and have no fragment, space or control character", what, k, path)
		}
		if strings.Contains(path, "{endpoint}") {
			return p.errf(v.Line, "%s.%s: {endpoint} is only for base_url", what, k)
		}
		if reason := checkPlaceholders(path); reason != "" {
			return p.errf(v.Line, "%s.%s %s", what, k, reason)
		}
		out[Operation(k)] = path
	}
	return nil
}

// baseURLs reads base_urls: a non-empty mapping of operation (one the spec lists) to the base
// URL its path is appended to in place of base_url.
func (p *parser) baseURLs(n *yaml.Node, s *Spec) (map[Operation]string, error) {
	var keys []string
	for _, op := range Operations {
		keys = append(keys, string(op))
	}
	f, err := p.fields(n, "base_urls", keys...)
	if err != nil {
		return nil, err
	}
	if len(n.Content) == 0 {
		return nil, p.errf(n.Line, "base_urls must give at least one operation's base URL")
	}
	out := map[Operation]string{}
	for i := 0; i+1 < len(n.Content); i += 2 { // file order, so the first bad entry is reported
		k := n.Content[i].Value
		v := f[k]
		if !s.Supports(Operation(k)) {
			return nil, p.errf(n.Content[i].Line, "base_urls.%s: the provider does not list operation %s", k, k)
		}
		u, err := p.str(v, "base_urls."+k)
		if err != nil {
			return nil, err
		}
		if reason := checkURL(u); reason != "" {
			return nil, p.errf(v.Line, "base_urls.%s %s", k, reason)
		}
		out[Operation(k)] = u
	}
	return out, nil
}

func (p *parser) requests(n *yaml.Node, s *Spec) error {
	f, err := p.fields(n, "request", "chat", "text", "embedding")
	if err != nil {
		return err
	}
	for i := 0; i+1 < len(n.Content); i += 2 { // file order
		op := n.Content[i].Value
		v := f[op]
		if !requestOps[op] {
			continue
		}
		if !s.Supports(Operation(op)) {
			return p.errf(v.Line, "request.%s maps an operation the provider does not list", op)
		}
		m, err := p.mapping(v, "request."+op)
		if err != nil {
			return err
		}
		s.Requests[op] = m
	}
	return nil
}

func (p *parser) mapping(n *yaml.Node, what string) (*Mapping, error) {
	f, err := p.fields(n, what, "rename", "drop")
	if err != nil {
		return nil, err
	}
	m := &Mapping{Rename: map[string]string{}, Line: n.Line}
	if v := f["rename"]; v != nil {
		if v.Kind != yaml.MappingNode {
			return nil, p.errf(v.Line, "%s.rename must be a mapping of unified field to provider field", what)
		}
		for i := 0; i+1 < len(v.Content); i += 2 {
			from, to := v.Content[i], v.Content[i+1]
			if !fieldRE.MatchString(from.Value) || to.Kind != yaml.ScalarNode || !fieldRE.MatchString(to.Value) {
				return nil, p.errf(from.Line, "%s.rename: %q -> %q: field names are lower case JSON names", what, from.Value, to.Value)
			}
			if _, dup := m.Rename[from.Value]; dup {
				return nil, p.errf(from.Line, "%s.rename: %q is renamed twice", what, from.Value)
			}
			m.Rename[from.Value] = to.Value
		}
	}
	if v := f["drop"]; v != nil {
		if m.Drop, err = p.strList(v, what+".drop"); err != nil {
			return nil, err
		}
		for i, d := range m.Drop {
			if _, ok := m.Rename[d]; ok {
				return nil, p.errf(v.Content[i].Line, "%s: %q is both renamed and dropped", what, d)
			}
		}
		sort.Strings(m.Drop)
	}
	return m, nil
}
