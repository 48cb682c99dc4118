package config

import (
	"sort"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	yaml "go.yaml.in/yaml/v3"
)

// keyConfigSuffix ends the name of every provider's key config member ("<type>_key_config",
// as upstream names them).
const keyConfigSuffix = "_key_config"

// Option changes how Parse reads a configuration.
type Option func(*decoder)

// WithAdapters tells Parse the provider types of this build, the adapters the engine will
// get (adapters.All() for the built-in ones), so that it checks what depends on them where
// it reads the file, with errors at the lines. Their names are the provider types that may
// be written at the top level (the launch post's shape). Their specs say which types may
// have no keys (key_optional) and which need network_config.base_url (base_url_required).
// Each key's "<type>_key_config" member is decoded and checked with the declaration its
// adapter makes (provider.Info.KeyConfig).
//
// Without it, Parse takes any top-level object with "keys" for a provider, keeps a key's
// "<type>_key_config" member undecoded, and accepts a provider without keys or base URL and
// a key without a value when it has such a member; the engine checks all that, and decodes
// the members (Key.KeyConfig), when it builds the providers.
func WithAdapters(all []provider.Adapter) Option {
	return func(d *decoder) {
		d.types = make(map[string]*provider.Info, len(all))
		for _, a := range all {
			info := a.Info()
			d.types[info.Name] = info
		}
	}
}

// keyConfigOf returns the key config declaration of provider type typ, or nil.
func (d *decoder) keyConfigOf(typ string) *provider.KeyConfigSpec {
	if info := d.types[typ]; info != nil {
		return info.KeyConfig
	}
	return nil
}

// rawMember is a key config member that Parse kept undecoded, with what decoding it later
// needs.
type rawMember struct {
	name   string
	key    *yaml.Node // the member's name, for errors about the member as a whole
	node   *yaml.Node
	path   string // the member's path: providers.<name>.keys[i].<type>_key_config
	file   string
	getenv func(string) string
}

// KeyConfig returns the key's provider-specific settings for a provider type whose key
// config declaration is spec (nil when it declares none): k.Settings when it is set, else
// the member that Parse kept undecoded (it was given no adapters; see WithAdapters),
// decoded and checked now, else nil. Errors are an [ErrorList], as Parse's.
func (k *Key) KeyConfig(spec *provider.KeyConfigSpec) (provider.KeyConfig, error) {
	if k.Settings != nil || k.raw == nil {
		return k.Settings, nil
	}
	r := k.raw
	d := &decoder{file: r.file, getenv: r.getenv, budget: defaultNodeBudget}
	var kc provider.KeyConfig
	if spec == nil || spec.Member != r.name {
		d.errorf(r.key, r.path, "not a setting of this provider type's keys")
	} else {
		kc = d.keySettings(r.node, r.path, spec)
	}
	if len(d.errs) > 0 {
		return nil, d.errorList()
	}
	return kc, nil
}

// keyMember reports whether a key's field name is a provider's key config member: one that
// a declaration names, or, without declarations, any "<type>_key_config".
func (d *decoder) keyMember(name string) bool {
	if d.types == nil {
		return strings.HasSuffix(name, keyConfigSuffix)
	}
	return d.memberOwner(name) != ""
}

// memberOwner returns the provider type that declares key config member name, or "".
func (d *decoder) memberOwner(name string) string {
	var types []string
	for t, info := range d.types {
		if s := info.KeyConfig; s != nil && s.Member == name {
			types = append(types, t)
		}
	}
	if len(types) == 0 {
		return ""
	}
	sort.Strings(types)
	return types[0]
}

// keyConfig decodes the key config members of key k (at path, in node) of a provider of
// type base, and checks that the member there may be and is there where required. It
// returns whether a member was given (not null) for the provider's declaration.
func (d *decoder) keyConfig(node *yaml.Node, members []pair, path, base string, k *Key) (given bool) {
	spec := d.keyConfigOf(base)
	for _, m := range members {
		fp := join(path, m.key.Value)
		if d.types == nil {
			if k.raw != nil {
				d.errorf(m.key, fp, "a key has one provider's settings: %s is set too", k.raw.name)
				continue
			}
			k.raw = &rawMember{name: m.key.Value, key: m.key, node: m.val, path: fp, file: d.file, getenv: d.getenv}
			continue
		}
		if spec == nil || spec.Member != m.key.Value {
			d.errorf(m.key, fp, "only allowed for %s providers", d.memberOwner(m.key.Value))
			continue
		}
		if v := d.deref(m.val); v != nil && !isNull(v) {
			given = true
		}
		k.Settings = d.keySettings(m.val, fp, spec)
	}
	if spec != nil && spec.Required && !given {
		if fp := join(path, spec.Member); !d.failedAt(fp) {
			d.errorf(node, fp, "required for %s providers", base)
		}
	}
	return given
}

// keySettings decodes the key config member n at path with its declaration spec. It
// returns nil when n is null or had errors.
func (d *decoder) keySettings(n *yaml.Node, path string, spec *provider.KeyConfigSpec) provider.KeyConfig {
	node := d.deref(n)
	if node == nil || isNull(node) {
		return nil
	}
	errsBefore := len(d.errs)
	vals := provider.KeyValues{Strings: map[string]string{}, Maps: map[string]map[string]string{}}
	given := map[string]bool{}
	known := make([]field, len(spec.Fields))
	for i, kf := range spec.Fields {
		known[i] = field{name: kf.Name, required: kf.Required, set: func(f pair, fp string) {
			given[kf.Name] = true
			d.keyField(f.val, fp, kf, &vals)
		}}
	}
	d.fields(node, path, known)
	for _, kf := range spec.Fields {
		if kf.With != "" && given[kf.Name] && !given[kf.With] {
			d.errorf(node, join(path, kf.With), "required with %s", kf.Name)
		}
	}
	if len(d.errs) > errsBefore || spec.Make == nil {
		return nil
	}
	return spec.Make(vals)
}

// keyField decodes one field of a key config member into vals.
func (d *decoder) keyField(n *yaml.Node, path string, kf provider.KeyField, vals *provider.KeyValues) {
	switch kf.Type {
	case provider.KeyString:
		vals.Strings[kf.Name], _ = d.str(n, path)
	case provider.KeyNonEmpty:
		vals.Strings[kf.Name] = d.nonEmpty(n, path)
	case provider.KeyURL:
		vals.Strings[kf.Name] = d.httpURL(n, path)
	case provider.KeyMap:
		vals.Maps[kf.Name] = d.strMap(n, path)
	default:
		d.errorf(d.deref(n), path, "field type %d is not known to this build", kf.Type)
	}
}

// valueRule returns when a key of provider p may leave out its value: never, unless p may
// have no keys or its key config declaration says so. Without adapters, a key with a key
// config member may (the engine checks what its provider needs).
func (d *decoder) valueRule(p *Provider, hasMember bool) provider.KeyValueRule {
	switch {
	case d.keyless(p):
		return provider.ValueOptional
	case d.types == nil && hasMember:
		return provider.ValueOptional
	}
	if spec := d.keyConfigOf(p.BaseType()); spec != nil {
		return spec.Value
	}
	return provider.ValueRequired
}
