package config

import (
	"net/url"
	"strings"
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// config decodes the root object.
func (d *decoder) config(root *yaml.Node) *Config {
	cfg := &Config{
		Client: Client{
			InitialPoolSize:      DefaultInitialPoolSize,
			MaxRequestBodyMB:     DefaultMaxRequestBodyMB,
			MaxBufferedRequestMB: DefaultMaxBufferedRequestMB,
			MaxConnections:       DefaultMaxConnections,
			MaxConnectionsPerIP:  DefaultMaxConnectionsPerIP,
		},
	}
	root = d.deref(root)
	if root == nil {
		return cfg
	}
	if root.Kind != yaml.MappingNode {
		d.errorf(root, "", "the configuration must be an object")
		return cfg
	}
	var providers, aliases *pair
	var top []pair // providers at the top level, the launch post's shape
	for _, p := range d.mapping(root, "") {
		switch p.key.Value {
		case "providers":
			providers = &p
		case "client":
			d.client(p.val, "client", &cfg.Client)
		case "aliases":
			aliases = &p
		case "plugins":
			cfg.Plugins = d.plugins(p.val, "plugins")
		case "governance":
			cfg.Governance = d.governance(p.val, "governance")
		case "tracing":
			cfg.Tracing = d.tracing(p.val, "tracing")
		case "$schema":
			d.ignore(p, "")
		default:
			switch reason, refused := unsupportedTop[p.key.Value]; {
			case d.isTopLevelProvider(p.key.Value, d.deref(p.val)):
				top = append(top, p)
			case refused:
				d.refuse(p, "", reason)
			case looksLikeProvider(d.deref(p.val)):
				d.refuse(p, "", `unknown field: not a provider type that may be written at the top level; a custom provider goes under "providers"`)
			default:
				d.unknown(p, "")
			}
		}
	}

	switch {
	case providers != nil && len(top) > 0:
		d.mixedShapes(top, providers.key)
	case len(top) > 0:
		cfg.Providers = d.providersAtTop(top)
	case providers == nil:
		d.errorf(root, "providers", "at least one provider is required")
	default:
		cfg.Providers = d.providers(*providers)
	}
	if aliases != nil {
		cfg.Aliases = d.aliases(aliases.val, "aliases", cfg.Providers)
	}
	return cfg
}

// client decodes the "client" object into c, which holds the defaults.
func (d *decoder) client(n *yaml.Node, path string, c *Client) {
	for _, p := range d.mapping(n, path) {
		fp := join(path, p.key.Value)
		switch p.key.Value {
		case "drop_excess_requests":
			if v, ok := d.boolean(p.val, fp); ok {
				c.DropExcessRequests = v
			}
		case "fallback_on_client_errors":
			if v, ok := d.boolean(p.val, fp); ok {
				c.FallbackOnClientErrors = v
			}
		case "initial_pool_size":
			if v, ok := d.optInt(p.val, fp, 1, maxInitialPoolSize); ok {
				c.InitialPoolSize = v
			}
		case "max_request_body_size_mb":
			if v, ok := d.optInt(p.val, fp, 1, maxRequestBodyMB); ok {
				c.MaxRequestBodyMB = v
			}
		case "stream_write_timeout_in_seconds":
			if v, ok := d.optInt(p.val, fp, 1, maxStreamWriteSeconds); ok {
				c.StreamWriteTimeout = time.Duration(v) * time.Second
			}
		case "max_buffered_request_mb":
			if v, ok := d.optInt(p.val, fp, 1, maxBufferedRequestMB); ok {
				c.MaxBufferedRequestMB = v
			}
		case "max_connections":
			if v, ok := d.optInt(p.val, fp, 1, maxConnections); ok {
				c.MaxConnections = v
			}
		case "max_connections_per_ip":
			if v, ok := d.integer(p.val, fp, 0, maxConnections); ok {
				c.MaxConnectionsPerIP = v
			}
		case "prometheus_labels":
			c.PrometheusLabels = d.strList(p.val, fp, func(s string) string {
				if !isLabelName(s) {
					return "must be a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
				}
				return ""
			})
		case "api_keys":
			c.APIKeys = d.strList(p.val, fp, nil)
		case "admin_keys":
			c.AdminKeys = d.strList(p.val, fp, func(s string) string {
				if len(s) < 16 {
					return "must be at least 16 characters"
				}
				return ""
			})
		case "allow_direct_keys":
			if v, ok := d.boolean(p.val, fp); ok {
				c.AllowDirectKeys = v
			}
		case "allowed_origins":
			c.AllowedOrigins = d.strList(p.val, fp, func(s string) string {
				if s != "*" && !isOrigin(s) {
					return `must be "*" or an http(s) origin such as "https://app.example.com"`
				}
				return ""
			})
		case "enable_logging", "disable_content_logging", "log_retention_days",
			"disable_db_pings_in_health", "dump_errors_in_console_logs":
			d.ignore(p, path)
		default:
			if reason, refused := unsupportedClient[p.key.Value]; refused {
				d.refuse(p, path, reason)
			} else {
				d.unknown(p, path)
			}
		}
	}
}

// aliases decodes the "aliases" object. Every target must name a configured provider.
func (d *decoder) aliases(n *yaml.Node, path string, providers map[string]*Provider) map[string][]string {
	pairs := d.mapping(n, path)
	if pairs == nil {
		return nil
	}
	out := make(map[string][]string, len(pairs))
	for _, p := range pairs {
		name, ap := p.key.Value, join(path, p.key.Value)
		if name == "" || strings.ContainsAny(name, "/ \t\r\n") {
			d.errorf(p.key, ap, "alias names must be non-empty, without '/' or spaces")
			continue
		}
		val := d.deref(p.val)
		if val == nil {
			continue
		}
		var items []*yaml.Node
		var paths []string
		if val.Kind == yaml.ScalarNode && !isNull(val) {
			items, paths = []*yaml.Node{val}, []string{ap}
		} else {
			items = d.list(val, ap)
			for i := range items {
				paths = append(paths, index(ap, i))
			}
		}
		if len(items) == 0 {
			if val.Kind == yaml.SequenceNode || isNull(val) {
				d.errorf(val, ap, "at least one target is required")
			}
			continue
		}
		targets := make([]string, 0, len(items))
		for i, item := range items {
			if v := d.deref(item); v != nil && isNull(v) {
				d.errorf(v, paths[i], `must be "provider/model"`)
				continue
			}
			t, ok := d.str(item, paths[i])
			if !ok {
				continue
			}
			prov, model, found := strings.Cut(t, "/")
			if !found || prov == "" || model == "" {
				d.errorf(d.deref(item), paths[i], `must be "provider/model"`)
				continue
			}
			if _, ok := providers[prov]; !ok && providers != nil {
				d.errorf(d.deref(item), paths[i], "names a provider that is not configured")
				continue
			}
			targets = append(targets, t)
		}
		out[name] = targets
	}
	return out
}

// isLabelName reports whether s is a valid Prometheus label name.
func isLabelName(s string) bool {
	for i, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || i > 0 && '0' <= c && c <= '9') {
			return false
		}
	}
	return s != ""
}

// isOrigin reports whether s is an http or https origin: scheme and host, no path.
func isOrigin(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" &&
		(u.Path == "" || u.Path == "/") && u.RawQuery == "" && u.Fragment == "" && u.User == nil
}
