package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpproxy"
)

// snapshot is one immutable view of the configuration: providers with their keys, URLs and
// clients, and aliases. Requests read it without locks.
type snapshot struct {
	providers  map[string]*providerState
	names      []string // sorted
	aliases    map[string][]target
	dropExcess bool
}

// providerState is one configured provider.
type providerState struct {
	name    string
	adapter provider.Adapter
	info    *provider.Info
	urls    [provider.NumOps]string // base URL + path; "" when unsupported
	keys    []keyState
	headers []provider.Header // static spec headers, then extra_headers from the config
	client  *fasthttp.Client
	timeout time.Duration
	retries int
	backoff struct{ initial, max time.Duration }
	adm     *admission
	allowed func(op provider.Op) bool
}

// keyState is one usable key with its precomputed auth header value.
type keyState struct {
	value  string
	auth   string // header value, e.g. "Bearer sk-..."
	weight float64
	models []string // empty: all
}

func (k *keyState) allows(model string) bool {
	if len(k.models) == 0 || model == "" { // "" lists models: any key will do
		return true
	}
	for _, m := range k.models {
		if m == model || m == "*" {
			return true
		}
	}
	return false
}

// target is one provider and model to try.
type target struct {
	p     *providerState
	model string
}

// customOps maps an operation to upstream's request type names, for custom providers'
// allowed_requests.
var customOps = [provider.NumOps]string{"chat_completion", "chat_completion_stream", "text_completion", "text_completion_stream", "embedding", "list_models"}

// buildSnapshot checks cfg against the available adapters and builds a snapshot. Errors name
// the config path of the problem.
func buildSnapshot(cfg *config.Config, adapters map[string]provider.Adapter, dial fasthttp.DialFunc) (*snapshot, error) {
	s := &snapshot{providers: map[string]*providerState{}, aliases: map[string][]target{}, dropExcess: cfg.Client.DropExcessRequests}
	for name, pc := range cfg.Providers {
		p, err := buildProvider(name, pc, adapters, dial)
		if err != nil {
			return nil, fmt.Errorf("providers.%s: %w", name, err)
		}
		s.providers[name] = p
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	for alias, targets := range cfg.Aliases {
		for i, t := range targets {
			prov, model, ok := strings.Cut(t, "/")
			p := s.providers[prov]
			if !ok || p == nil || model == "" {
				return nil, fmt.Errorf("aliases.%s[%d]: %q must be provider/model with a configured provider", alias, i, t)
			}
			s.aliases[alias] = append(s.aliases[alias], target{p: p, model: model})
		}
	}
	return s, nil
}

func buildProvider(name string, pc *config.Provider, adapters map[string]provider.Adapter, dial fasthttp.DialFunc) (*providerState, error) {
	base := pc.BaseType()
	a, ok := adapters[base]
	if !ok {
		var known []string
		for n := range adapters {
			known = append(known, n)
		}
		sort.Strings(known)
		if pc.Custom != nil {
			return nil, fmt.Errorf("custom_provider_config.base_provider_type %q has no adapter (available: %s)", base, strings.Join(known, ", "))
		}
		return nil, fmt.Errorf("unknown provider %q (available: %s; declare other OpenAI-compatible providers with custom_provider_config)", name, strings.Join(known, ", "))
	}
	info := a.Info()
	p := &providerState{name: name, adapter: a, info: info, timeout: pc.Network.DefaultRequestTimeout, retries: pc.Network.MaxRetries}
	p.backoff.initial, p.backoff.max = pc.Network.RetryBackoffInitial, pc.Network.RetryBackoffMax
	baseURL := strings.TrimSuffix(pc.Network.BaseURL, "/")
	if baseURL == "" {
		baseURL = info.DefaultBaseURL
	}
	if baseURL == "" {
		return nil, fmt.Errorf("network_config.base_url is required for %s (self-hosted)", info.Title)
	}
	for op := provider.Op(0); op < provider.NumOps; op++ {
		path := info.Paths[op]
		if pc.Custom != nil {
			if override := pc.Custom.RequestPathOverrides[customOps[op]]; override != "" && path != "" {
				path = override
			}
			if !pc.Custom.Allows(customOps[op]) {
				path = ""
			}
		}
		if path != "" {
			p.urls[op] = baseURL + path
		}
	}
	for i, k := range pc.Keys {
		if k.Weight <= 0 {
			continue
		}
		if k.Value == "" {
			return nil, fmt.Errorf("keys[%d].value is empty", i)
		}
		ks := keyState{value: k.Value, weight: k.Weight}
		if info.Auth.Header != "" {
			ks.auth = info.Auth.Value(k.Value)
		}
		if !containsStar(k.Models) {
			ks.models = k.Models
		}
		p.keys = append(p.keys, ks)
	}
	if len(p.keys) == 0 && !(info.KeyOptional || pc.Keyless()) {
		return nil, fmt.Errorf("keys: %s needs at least one key with a weight above 0", info.Title)
	}
	p.headers = append(p.headers, info.Headers...)
	var extra []string
	for h := range pc.Network.ExtraHeaders {
		extra = append(extra, h)
	}
	sort.Strings(extra)
	for _, h := range extra {
		p.headers = append(p.headers, provider.Header{Name: h, Value: pc.Network.ExtraHeaders[h]})
	}
	client, err := newClient(pc)
	if err != nil {
		return nil, err
	}
	if dial != nil {
		client.Dial = dial
	}
	p.client = client
	p.adm = newAdmission(pc.Concurrency.Concurrency, pc.Concurrency.BufferSize)
	return p, nil
}

func containsStar(models []string) bool {
	for _, m := range models {
		if m == "*" {
			return true
		}
	}
	return false
}

// newClient makes the provider's HTTP client: a keep-alive pool per host, with the proxy and
// TLS settings of the config.
func newClient(pc *config.Provider) (*fasthttp.Client, error) {
	n := pc.Network
	c := &fasthttp.Client{
		Name:                          "bifrost",
		MaxConnsPerHost:               n.MaxConnsPerHost,
		MaxIdleConnDuration:           90 * time.Second,
		ReadTimeout:                   n.DefaultRequestTimeout,
		WriteTimeout:                  n.DefaultRequestTimeout,
		MaxConnWaitTimeout:            n.DefaultRequestTimeout,
		NoDefaultUserAgentHeader:      false,
		DisableHeaderNamesNormalizing: true,
		DisablePathNormalizing:        true,
		RetryIfErr:                    func(*fasthttp.Request, int, error) (bool, bool) { return false, false },
	}
	if n.InsecureSkipVerify || n.CACertPEM != "" {
		tc := &tls.Config{InsecureSkipVerify: n.InsecureSkipVerify} //nolint:gosec // operator's explicit choice for self-hosted servers
		if n.CACertPEM != "" {
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM([]byte(n.CACertPEM)) {
				return nil, fmt.Errorf("network_config.ca_cert_pem holds no certificate")
			}
			tc.RootCAs = pool
		}
		c.TLSConfig = tc
	}
	if px := pc.Proxy; px != nil {
		switch px.Type {
		case config.ProxyHTTP:
			addr := px.URL
			if px.Username != "" {
				addr = strings.Replace(addr, "://", "://"+px.Username+":"+px.Password+"@", 1)
			}
			c.Dial = fasthttpproxy.FasthttpHTTPDialerTimeout(stripScheme(addr), n.DefaultRequestTimeout)
		case config.ProxySOCKS5:
			addr := px.URL
			if px.Username != "" {
				addr = strings.Replace(addr, "://", "://"+px.Username+":"+px.Password+"@", 1)
			}
			c.Dial = fasthttpproxy.FasthttpSocksDialer(addr)
		case config.ProxyEnvironment:
			c.Dial = fasthttpproxy.FasthttpProxyHTTPDialerTimeout(n.DefaultRequestTimeout)
		}
	}
	return c, nil
}

// stripScheme turns http://user:pass@host:port into user:pass@host:port, the form
// fasthttpproxy's HTTP dialer takes.
func stripScheme(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		return rest
	}
	return u
}
