package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/framing"
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
	// fallbackOn4xx sends final 4xx failures to the next fallback too
	// (client.fallback_on_client_errors).
	fallbackOn4xx bool
}

// providerState is one configured provider.
type providerState struct {
	name    string
	adapter provider.Adapter
	info    *provider.Info
	urls    [provider.NumOps]string // base URL + path; "" when unsupported
	// templated says the URLs have placeholders: each key (or tmpl, for a provider without
	// keys) holds them compiled.
	templated bool
	tmpl      [provider.NumOps]urlTemplate
	keys      []keyState
	headers   []provider.Header // static spec headers, then extra_headers from the config
	client    *fasthttp.Client
	framing   framing.Kind  // the spec's stream framing
	timeout   time.Duration // total budget of a request's attempts and backoff
	// headerTimeout bounds one attempt up to the response headers (a plain response's
	// body too); idle bounds the gap between reads of an open stream.
	headerTimeout, idle time.Duration
	// authCooldown and rateLimitCooldown are how long a key is left out after a 401/403,
	// and after a 429 without Retry-After.
	authCooldown, rateLimitCooldown time.Duration
	retries                         int
	backoff                         struct{ initial, max time.Duration }
	adm                             *admission
	breaker                         *breakerSet // one breaker per model; nil: disabled
	stats                           *providerStats
	allowed                         func(op provider.Op) bool
	// concurrency and buffer are the config's limits for adm, applied by buildSnapshot
	// once the whole snapshot is built (adm may be shared with the running snapshot);
	// denials are the (key, model) pairs the provider refused (see modelDenied), shared
	// across reloads.
	concurrency, buffer int
	denials             *denials

	// routes are the spec's model_paths (provider.Info.ModelPaths) as full URLs; a provider
	// with routes is templated, and each key (or tmplRoutes) holds them compiled, in the
	// same order.
	routes     []modelRoute
	tmplRoutes [][provider.NumOps]urlTemplate

	// secrets are the keys' credentials with the forms a provider may echo, for scrub.
	secrets []secret
	// maxBody bounds a plain response body (max_response_body_mb), maxEvent one event of a
	// stream (max_stream_event_kb); connLimit is what one response may take on a
	// connection (see responseLimits).
	maxBody, maxEvent, connLimit int64
}

// providerStats are a provider's counters, kept across reloads.
type providerStats struct {
	keyCooldowns atomic.Uint64
	// dropped counts requests refused by admission: queue full (drop_excess_requests) or
	// no slot before the deadline.
	dropped atomic.Uint64
}

// keyState is one usable key with its precomputed auth header value.
type keyState struct {
	value  string
	name   string // the key's name, or "#N" by its index: for traces, never the value
	auth   string // header value, e.g. "Bearer sk-..."
	weight float64
	models []string     // empty: all
	cool   *keyCooldown // shared with earlier snapshots that had the same key
	// urls and deployments build the request URL of a templated provider.
	urls        [provider.NumOps]urlTemplate
	deployments map[string]string
	// routeURLs are providerState.routes compiled for this key, by route.
	routeURLs [][provider.NumOps]urlTemplate
	// authz, when not nil, authorizes requests in place of the static auth header
	// (provider.AuthSigV4, provider.AuthGoogleOAuth).
	authz authorizer

	// ident names the key in the denial table (its value, and the account, project or
	// region settings that make two keys with one value differ); hash is hashString(ident).
	ident string
	hash  uint64
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

// modelRoute is one of a provider's model routes: the URLs of the models whose names start
// with prefix.
type modelRoute struct {
	prefix string
	urls   [provider.NumOps]string // base URL + path; "" where the default URL applies
	codec  provider.ChatCodec      // the route's chat codec; nil: the adapter
}

// route returns the index of the first route of p that gives op a URL for model, or -1.
// It costs one prefix comparison per route and never allocates.
func (p *providerState) route(model string, op provider.Op) int {
	for i := range p.routes {
		if r := &p.routes[i]; r.urls[op] != "" && strings.HasPrefix(model, r.prefix) {
			return i
		}
	}
	return -1
}

// chatCodec returns the codec of model's chats: that of the first model route whose prefix
// starts model and that names one (provider.ModelRoute.Codec, from the spec's model_paths),
// else the adapter. It costs one prefix comparison per route and never allocates.
func (p *providerState) chatCodec(model string) provider.ChatCodec {
	for i := range p.routes {
		if r := &p.routes[i]; r.codec != nil && strings.HasPrefix(model, r.prefix) {
			return r.codec
		}
	}
	return p.adapter
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
//
// State worth keeping from the current snapshot old (nil at start) carries over: key
// cooldowns of keys that stay, model denials, a provider's counters, its admission (the
// requests in flight and queued, under the new limits), and its circuit breaker when the
// breaker's settings did not change.
func buildSnapshot(cfg *config.Config, adapters map[string]provider.Adapter, dial fasthttp.DialFunc, getenv func(string) string, old *snapshot) (*snapshot, error) {
	s := &snapshot{providers: map[string]*providerState{}, aliases: map[string][]target{},
		dropExcess: cfg.Client.DropExcessRequests, fallbackOn4xx: cfg.Client.FallbackOnClientErrors}
	for name, pc := range cfg.Providers {
		p, err := buildProvider(name, pc, adapters, dial, getenv)
		var located config.ErrorList // already names its file, line and path
		switch {
		case errors.As(err, &located):
			return nil, located
		case err != nil:
			return nil, fmt.Errorf("providers.%s: %w", name, err)
		}
		if old != nil {
			p.inherit(old.providers[name])
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
	// Nothing fails from here: the limits of admissions shared with the running snapshot
	// may change now.
	for _, p := range s.providers {
		p.adm.setLimits(p.concurrency, p.buffer)
	}
	return s, nil
}

// buildProvider builds the state of provider name from its config and adapter.
func buildProvider(name string, pc *config.Provider, adapters map[string]provider.Adapter, dial fasthttp.DialFunc, getenv func(string) string) (*providerState, error) {
	a, err := lookupAdapter(name, pc, adapters)
	if err != nil {
		return nil, err
	}
	p := newProviderState(name, pc, a)
	if p.framing, err = framing.Lookup(p.info.Framing); err != nil {
		return nil, err
	}
	if err := p.buildURLs(pc); err != nil {
		return nil, err
	}
	if err := p.buildKeys(pc, dial, getenv); err != nil {
		return nil, err
	}
	p.headers = append(p.headers, p.info.Headers...)
	var extra []string
	for h := range pc.Network.ExtraHeaders {
		extra = append(extra, h)
	}
	sort.Strings(extra)
	for _, h := range extra {
		p.headers = append(p.headers, provider.Header{Name: h, Value: pc.Network.ExtraHeaders[h]})
	}
	if p.client, err = newClient(pc, dial); err != nil {
		return nil, err
	}
	p.concurrency, p.buffer = pc.Concurrency.Concurrency, pc.Concurrency.BufferSize
	p.adm = newAdmission(p.concurrency, p.buffer)
	return p, nil
}

// lookupAdapter returns the adapter of the provider's base type, or an error that lists the
// available ones.
func lookupAdapter(name string, pc *config.Provider, adapters map[string]provider.Adapter) (provider.Adapter, error) {
	base := pc.BaseType()
	if a, ok := adapters[base]; ok {
		return a, nil
	}
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

// newProviderState returns the provider's state with its network settings; a config built in
// Go may leave them at zero, which means the defaults.
func newProviderState(name string, pc *config.Provider, a provider.Adapter) *providerState {
	n := &pc.Network
	p := &providerState{name: name, adapter: a, info: a.Info(), timeout: n.DefaultRequestTimeout, retries: n.MaxRetries,
		headerTimeout: n.ResponseHeaderTimeout, idle: n.StreamIdleTimeout,
		authCooldown: n.AuthKeyCooldown, rateLimitCooldown: n.RateLimitKeyCooldown,
		breaker: newBreakerSet(pc.Breaker), stats: &providerStats{}, denials: &denials{}}
	if p.timeout <= 0 {
		p.timeout = config.DefaultRequestTimeout
	}
	if p.headerTimeout <= 0 || p.headerTimeout > p.timeout {
		p.headerTimeout = p.timeout
	}
	if p.idle <= 0 {
		p.idle = config.DefaultStreamIdleTimeout
	}
	p.maxBody, p.connLimit, p.maxEvent = responseLimits(n)
	if p.authCooldown <= 0 {
		p.authCooldown = config.DefaultAuthKeyCooldown
	}
	if p.rateLimitCooldown <= 0 {
		p.rateLimitCooldown = config.DefaultRateLimitKeyCooldown
	}
	p.backoff.initial, p.backoff.max = n.RetryBackoffInitial, n.RetryBackoffMax
	if p.backoff.initial <= 0 {
		p.backoff.initial = config.DefaultRetryBackoffInitial
	}
	if p.backoff.max < p.backoff.initial {
		p.backoff.max = max(config.DefaultRetryBackoffMax, p.backoff.initial)
	}
	return p
}

// buildURLs sets the provider's URL of each operation and its model routes: the base URL
// (the config's, else the spec's) and the spec's path, as custom_provider_config allows and
// overrides them.
func (p *providerState) buildURLs(pc *config.Provider) error {
	info := p.info
	baseURL := strings.TrimSuffix(pc.Network.BaseURL, "/")
	if baseURL == "" {
		baseURL = info.DefaultBaseURL
	}
	if baseURL == "" {
		return fmt.Errorf("network_config.base_url is required for %s (self-hosted)", info.Title)
	}
	// opBase is op's base URL: the config's, else the spec's for op, else the spec's.
	opBase := func(op provider.Op) string {
		if pc.Network.BaseURL == "" && info.DefaultBaseURLs[op] != "" {
			return info.DefaultBaseURLs[op]
		}
		return baseURL
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
			p.urls[op] = opBase(op) + path
			p.templated = p.templated || templated(p.urls[op])
		}
	}
	for _, mr := range info.ModelPaths {
		r := modelRoute{prefix: mr.Prefix, codec: mr.Codec}
		for op := provider.Op(0); op < provider.NumOps; op++ {
			overridden := pc.Custom != nil && pc.Custom.RequestPathOverrides[customOps[op]] != ""
			if mr.Paths[op] != "" && p.urls[op] != "" && !overridden {
				r.urls[op] = opBase(op) + mr.Paths[op]
				p.templated = true // the URL depends on the model
			}
		}
		p.routes = append(p.routes, r)
	}
	return nil
}

// buildKeys sets the provider's usable keys (weight above 0), each with its auth and, for a
// templated provider, its URLs; a keyless templated provider gets its URLs compiled once.
func (p *providerState) buildKeys(pc *config.Provider, dial fasthttp.DialFunc, getenv func(string) string) error {
	info := p.info
	for i, k := range pc.Keys {
		if k.Weight <= 0 {
			continue
		}
		settings, err := pc.Keys[i].KeyConfig(info.KeyConfig)
		if err != nil {
			return err // a config.ErrorList, with the key's path
		}
		ks, err := p.buildKey(&pc.Keys[i], settings, i, dial, getenv)
		if err != nil {
			return err
		}
		p.keys = append(p.keys, ks)
		p.secrets = appendSecrets(p.secrets, k.Value, settings)
	}
	if p.templated && len(p.keys) == 0 {
		var err error
		if p.tmplRoutes, err = p.compileAll(p.tmpl[:], keylessVars(info)); err != nil {
			return err
		}
	}
	if len(p.keys) == 0 && !(info.KeyOptional || pc.Keyless()) {
		return fmt.Errorf("keys: %s needs at least one key with a weight above 0", info.Title)
	}
	return nil
}

// buildKey returns the state of key k, keys[i] of the config, whose provider-specific
// settings are settings (nil when it has none).
func (p *providerState) buildKey(k *config.Key, settings provider.KeyConfig, i int, dial fasthttp.DialFunc, getenv func(string) string) (keyState, error) {
	info := p.info
	ks := keyState{value: k.Value, ident: keyIdent(k.Value, settings), weight: k.Weight, cool: &keyCooldown{}}
	ks.hash = hashString(ks.ident)
	if ks.name = k.Name; ks.name == "" {
		ks.name = "#" + strconv.Itoa(i)
	}
	if info.Auth.Scheme == provider.AuthStatic {
		if k.Value == "" {
			return ks, fmt.Errorf("keys[%d].value is empty", i)
		}
		if info.Auth.Header != "" {
			ks.auth = info.Auth.Value(k.Value)
		}
	} else {
		authz, err := newAuthorizer(info, k.Value, settings, dial, getenv)
		if err != nil {
			return ks, fmt.Errorf("keys[%d]: %w", i, err)
		}
		ks.authz = authz
	}
	if !containsStar(k.Models) {
		ks.models = k.Models
	}
	if p.templated {
		routes, err := p.compileAll(ks.urls[:], varsOf(info, settings, i))
		if err != nil {
			return ks, err
		}
		ks.routeURLs = routes
		ks.deployments = deploymentsOf(settings)
	}
	return ks, nil
}

// compileAll compiles the provider's default URLs with one key's values into dst, and
// returns its model routes' URLs compiled the same way (nil when it has none).
func (p *providerState) compileAll(dst []urlTemplate, v keyVars) ([][provider.NumOps]urlTemplate, error) {
	if err := compileURLs(dst, &p.urls, v); err != nil {
		return nil, err
	}
	if len(p.routes) == 0 {
		return nil, nil
	}
	routes := make([][provider.NumOps]urlTemplate, len(p.routes))
	for i := range p.routes {
		if err := compileURLs(routes[i][:], &p.routes[i].urls, v); err != nil {
			return nil, err
		}
	}
	return routes, nil
}

// compileURLs compiles urls with one key's values into dst.
func compileURLs(dst []urlTemplate, urls *[provider.NumOps]string, v keyVars) error {
	for op, u := range urls {
		if u == "" {
			continue
		}
		t, err := compile(u, v)
		if err != nil {
			return err
		}
		dst[op] = t
	}
	return nil
}

// inherit takes over what prev, the same provider in the previous snapshot, learned: its
// counters, the cooldowns of keys that stay, its model denials, its admission (whose limits
// buildSnapshot sets last), and its breaker if its settings are unchanged.
func (p *providerState) inherit(prev *providerState) {
	if prev == nil {
		return
	}
	p.stats = prev.stats
	p.denials = prev.denials // keyed by keyState.ident: a denial of a key that went is never matched
	// The requests in flight hold prev's admission: sharing it keeps them counted, so the
	// concurrency limit holds across reloads.
	p.adm = prev.adm
	if p.breaker != nil && prev.breaker != nil && p.breaker.cfg == prev.breaker.cfg {
		p.breaker = prev.breaker
	}
	for i := range p.keys {
		for j := range prev.keys {
			if p.keys[i].value == prev.keys[j].value {
				p.keys[i].cool = prev.keys[j].cool
				break
			}
		}
	}
}

// keyIdent returns what tells a key apart from the provider's other keys, for the denial
// table: its value, and the settings that decide which models it may use (an endpoint, a
// project and region, an account and region: provider.KeyConfig's Ident). It holds no
// secret that the value does not.
func keyIdent(value string, settings provider.KeyConfig) string {
	if settings != nil {
		return value + "\x00" + settings.Ident()
	}
	return value
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
// TLS settings of the config. dial, if not nil, replaces TCP and any proxy.
//
// Timeouts: connecting (dial, proxy, TLS handshake) is bounded by connect_timeout in the
// dialer; each attempt passes its own deadline to DoDeadline (writing the request, then the
// response headers, or a plain response's whole body); an open stream's reads are bounded by
// the idle timeout through upConn. The client itself has no read timeout, which would cut
// long streams, and no write timeout: the attempt's deadline, never later than the request
// timeout, bounds the write already (a write timeout would only cost a clock read).
func newClient(pc *config.Provider, dial fasthttp.DialFunc) (*fasthttp.Client, error) {
	n := pc.Network
	timeout := n.DefaultRequestTimeout
	if timeout <= 0 {
		timeout = config.DefaultRequestTimeout
	}
	connect := n.ConnectTimeout
	if connect <= 0 {
		connect = config.DefaultConnectTimeout
	}
	body, connLimit, _ := responseLimits(&n)
	c := &fasthttp.Client{
		Name:                          "bifrost",
		MaxResponseBodySize:           int(body),
		MaxConnsPerHost:               n.MaxConnsPerHost,
		MaxIdleConnDuration:           90 * time.Second,
		MaxConnWaitTimeout:            timeout,
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
			c.Dial = fasthttpproxy.FasthttpHTTPDialerTimeout(stripScheme(addr), connect)
		case config.ProxySOCKS5:
			addr := px.URL
			if px.Username != "" {
				addr = strings.Replace(addr, "://", "://"+px.Username+":"+px.Password+"@", 1)
			}
			c.Dial = fasthttpproxy.FasthttpSocksDialer(addr)
		case config.ProxyEnvironment:
			c.Dial = fasthttpproxy.FasthttpProxyHTTPDialerTimeout(connect)
		}
	}
	if dial != nil {
		c.Dial = dial
	}
	c.Dial = dialer(c.Dial, connect, connLimit)
	return c, nil
}

// responseSlack is what a response may take beyond its body's limit on the connection: its
// headers and chunked framing. fasthttp's own limit (MaxResponseBodySize) counts the body
// alone and fires first for any ordinary response.
const responseSlack = 1 << 20

// responseLimits returns n's bounds on what a provider sends: a plain body's size
// (max_response_body_mb), the bytes one response may take on its connection (the body's
// limit plus responseSlack), and one stream event's size (max_stream_event_kb). Zero
// settings (a Config built in Go) mean the defaults.
func responseLimits(n *config.Network) (body, conn, event int64) {
	body, event = int64(n.MaxResponseBodyBytes), int64(n.MaxStreamEventBytes)
	if body <= 0 {
		body = config.DefaultMaxResponseBodyMB << 20
	}
	if event <= 0 {
		event = config.DefaultMaxStreamEventKB << 10
	}
	return body, body + responseSlack, event
}

// stripScheme turns http://user:pass@host:port into user:pass@host:port, the form
// fasthttpproxy's HTTP dialer takes.
func stripScheme(u string) string {
	if _, rest, ok := strings.Cut(u, "://"); ok {
		return rest
	}
	return u
}
