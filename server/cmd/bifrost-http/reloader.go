package main

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/plugins"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/tracing"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
)

// reloader applies configs to the running gateway: a changed config file (reload) or a
// kept version (rollback). Each applied config becomes a new version, numbered and hashed,
// shown in the log and in the bifrost_config_info metric, and kept for the admin history.
type reloader struct {
	engine *runtime.Engine
	srv    *server.Server
	gov    *governance.Governor // applies the config's governance block
	tracer *tracing.Tracer      // applies the config's tracing block; nil: none
	path   string
	log    *slog.Logger

	mu       sync.Mutex      // serializes apply; guards the fields below
	plugins  []config.Plugin // the config the running plugins were built from
	versions versionLog
	info     *prometheus.GaugeVec // bifrost_config_info{version,hash} 1, one series
	serving  prometheus.Gauge     // bifrost_config_version
}

// newReloader returns the reloader of the gateway that serves engine through srv, with
// path's config and keep versions of history. Its metrics go to srv's registry.
func newReloader(engine *runtime.Engine, srv *server.Server, gov *governance.Governor, path string, log *slog.Logger, keep int) *reloader {
	r := &reloader{engine: engine, srv: srv, gov: gov, path: path, log: log, versions: versionLog{keep: keep},
		info: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "bifrost_config_info",
			Help: "The configuration serving: its version (counted from 1 at start) and the hash of its file; always 1."},
			[]string{"version", "hash"}),
		serving: prometheus.NewGauge(prometheus.GaugeOpts{Name: "bifrost_config_version",
			Help: "The version of the configuration serving, counted from 1 at start."}),
	}
	srv.Metrics().Registry().MustRegister(r.info, r.serving)
	return r
}

// started records the config the gateway started with as version 1.
func (r *reloader) started(cfg *config.Config, hash string) *configVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.plugins = cfg.Plugins
	return r.record(cfg, hash, "start")
}

// record adds a version and shows it in the metrics. r.mu is held.
func (r *reloader) record(cfg *config.Config, hash, source string) *configVersion {
	v := r.versions.add(cfg, hash, source, time.Now())
	r.info.Reset()
	r.info.WithLabelValues(strconv.Itoa(v.Version), v.Hash).Set(1)
	r.serving.Set(float64(v.Version))
	return v
}

// reload reads the config file and applies it whole, or refuses it whole (logged) and
// leaves the running config, and its version, in place.
func (r *reloader) reload() {
	cfg, hash, err := loadConfig(r.path, os.Getenv)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		r.refuse(err)
		return
	}
	changed, err := r.apply(cfg)
	if err != nil {
		r.refuse(err)
		return
	}
	v := r.record(cfg, hash, "reload")
	c := &cfg.Client
	r.log.Info("config reloaded", "config_version", v.Version, "config_hash", v.Hash, "changes", v.Changes,
		"providers", r.engine.Providers(), "plugins", len(r.engine.Plugins()), "plugins_rebuilt", changed,
		"max_request_body_size_mb", c.MaxRequestBodyMB, "max_buffered_request_mb", c.MaxBufferedRequestMB,
		"max_connections", c.MaxConnections, "max_connections_per_ip", c.MaxConnectionsPerIP, "allowed_origins", len(c.AllowedOrigins))
}

// rollback applies the kept version n again, as a new version. A later change of the
// config file is applied over it as usual.
func (r *reloader) rollback(n int) (*configVersion, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.versions.find(n)
	if old == nil {
		return nil, errNotKept
	}
	if _, err := r.apply(old.cfg); err != nil {
		r.log.Error("config rollback refused; the current config keeps serving", "to_version", n, "error", err)
		return nil, err
	}
	v := r.record(old.cfg, old.Hash, "rollback to "+strconv.Itoa(n))
	r.log.Info("config rolled back", "config_version", v.Version, "config_hash", v.Hash, "to_version", n,
		"changes", v.Changes, "providers", r.engine.Providers())
	return v, nil
}

var adminPrefix = []byte("/admin/")

// errNotKept is the rollback error for a version that is not in the history.
var errNotKept = errors.New("that version is not kept")

// apply swaps cfg in: plugins (rebuilt only when their config changed), engine, server
// settings. On error nothing changed. r.mu is held.
func (r *reloader) apply(cfg *config.Config) (pluginsRebuilt bool, err error) {
	changed := !reflect.DeepEqual(cfg.Plugins, r.plugins)
	var plugs []runtime.Plugin
	if changed {
		if plugs, err = plugins.Build(cfg.Plugins, r.log); err != nil {
			return false, fmt.Errorf("%s: %w", r.path, err)
		}
	}
	if err := r.engine.Reload(cfg); err != nil {
		r.cleanup(plugs)
		return false, err
	}
	if changed {
		// Requests in flight finish with the plugins they started with; the cache's
		// Cleanup is safe under them.
		r.cleanup(r.engine.SetPlugins(plugs))
		r.plugins = cfg.Plugins
	}
	r.srv.Configure(cfg.Client)
	if err := r.gov.Configure(cfg); err != nil {
		r.log.Error("governance reload refused; the previous governance keeps serving", "error", err)
	}
	if r.tracer != nil {
		if err := r.tracer.Apply(cfg.Tracing); err != nil {
			r.log.Error("tracing reload refused; the previous tracing keeps running", "error", err)
		}
	}
	return changed, nil
}

// refuse logs a refused reload. r.mu is held.
func (r *reloader) refuse(err error) {
	cur := r.versions.current()
	r.log.Error("config reload refused; the previous config keeps serving", "error", err,
		"config_version", cur.Version, "config_hash", cur.Hash)
}

// current returns the serving version.
func (r *reloader) current() *configVersion {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.versions.current()
}

// adminHandler answers the admin endpoints and passes every other request to next:
//
//	GET  /admin/config/versions          the kept versions, newest last, and the serving one
//	POST /admin/config/rollback?version=N apply kept version N again
//
// They need one of client.admin_keys ("Authorization: Bearer <key>" or "x-api-key"); without
// admin keys they answer 404 like any unknown path.
func (r *reloader) adminHandler(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if !bytes.HasPrefix(ctx.Path(), adminPrefix) { // the API's requests: no allocation
			next(ctx)
			return
		}
		if r.srv != nil {
			r.srv.Release(ctx) // what the server's intake holds for the request, which it never sees
		}
		path := string(ctx.Path())
		cur := r.current()
		keys := cur.cfg.Client.AdminKeys
		if len(keys) == 0 {
			adminJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		if !adminAuthorized(ctx, keys) {
			adminJSON(ctx, fasthttp.StatusUnauthorized, map[string]string{"error": "an admin key is required"})
			return
		}
		switch {
		case path == "/admin/config/versions" && ctx.IsGet():
			r.mu.Lock()
			list := append([]*configVersion(nil), r.versions.list...)
			r.mu.Unlock()
			adminJSON(ctx, fasthttp.StatusOK, map[string]any{"serving": cur.Version, "versions": list})
		case path == "/admin/config/rollback" && ctx.IsPost():
			n, err := strconv.Atoi(string(ctx.QueryArgs().Peek("version")))
			if err != nil {
				adminJSON(ctx, fasthttp.StatusBadRequest, map[string]string{"error": "?version=N is required"})
				return
			}
			v, err := r.rollback(n)
			switch {
			case errors.Is(err, errNotKept):
				adminJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "version " + strconv.Itoa(n) + " is not kept"})
			case err != nil:
				adminJSON(ctx, fasthttp.StatusConflict, map[string]string{"error": "rollback refused: " + err.Error()})
			default:
				adminJSON(ctx, fasthttp.StatusOK, v)
			}
		default:
			adminJSON(ctx, fasthttp.StatusNotFound, map[string]string{"error": "not found"})
		}
	}
}

// adminAuthorized reports whether the request carries one of keys.
func adminAuthorized(ctx *fasthttp.RequestCtx, keys []string) bool {
	got := string(ctx.Request.Header.Peek("x-api-key"))
	if auth := string(ctx.Request.Header.Peek("Authorization")); got == "" && len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		got = auth[7:]
	}
	if got == "" {
		return false
	}
	ok := false
	for _, k := range keys {
		if subtle.ConstantTimeCompare([]byte(got), []byte(k)) == 1 {
			ok = true
		}
	}
	return ok
}

// adminJSON writes v as the JSON answer with status.
func adminJSON(ctx *fasthttp.RequestCtx, status int, v any) {
	body, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status, body = fasthttp.StatusInternalServerError, []byte(`{"error":"encoding failed"}`)
	}
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.Response.Header.Set("Cache-Control", "no-store")
	ctx.SetBody(append(body, '\n'))
}
