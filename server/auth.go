package server

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// DirectKeyHeader carries a client's own provider key when client.allow_direct_keys is on.
const DirectKeyHeader = "x-bf-provider-key"

// access is the server's client-facing settings, swapped as a whole by Configure.
type access struct {
	// keys are the SHA-256 hashes of the gateway API keys; none means no auth.
	keys        [][sha256.Size]byte
	allowDirect bool
	// streamWrite bounds a stream's wait for its client (client.stream_write_timeout_in_seconds).
	streamWrite time.Duration
	// maxBody is the largest request body, and maxBuffered the most request body bytes
	// buffered at once by all requests (intake.go).
	maxBody, maxBuffered int64
	cors                 corsPolicy
}

// newAccess makes the settings of c.
func newAccess(c config.Client) *access {
	a := &access{allowDirect: c.AllowDirectKeys, streamWrite: c.StreamWriteTimeout, cors: newCORSPolicy(c.AllowedOrigins)}
	for _, k := range c.APIKeys {
		a.keys = append(a.keys, sha256.Sum256([]byte(k)))
	}
	mb := c.MaxRequestBodyMB
	if mb <= 0 {
		mb = config.DefaultMaxRequestBodyMB
	}
	a.maxBody = int64(mb) << 20
	buffered := c.MaxBufferedRequestMB
	if buffered <= 0 {
		buffered = config.DefaultMaxBufferedRequestMB
	}
	a.maxBuffered = max(int64(buffered)<<20, a.maxBody)
	return a
}

// Configure applies the client settings that the server enforces: the gateway API keys
// (client.api_keys), client.allow_direct_keys, client.allowed_origins, the request body
// limits (client.max_request_body_size_mb, client.max_buffered_request_mb) and, on the
// listener made by Listen, the connection caps (client.max_connections,
// client.max_connections_per_ip). It is safe to call while serving (on a config reload);
// each request sees either the old or the new settings.
func (s *Server) Configure(c config.Client) {
	s.access.Store(newAccess(c))
	s.mu.Lock()
	defer s.mu.Unlock()
	s.client = c
	if s.listener != nil {
		s.listener.SetLimits(connCap(c.MaxConnections), c.MaxConnectionsPerIP)
	}
}

// connCap is client.max_connections, with 0 meaning the default.
func connCap(n int) int {
	if n <= 0 {
		return config.DefaultMaxConnections
	}
	return n
}

// authorized checks the request's gateway API key, when keys are configured: from
// "Authorization: Bearer <key>", "x-api-key" or "api-key" (Azure SDKs). Keys are compared
// as SHA-256 hashes in constant time, every configured key every time, so neither the
// length nor the position of a match shows in the timing. It allocates nothing.
func (a *access) authorized(h *fasthttp.RequestHeader) bool {
	if len(a.keys) == 0 {
		return true
	}
	key := presentedKey(h)
	if len(key) == 0 {
		return false
	}
	sum := sha256.Sum256(key)
	match := 0
	for i := range a.keys {
		match |= subtle.ConstantTimeCompare(sum[:], a.keys[i][:])
	}
	return match == 1
}

var bearer = []byte("bearer ")

// presentedKey returns the gateway key the client sent, or nil.
func presentedKey(h *fasthttp.RequestHeader) []byte {
	if v := h.Peek("Authorization"); len(v) > len(bearer) && bytes.EqualFold(v[:len(bearer)], bearer) {
		return bytes.TrimSpace(v[len(bearer):])
	}
	if v := h.Peek("x-api-key"); len(v) > 0 {
		return v
	}
	return h.Peek("api-key")
}

func writeUnauthorized(ctx *fasthttp.RequestCtx) {
	writeError(ctx, 401, schemas.ErrInvalidRequest, "invalid_api_key", "",
		"missing or invalid gateway API key: send one of client.api_keys as \"Authorization: Bearer <key>\" or \"x-api-key: <key>\"")
	ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="bifrost"`)
}
