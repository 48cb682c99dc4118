package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/valyala/fasthttp"
)

// ShortCircuitHeader names the plugin that answered a request in place of a provider.
const ShortCircuitHeader = "X-Bifrost-Short-Circuit"

// accessLogOn reports whether the access log line is wanted (info level enabled). The
// check itself allocates nothing, so a request pays nothing more at higher levels.
func (s *Server) accessLogOn() bool {
	return s.log.Enabled(context.Background(), slog.LevelInfo)
}

// logRequest writes the access log line of a chat, text or embeddings request: no prompt,
// no answer and no key, only what routing and timing say.
func (s *Server) logRequest(r *metrics.Request, path []byte, d time.Duration, c *runtime.Call) {
	var attrs [13]slog.Attr
	n := copy(attrs[:], []slog.Attr{
		slog.String("method", "POST"),
		slog.String("path", string(path)),
		slog.Int("status", r.Status),
		slog.String("provider", r.Provider),
		slog.String("model", r.Model),
		slog.Bool("stream", c.Streaming()),
		slog.Duration("duration", d),
		slog.Duration("overhead", r.Overhead),
		slog.Duration("upstream", r.Upstream),
		slog.Int("retries", r.Retries),
		slog.Int("fallbacks", r.Fallbacks),
	})
	if by := c.ShortCircuitedBy(); by != "" {
		attrs[n] = slog.String("short_circuit", by)
		n++
	}
	if r.Status >= 400 {
		// The error's code (or type), never its message: a provider's message may quote
		// the request.
		code := string(c.Err.Body.Code)
		if code == "" {
			code = c.Err.Body.Type
		}
		if code != "" {
			attrs[n] = slog.String("error", code)
			n++
		}
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs[:n]...)
}

// logOther writes the access log line of a request that no provider serves (health,
// metrics, models, and requests refused before routing).
func (s *Server) logOther(ctx *fasthttp.RequestCtx, start time.Time) {
	if !s.accessLogOn() {
		return
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request",
		slog.String("method", string(ctx.Method())),
		slog.String("path", string(ctx.Path())),
		slog.Int("status", ctx.Response.StatusCode()),
		slog.Duration("duration", time.Since(start)),
	)
}
