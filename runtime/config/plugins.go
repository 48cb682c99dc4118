package config

import yaml "go.yaml.in/yaml/v3"

// Plugin is one entry of the "plugins" list (upstream's shape): which plugin, whether it
// runs, and its own settings, which the plugin checks when it is built.
type Plugin struct {
	// Name names the plugin, e.g. "cache". Key: "name".
	Name string
	// Enabled turns the plugin on. Key: "enabled". Default: true.
	Enabled bool
	// Config holds the plugin's settings as decoded JSON values (string, float64 or int,
	// bool, []any, map[string]any). Key: "config".
	Config map[string]any
}

// plugins decodes the "plugins" list.
func (d *decoder) plugins(n *yaml.Node, path string) []Plugin {
	items := d.list(n, path)
	var out []Plugin
	for i, item := range items {
		ip := index(path, i)
		pl := Plugin{Enabled: true}
		named := false
		for _, p := range d.mapping(item, ip) {
			fp := join(ip, p.key.Value)
			switch p.key.Value {
			case "name":
				if s, ok := d.str(p.val, fp); ok && s != "" {
					pl.Name, named = s, true
				} else if ok {
					d.errorf(d.deref(p.val), fp, "must not be empty")
				}
			case "enabled":
				if v, ok := d.boolean(p.val, fp); ok {
					pl.Enabled = v
				}
			case "config":
				v := d.deref(p.val)
				if v == nil || isNull(v) {
					continue
				}
				if v.Kind != yaml.MappingNode {
					d.errorf(v, fp, "must be an object")
					continue
				}
				if err := v.Decode(&pl.Config); err != nil {
					d.errorf(v, fp, "%v", err)
				}
			default:
				d.unknown(p, ip)
			}
		}
		if v := d.deref(item); v != nil && v.Kind == yaml.MappingNode && !named {
			d.errorf(v, join(ip, "name"), "is required")
		}
		out = append(out, pl)
	}
	return out
}
