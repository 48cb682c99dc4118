package server

import (
	"context"
	"log/slog"
	"time"
	"unsafe"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/valyala/fasthttp"
)

// ShortCircuitHeader names the plugin that answered a request in place of a provider.
const ShortCircuitHeader = "X-Bifrost-Short-Circuit"

// accessLogOn reports whether the access log line is wanted (info level enabled). The
// check itself allocates nothing, so a request pays nothing more at higher levels.
func (s *Server) accessLogOn() bool {
	return s.accessLog != nil || s.log.Enabled(context.Background(), slog.LevelInfo)
}

// logRequest writes the access log line of a chat, text or embeddings request: no prompt,
// no answer and no key, only what routing and timing say. It runs on the request's
// goroutine: without an access log (SetAccessLog), the slog logger given to New must not
// block either; a handler over a buffered AccessLog (which is an io.Writer) never does.
func (s *Server) logRequest(r *metrics.Request, path []byte, d time.Duration, c *runtime.Call) {
	s.logRequestAt(r, path, d, time.Now(), c)
}

// logRequestAt is logRequest for a request that ended at end.
func (s *Server) logRequestAt(r *metrics.Request, path []byte, d time.Duration, end time.Time, c *runtime.Call) {
	if a := s.accessLog; a != nil {
		var f [15]accessField
		n := copy(f[:], []accessField{
			strField("method", methodPost),
			strField("path", path),
			intField("status", r.Status),
			strField("provider", bytesOf(r.Provider)),
			strField("model", bytesOf(r.Model)),
			boolField("stream", c.Streaming()),
			durField("duration", d),
			durField("overhead", r.Overhead),
			durField("upstream", r.Upstream),
			intField("retries", r.Retries),
			intField("fallbacks", r.Fallbacks),
		})
		if by := c.ShortCircuitedBy(); by != "" {
			f[n] = strField("short_circuit", bytesOf(by))
			n++
		}
		if code := errorCode(r.Status, c); code != "" {
			f[n] = strField("error", bytesOf(code))
			n++
		}
		if r.VirtualKey != "" {
			f[n] = strField("virtual_key", bytesOf(r.VirtualKey))
			n++
		}
		var cost [24]byte
		if r.Costed {
			f[n] = strField("cost_usd", governance.AppendUSD(cost[:0], r.Cost))
			n++
		}
		a.write(end, f[:n])
		return
	}
	var attrs [15]slog.Attr
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
	if code := errorCode(r.Status, c); code != "" {
		attrs[n] = slog.String("error", code)
		n++
	}
	if r.VirtualKey != "" {
		attrs[n] = slog.String("virtual_key", r.VirtualKey)
		n++
	}
	if r.Costed {
		attrs[n] = slog.String("cost_usd", string(governance.AppendUSD(nil, r.Cost)))
		n++
	}
	s.log.LogAttrs(context.Background(), slog.LevelInfo, "request", attrs[:n]...)
}

// logOther writes the access log line of a request that no provider serves (health,
// metrics, models, and requests refused before routing).
func (s *Server) logOther(ctx *fasthttp.RequestCtx, start time.Time) {
	if a := s.accessLog; a != nil {
		f := [...]accessField{
			strField("method", ctx.Method()),
			strField("path", ctx.Path()),
			intField("status", ctx.Response.StatusCode()),
			durField("duration", time.Since(start)),
		}
		a.write(time.Now(), f[:])
		return
	}
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

var methodPost = []byte("POST")

// errorCode is the access line's error field: the error's code (or type) for a failed
// request, never its message, which may quote the request.
func errorCode(status int, c *runtime.Call) string {
	if status < 400 {
		return ""
	}
	if code := string(c.Err.Body.Code); code != "" {
		return code
	}
	return c.Err.Body.Type
}

// bytesOf views s as bytes without copying; the bytes must not be changed.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
