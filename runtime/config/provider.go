package config

import (
	"sort"
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	yaml "go.yaml.in/yaml/v3"
)

// badProviderName is the error for a provider name that isProviderName refuses.
const badProviderName = "provider names must be 1 to 64 lowercase letters, digits, '-' or '_'"

// providers decodes the "providers" object.
func (d *decoder) providers(p pair) map[string]*Provider {
	const path = "providers"
	val := d.deref(p.val)
	if val == nil {
		return nil
	}
	if isNull(val) || val.Kind == yaml.MappingNode && len(val.Content) == 0 {
		d.errorf(p.key, path, "at least one provider is required")
		return nil
	}
	out := make(map[string]*Provider)
	for _, pp := range d.mapping(val, path) {
		name, pPath := pp.key.Value, join(path, pp.key.Value)
		if !isProviderName(name) {
			d.errorf(pp.key, pPath, badProviderName)
			continue
		}
		out[name] = d.provider(pp, pPath)
	}
	return out
}

// provider decodes one provider, applies its defaults and checks it as a whole.
func (d *decoder) provider(pp pair, path string) *Provider {
	p := &Provider{
		Name: pp.key.Value,
		Network: Network{
			DefaultRequestTimeout: DefaultRequestTimeout,
			MaxRetries:            DefaultMaxRetries,
			RetryBackoffInitial:   DefaultRetryBackoffInitial,
			RetryBackoffMax:       DefaultRetryBackoffMax,
			StreamIdleTimeout:     DefaultStreamIdleTimeout,
			MaxConnsPerHost:       DefaultMaxConnsPerHost,
			ConnectTimeout:        DefaultConnectTimeout,
			AuthKeyCooldown:       DefaultAuthKeyCooldown,
			RateLimitKeyCooldown:  DefaultRateLimitKeyCooldown,
			MaxResponseBodyBytes:  DefaultMaxResponseBodyMB << 20,
			MaxStreamEventBytes:   DefaultMaxStreamEventKB << 10,
		},

		Concurrency: ConcurrencyAndBuffer{Concurrency: DefaultConcurrency, BufferSize: DefaultBufferSize},
	}
	if n := d.deref(pp.val); n != nil && !isNull(n) && n.Kind != yaml.MappingNode {
		d.errorf(n, path, "must be an object")
		return p
	}
	var keys *pair
	for _, f := range d.mapping(pp.val, path) {
		fp := join(path, f.key.Value)
		switch f.key.Value {
		case "keys":
			keys = &f
		case "network_config":
			d.network(f.val, fp, &p.Network)
		case "concurrency_and_buffer_size":
			d.concurrency(f.val, fp, &p.Concurrency)
		case "proxy_config":
			p.Proxy = d.proxy(f.val, fp)
		case "custom_provider_config":
			p.Custom = d.custom(f.val, fp, p.Name)
		case "circuit_breaker":
			d.breaker(f.val, fp, &p.Breaker)
		case "send_back_raw_request":
			p.SendBackRawRequest, _ = d.boolean(f.val, fp)
		case "send_back_raw_response":
			p.SendBackRawResponse, _ = d.boolean(f.val, fp)
		case "store_raw_request_response":
			d.ignore(f, path)
		default:
			d.unknown(f, path)
		}
	}

	// Keys last: what a key needs depends on the provider type, which
	// custom_provider_config may set after the keys in the file.
	keysPath := join(path, "keys")
	where := pp.key
	items := 0
	if keys != nil {
		where = keys.key
		p.Keys, items = d.keys(keys.val, keysPath, p)
	}
	switch {
	case items == 0 && !d.keyless(p) && d.types != nil && !d.failedAt(keysPath):
		d.errorf(where, keysPath, "at least one key is required (only %s and custom providers with is_key_less may have none)", d.typesWhere(func(i *provider.Info) bool { return i.KeyOptional }))
	case len(p.Keys) > 0 && len(p.Keys) == items && totalWeight(p.Keys) == 0:
		d.errorf(where, keysPath, "at least one key must have a weight > 0")
	}
	if info := d.types[p.BaseType()]; info != nil && info.BaseURLRequired && p.Network.BaseURL == "" {
		if fp := join(join(path, "network_config"), "base_url"); !d.failedAt(fp) {
			d.errorf(pp.key, fp, "required for self-hosted provider types (%s)",
				d.typesWhere(func(i *provider.Info) bool { return i.BaseURLRequired }))
		}
	}
	return p
}

// keyless reports whether provider p may have no keys: a custom provider with is_key_less,
// or a provider type whose spec makes keys optional.
func (d *decoder) keyless(p *Provider) bool {
	info := d.types[p.BaseType()]
	return p.Keyless() || info != nil && info.KeyOptional
}

// typesWhere lists the provider types of this build for which pick holds, sorted, for
// errors.
func (d *decoder) typesWhere(pick func(*provider.Info) bool) string {
	var names []string
	for name, info := range d.types {
		if pick(info) {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// failedAt reports whether an error was already recorded at path.
func (d *decoder) failedAt(path string) bool {
	for _, e := range d.errs {
		if e.Path == path {
			return true
		}
	}
	return false
}

func totalWeight(keys []Key) float64 {
	var sum float64
	for _, k := range keys {
		sum += k.Weight
	}
	return sum
}

// keys decodes the "keys" list of provider p. It returns the keys without errors and the
// number of items in the list.
func (d *decoder) keys(n *yaml.Node, path string, p *Provider) ([]Key, int) {
	items := d.list(n, path)
	var keys []Key
	for i, item := range items {
		if k, ok := d.key(item, index(path, i), p); ok {
			keys = append(keys, k)
		}
	}
	return keys, len(items)
}

// key decodes one key of provider p. ok is false if the key had errors.
func (d *decoder) key(n *yaml.Node, path string, p *Provider) (k Key, ok bool) {
	node := d.deref(n)
	if node == nil {
		return k, false
	}
	if isNull(node) {
		d.errorf(node, path, "must be an object")
		return k, false
	}
	errsBefore := len(d.errs)
	k.Weight = DefaultWeight
	var hasValue bool
	var members []pair
	for _, f := range d.mapping(node, path) {
		fp := join(path, f.key.Value)
		switch f.key.Value {
		case "id":
			k.ID, _ = d.str(f.val, fp)
		case "name":
			k.Name, _ = d.str(f.val, fp)
		case "value":
			hasValue = true
			k.Value, _ = d.str(f.val, fp)
		case "models":
			k.Models = d.strList(f.val, fp, nil)
		case "weight":
			if w, ok := d.number(f.val, fp); ok {
				if w < 0 {
					d.errorf(d.deref(f.val), fp, "must be >= 0")
				} else {
					k.Weight = w
				}
			}
		case "use_for_batch_api":
			d.ignore(f, path)
		default:
			if d.keyMember(f.key.Value) {
				members = append(members, f)
			} else {
				d.unknown(f, path)
			}
		}
	}

	given := d.keyConfig(node, members, path, p.BaseType(), &k)
	rule := d.valueRule(p, len(members) > 0)
	valueOptional := rule == provider.ValueOptional || rule == provider.ValueOptionalWithConfig && given
	switch {
	case !hasValue && !valueOptional && rule == provider.ValueOptionalWithConfig:
		d.errorf(node, join(path, "value"), "required unless %s is set", d.keyConfigOf(p.BaseType()).Member)
	case !hasValue && !valueOptional:
		d.errorf(node, join(path, "value"), "required")
	}
	if hasValue && k.Value == "" && !valueOptional && !d.failedAt(join(path, "value")) {
		d.errorf(node, join(path, "value"), "must not be empty")
	}
	return k, len(d.errs) == errsBefore
}
