package config

import (
	"time"

	yaml "go.yaml.in/yaml/v3"
)

// network decodes "network_config" into nw, which holds the defaults.
func (d *decoder) network(n *yaml.Node, path string, nw *Network) {
	var initial, limit *pair
	for _, f := range d.mapping(n, path) {
		fp := join(path, f.key.Value)
		switch f.key.Value {
		case "base_url":
			nw.BaseURL = d.httpURL(f.val, fp)
		case "extra_headers":
			nw.ExtraHeaders = d.headers(f.val, fp)
		case "default_request_timeout_in_seconds":
			if v, ok := d.optInt(f.val, fp, 1, maxRequestTimeoutSeconds); ok {
				nw.DefaultRequestTimeout = time.Duration(v) * time.Second
			}
		case "max_retries":
			if v, ok := d.integer(f.val, fp, 0, maxRetries); ok {
				nw.MaxRetries = v
			}
		case "retry_backoff_initial":
			initial = &f
			if v, ok := d.millis(f.val, fp, maxRetryBackoff); ok && v > 0 {
				nw.RetryBackoffInitial = v
			}
		case "retry_backoff_max":
			limit = &f
			if v, ok := d.millis(f.val, fp, maxRetryBackoff); ok && v > 0 {
				nw.RetryBackoffMax = v
			}
		case "stream_idle_timeout_in_seconds":
			if v, ok := d.optInt(f.val, fp, minStreamIdleSeconds, maxStreamIdleSeconds); ok {
				nw.StreamIdleTimeout = time.Duration(v) * time.Second
			}
		case "max_conns_per_host":
			if v, ok := d.optInt(f.val, fp, 1, maxConnsPerHost); ok {
				nw.MaxConnsPerHost = v
			}
		case "insecure_skip_verify":
			nw.InsecureSkipVerify, _ = d.boolean(f.val, fp)
		case "ca_cert_pem":
			nw.CACertPEM = d.pemCert(f.val, fp)
		case "enforce_http2":
			d.ignore(f, path)
		default:
			if d.networkExtension(f, fp, nw) {
				continue
			}
			if reason, refused := unsupportedNetwork[f.key.Value]; refused {
				d.refuse(f, path, reason)
			} else {
				d.unknown(f, path)
			}
		}
	}
	if nw.RetryBackoffMax < nw.RetryBackoffInitial {
		if limit != nil {
			d.errorf(d.deref(limit.val), join(path, "retry_backoff_max"), "must be >= retry_backoff_initial")
		} else if initial != nil {
			d.errorf(d.deref(initial.val), join(path, "retry_backoff_initial"),
				"must be <= retry_backoff_max (default %v)", DefaultRetryBackoffMax)
		}
	}
}

// networkExtension decodes a field of "network_config" that is this gateway's extension
// (timeouts, key cooldowns, response size limits) into nw. It reports whether f is one.
func (d *decoder) networkExtension(f pair, fp string, nw *Network) bool {
	switch f.key.Value {
	case "connect_timeout":
		if v, ok := d.millis(f.val, fp, maxConnectTimeout); ok && v > 0 {
			nw.ConnectTimeout = v
		}
	case "response_header_timeout":
		if v, ok := d.millis(f.val, fp, maxRequestTimeoutSeconds*time.Second); ok {
			nw.ResponseHeaderTimeout = v
		}
	case "auth_failure_key_cooldown":
		if v, ok := d.millis(f.val, fp, maxKeyCooldown); ok && v > 0 {
			nw.AuthKeyCooldown = v
		}
	case "rate_limit_key_cooldown":
		if v, ok := d.millis(f.val, fp, maxKeyCooldown); ok && v > 0 {
			nw.RateLimitKeyCooldown = v
		}
	case "max_response_body_mb":
		if v, ok := d.optInt(f.val, fp, 1, maxResponseBodyMB); ok {
			nw.MaxResponseBodyBytes = v << 20
		}
	case "max_stream_event_kb":
		if v, ok := d.optInt(f.val, fp, 1, maxStreamEventKB); ok {
			nw.MaxStreamEventBytes = v << 10
		}
	default:
		return false
	}
	return true
}

// breaker decodes "circuit_breaker" into b, which holds the defaults.
func (d *decoder) breaker(n *yaml.Node, path string, b *CircuitBreaker) {
	d.fields(d.deref(n), path, []field{
		{name: "enabled", set: func(f pair, fp string) {
			if v, ok := d.boolean(f.val, fp); ok {
				b.Disabled = !v
			}
		}},
		{name: "failure_ratio", set: func(f pair, fp string) {
			v, ok := d.number(f.val, fp)
			switch {
			case !ok:
			case v == 0:
			case v < 0 || v > 1:
				d.errorf(d.deref(f.val), fp, "must be between 0 and 1, or 0 for the default")
			default:
				b.FailureRatio = v
			}
		}},
		{name: "min_requests", set: func(f pair, fp string) {
			if v, ok := d.optInt(f.val, fp, 1, maxBreakerMinRequests); ok {
				b.MinRequests = v
			}
		}},
		{name: "window", set: func(f pair, fp string) {
			if v, ok := d.millis(f.val, fp, maxRetryBackoff); ok && v > 0 {
				b.Window = v
			}
		}},
		{name: "open_for", set: func(f pair, fp string) {
			if v, ok := d.millis(f.val, fp, maxRetryBackoff); ok && v > 0 {
				b.OpenFor = v
			}
		}},
	})
}

// concurrency decodes "concurrency_and_buffer_size" into c, which holds the defaults.
func (d *decoder) concurrency(n *yaml.Node, path string, c *ConcurrencyAndBuffer) {
	d.fields(d.deref(n), path, []field{
		{name: "concurrency", set: func(f pair, fp string) {
			if v, ok := d.optInt(f.val, fp, 1, maxConcurrency); ok {
				c.Concurrency = v
			}
		}},
		{name: "buffer_size", set: func(f pair, fp string) {
			if v, ok := d.optInt(f.val, fp, 1, maxBufferSize); ok {
				c.BufferSize = v
			}
		}},
	})
}

// proxy decodes "proxy_config".
func (d *decoder) proxy(n *yaml.Node, path string) *Proxy {
	node := d.deref(n)
	if node == nil || isNull(node) {
		return nil
	}
	px := &Proxy{}
	var urlField *pair
	d.fields(node, path, []field{
		{name: "type", required: true, set: func(f pair, fp string) {
			s, ok := d.str(f.val, fp)
			switch {
			case !ok:
			case s == ProxyNone || s == ProxyHTTP || s == ProxySOCKS5 || s == ProxyEnvironment:
				px.Type = s
			default:
				d.errorf(d.deref(f.val), fp, "must be one of none, http, socks5, environment")
			}
		}},
		{name: "url", set: func(f pair, fp string) { urlField = &f; px.URL, _ = d.str(f.val, fp) }},
		{name: "username", set: func(f pair, fp string) { px.Username, _ = d.str(f.val, fp) }},
		{name: "password", set: func(f pair, fp string) { px.Password, _ = d.str(f.val, fp) }},
		{name: "ca_cert_pem", set: func(f pair, fp string) { px.CACertPEM = d.pemCert(f.val, fp) }},
	})

	urlPath := join(path, "url")
	var schemes []string
	switch px.Type {
	case ProxyHTTP:
		schemes = []string{"http", "https"}
	case ProxySOCKS5:
		schemes = []string{"socks5", "socks5h"}
	default:
		return px
	}
	switch {
	case d.failedAt(urlPath):
	case urlField == nil || px.URL == "":
		d.errorf(node, urlPath, "required for http and socks5 proxies")
	case !isURLWithScheme(px.URL, schemes...):
		d.errorf(d.deref(urlField.val), urlPath, "must be an absolute URL with scheme %s or %s", schemes[0], schemes[1])
	}
	return px
}

// custom decodes "custom_provider_config" of the provider called name.
func (d *decoder) custom(n *yaml.Node, path, name string) *CustomProvider {
	node := d.deref(n)
	if node == nil || isNull(node) {
		return nil
	}
	c := &CustomProvider{}
	d.fields(node, path, []field{
		{name: "base_provider_type", required: true, set: func(f pair, fp string) {
			s, ok := d.str(f.val, fp)
			switch {
			case !ok:
			case !isProviderName(s):
				d.errorf(d.deref(f.val), fp, `must be a provider type such as "openai"`)
			case s == name:
				d.errorf(d.deref(f.val), fp, "must differ from the custom provider's own name")
			default:
				c.BaseProviderType = s
			}
		}},
		{name: "is_key_less", set: func(f pair, fp string) { c.IsKeyless, _ = d.boolean(f.val, fp) }},
		{name: "allowed_requests", set: func(f pair, fp string) { c.AllowedRequests = d.boolMap(f.val, fp) }},
		{name: "request_path_overrides", set: func(f pair, fp string) {
			c.RequestPathOverrides = d.strMap(f.val, fp)
			for _, p := range d.mapping(f.val, fp) {
				if c.RequestPathOverrides[p.key.Value] == "" && !d.failedAt(join(fp, p.key.Value)) {
					d.errorf(p.key, join(fp, p.key.Value), "must not be empty")
				}
			}
		}},
		{name: "base_url", set: func(f pair, fp string) {
			d.errorf(f.key, fp, "unknown field: a custom provider's URL goes in network_config.base_url")
		}},
	})
	return c
}
