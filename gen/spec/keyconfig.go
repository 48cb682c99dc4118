package spec

import yaml "go.yaml.in/yaml/v3"

// keyConfig reads key_config: the name of the exported Go variable, declared by hand in the
// spec's folder, that declares the provider's key config member (a
// runtime/provider.KeyConfigSpec).
func (p *parser) keyConfig(v *yaml.Node) (string, error) {
	name, err := p.str(v, "key_config")
	if err != nil {
		return "", err
	}
	if !codecRE.MatchString(name) {
		return "", p.errf(v.Line, "key_config %q must be an exported Go variable name, declared in %s/<name>/ (such as KeyConfigSpec)", name, AdaptersDir)
	}
	return name, nil
}

// keys reads key_optional and key_config, after auth.
func (p *parser) keys(f map[string]*yaml.Node, s *Spec) (err error) {
	if s.Auth.Scheme == AuthNone {
		s.KeyOptional = true // a provider that takes no key needs none in the config
	}
	if v := f["key_optional"]; v != nil {
		if s.KeyOptional, err = p.boolean(v, "key_optional"); err != nil {
			return err
		}
	}
	if v := f["key_config"]; v != nil {
		if s.KeyConfig, err = p.keyConfig(v); err != nil {
			return err
		}
	}
	return nil
}
