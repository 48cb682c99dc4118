package spec

import (
	"fmt"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// modelPaths reads model_paths: a non-empty list of {prefix, paths}, each prefix reachable
// (no earlier prefix starts it) and each path for an operation the spec lists.
func (p *parser) modelPaths(n *yaml.Node, s *Spec) ([]ModelPaths, error) {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		return nil, p.errf(n.Line, "model_paths must be a non-empty list of {prefix, paths}")
	}
	var out []ModelPaths
	for i, e := range n.Content {
		what := fmt.Sprintf("model_paths[%d]", i)
		f, err := p.fields(e, what, "prefix", "paths", "codec")
		if err != nil {
			return nil, err
		}
		for _, req := range []string{"prefix", "paths"} {
			if f[req] == nil {
				return nil, p.errf(e.Line, "%s: missing key %q", what, req)
			}
		}
		mp := ModelPaths{Paths: map[Operation]string{}, Line: e.Line}
		if mp.Prefix, err = p.str(f["prefix"], what+".prefix"); err != nil {
			return nil, err
		}
		if mp.Prefix == "" || hasControl(mp.Prefix) {
			return nil, p.errf(f["prefix"].Line, "%s.prefix must be a non-empty model name prefix without control characters", what)
		}
		for j, prev := range out {
			if strings.HasPrefix(mp.Prefix, prev.Prefix) {
				return nil, p.errf(f["prefix"].Line, "%s.prefix %q is never used: model_paths[%d] (prefix %q) matches those models first", what, mp.Prefix, j, prev.Prefix)
			}
		}
		if mp.Codec, err = p.routeCodec(f["codec"], what, s); err != nil {
			return nil, err
		}
		pn := f["paths"]
		if pn.Kind == yaml.MappingNode && len(pn.Content) == 0 {
			return nil, p.errf(pn.Line, "%s.paths must give at least one path", what)
		}
		if err := p.paths(pn, what+".paths", mp.Paths); err != nil {
			return nil, err
		}
		for k := 0; k+1 < len(pn.Content); k += 2 {
			if op := Operation(pn.Content[k].Value); !s.Supports(op) {
				return nil, p.errf(pn.Content[k].Line, "%s.paths.%s: the provider does not list operation %s", what, op, op)
			}
		}
		out = append(out, mp)
	}
	return out, nil
}

// routeCodec reads a model_paths entry's codec (nil: none): an exported Go type name, for a
// spec with a codec of its own, in whose folder the type is declared.
func (p *parser) routeCodec(v *yaml.Node, what string, s *Spec) (string, error) {
	if v == nil {
		return "", nil
	}
	c, err := p.str(v, what+".codec")
	if err != nil {
		return "", err
	}
	if s.Codec == "" {
		return "", p.errf(v.Line, "%s.codec is for a spec with a codec of its own (a base spec whose format is not openai)", what)
	}
	if !codecRE.MatchString(c) {
		return "", p.errf(v.Line, "%s.codec %q must be an exported Go type name, declared in %s/%s/ beside %s", what, c, AdaptersDir, s.Name, s.Codec)
	}
	return c, nil
}
