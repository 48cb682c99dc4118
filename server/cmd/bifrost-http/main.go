// Command bifrost-http runs the Bifrost gateway: an OpenAI-compatible HTTP API in front of
// the providers of a config file.
//
//	bifrost-http -config config.json -host 127.0.0.1 -port 8080
//
// Every flag but -check and -healthcheck may also be set by an environment variable,
// BIFROST_ and the flag's name in upper case with '-' as '_' (BIFROST_CONFIG, BIFROST_HOST,
// BIFROST_PORT, BIFROST_LOG_LEVEL, ...); a flag on the command line wins. BIFROST_BASE_URL_<PROVIDER> overrides a provider's
// base URL. -check reads and builds the config as a start would and exits without serving,
// with the same "file:line: path: reason" errors; -healthcheck asks a running gateway's
// /health (a container's health check).
//
// SIGHUP, or a change of the config file (checked every -watch), reloads the config: a bad one
// is refused with a logged reason and the old one keeps serving. A reload applies providers,
// keys, aliases, every client setting (api_keys, allow_direct_keys, allowed_origins, the
// request body limits and the connection caps among them; the "config reloaded" line shows
// the limits in force) and plugins:
// when the plugins list changed, every plugin is built anew (a changed cache starts empty)
// and the previous ones are cleaned up; an unchanged list keeps the running plugins and
// their state. SIGINT and SIGTERM stop accepting connections, close idle keep-alive
// connections, answer the requests in flight with Connection: close and wait for them, up
// to -drain.
//
// At start the soft open file limit (RLIMIT_NOFILE) is raised to the hard limit, and
// logged. Running out of file descriptors anyway does not stop the server: accept backs
// off and retries (server.Listener), and client.max_connections caps the connections held.
//
// -grpc-port (BIFROST_GRPC_PORT) also serves the bifrost.v1 gRPC API (server/grpcapi) on
// -host at that port: the same engine, keys, governance and metrics, with grpc.health.v1
// and server reflection, traced as HTTP is. Off by default. Its connections count with
// HTTP's under client.max_connections and client.max_connections_per_ip, a stream whose
// client stops reading for client.stream_write_timeout_in_seconds has its connection
// closed, and each request message is checked against client.max_request_body_size_mb.
// A reload applies to it as to HTTP; shutdown stops it gracefully with HTTP, streams in
// flight drained within the same -drain.
//
// Logs are structured (log/slog) on stderr: -log-format text or json, -log-level debug, info,
// warn or error. At info and below every request gets an access log line. Log lines go
// through a bounded buffer: when stderr does not keep up (a stopped reader of a pipe), lines
// are dropped and counted in bifrost_log_lines_dropped_total, and no request waits on them.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/plugins"
	"github.com/bifrost-gw/bifrost/responses"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/bifrost-gw/bifrost/tracing"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bifrost-http:", err)
		os.Exit(1)
	}
}

// options are the command's flags.
type options struct {
	cfgPath, host, logLevel, logFormat, pprofAddr string
	port, grpcPort, history                       int
	drain, watch                                  time.Duration
	check, healthcheck, passthrough               bool
}

// parseFlags reads the flags, each also settable by its environment variable (BIFROST_PORT
// for -port, and so on, see envName); a flag on the command line wins.
func parseFlags() (*options, error) {
	o := &options{}
	flag.StringVar(&o.cfgPath, "config", "config.json", "config file (JSON or YAML)")
	flag.StringVar(&o.host, "host", "127.0.0.1", "address to listen on (0.0.0.0 for all interfaces)")
	flag.IntVar(&o.port, "port", 8080, "port to listen on")
	flag.IntVar(&o.grpcPort, "grpc-port", -1, "port of the bifrost.v1 gRPC API on -host (0: any free port); off by default")
	flag.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	flag.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	flag.DurationVar(&o.drain, "drain", 30*time.Second, "how long shutdown waits for requests in flight")
	flag.DurationVar(&o.watch, "watch", 2*time.Second, "how often to check the config file for changes (0: only on SIGHUP)")
	flag.StringVar(&o.pprofAddr, "pprof", "", "serve Go's profiling endpoints (/debug/pprof/) on this address, e.g. 127.0.0.1:6060; off by default, never on the API port")
	flag.BoolVar(&o.check, "check", false, "check the config file as a start would (parse, plugins, engine) and exit without serving: status 0 if it is good")
	flag.BoolVar(&o.passthrough, "passthrough", true, "forward same-format requests and answers without decoding them (false: decode and encode every request, for comparison)")
	flag.IntVar(&o.history, "config-history", 10, "how many applied configs to keep for the admin history and rollback")
	flag.BoolVar(&o.healthcheck, "healthcheck", false, "GET /health of the gateway on -host and -port (127.0.0.1 for 0.0.0.0) and exit with status 0 if it answers 200: a container's health check")
	if err := applyEnv(flag.CommandLine, os.Getenv, "check", "healthcheck"); err != nil {
		return nil, err
	}
	flag.Parse()
	return o, nil
}

func run() error {
	o, err := parseFlags()
	if err != nil {
		return err
	}
	if o.healthcheck {
		return probeHealth(o.host, o.port, 5*time.Second)
	}
	// Every log line, access lines included, goes through one bounded buffer that a
	// goroutine of its own writes to stderr: a stalled reader of stderr drops lines
	// (bifrost_log_lines_dropped_total) and never blocks a request.
	// A reader of stderr that goes away must not end the process either: with SIGPIPE
	// ignored, writes to it fail (and the lines are counted as dropped) instead.
	signal.Ignore(syscall.SIGPIPE)
	logOut := server.NewBufferedAccessLog(os.Stderr, o.logFormat == "json", 200*time.Millisecond)
	defer logOut.Close()
	log, err := newLogger(o.logLevel, o.logFormat, logOut)
	if err != nil {
		return err
	}
	if soft, hard, err := server.RaiseFileLimit(); err != nil {
		log.Warn("open file limit", "soft", soft, "hard", hard, "error", err.Error())
	} else {
		log.Info("open file limit", "soft", soft, "hard", hard)
	}
	cfg, hash, err := loadConfig(o.cfgPath, os.Getenv)
	if err != nil {
		return err
	}
	tr := tracing.New(tracing.Options{Logger: log}) // off until startTracing
	engine, plugs, err := buildEngine(o.cfgPath, cfg, log, tr)
	if err != nil {
		return err
	}
	if o.check {
		// Everything a start checks has passed; nothing listens.
		if err := engine.Shutdown(); err != nil {
			return err
		}
		log.Info("config ok", "config", o.cfgPath, "hash", hash, "providers", engine.Providers(), "plugins", len(plugs))
		return nil
	}
	defer func() {
		if err := engine.Shutdown(); err != nil {
			log.Error("shutdown", "error", err)
		}
	}()
	return serve(o, log, logOut, engine, tr, cfg, hash, len(plugs))
}

// serve serves engine over HTTP (and gRPC with -grpc-port) until a signal stops it.
func serve(o *options, log *slog.Logger, logOut *server.AccessLog, engine *runtime.Engine, tr *tracing.Tracer, cfg *config.Config, hash string, plugs int) error {
	srv := server.New(engine, log)
	srv.Metrics().SetLogDropped(logOut.Dropped)
	if log.Enabled(context.Background(), slog.LevelInfo) {
		// The access lines, one per request, in the logger's format without its
		// per-line allocations.
		srv.SetAccessLog(logOut)
	}
	srv.Configure(cfg.Client)
	gov, err := governance.Open(cfg) // off unless the config has a governance block
	if err != nil {
		return err
	}
	defer gov.Close()
	srv.SetGovernor(gov)
	srv.SetPassthrough(o.passthrough)
	go srv.TrimWhenIdle(context.Background()) // memory follows the load down (ends with the process)
	startTracing(tr, cfg, srv, log)
	defer stopTracing(tr, log)
	gov.ShareKeyCooldowns(engine) // with a Redis state: a key cooled on one replica cools on all
	// Stored responses (/v1/responses): on the governance state's Redis, if any.
	rstore, err := responses.Open(cfg)
	if err != nil {
		return err
	}
	if rstore != nil {
		defer rstore.Close()
		srv.SetResponseStore(rstore)
	}
	hs := srv.NewHTTPServer(cfg.Client.MaxRequestBodyMB << 20)
	hs.Handler = tr.Handler(hs.Handler) // a server span per request while tracing is on
	rl := newReloader(engine, srv, gov, o.cfgPath, log, o.history)
	rl.tracer = tr
	cur := rl.started(cfg, hash)
	// The admin endpoints (/admin/config/...) are answered before the API's handler; they
	// exist only while client.admin_keys is set.
	hs.Handler = rl.adminHandler(hs.Handler)

	tcp, err := net.Listen("tcp", net.JoinHostPort(o.host, strconv.Itoa(o.port)))
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	ln := srv.Listen(tcp) // retries accept errors such as EMFILE; applies the connection caps
	log.Info("bifrost-http listening", "addr", "http://"+ln.Addr().String(), "config", o.cfgPath, "providers", engine.Providers(),
		"plugins", plugs, "api_keys", len(cfg.Client.APIKeys), "allow_direct_keys", cfg.Client.AllowDirectKeys,
		"max_connections", cfg.Client.MaxConnections, "max_connections_per_ip", cfg.Client.MaxConnectionsPerIP,
		"config_version", cur.Version, "config_hash", cur.Hash)
	if o.pprofAddr != "" {
		pl, err := net.Listen("tcp", o.pprofAddr)
		if err != nil {
			return fmt.Errorf("-pprof: %w", err)
		}
		defer pl.Close()
		log.Warn("profiling endpoints on", "addr", "http://"+pl.Addr().String()+"/debug/pprof/")
		go servePprof(pl, log)
	}
	serveErr := make(chan error, 2)
	go func() { serveErr <- hs.Serve(ln) }()
	g, err := startGRPC(o, srv, ln, tr, cfg.Client, log, serveErr)
	if err != nil {
		return err
	}
	return loop(o, log, rl, serveErr, func(ctx context.Context) error {
		gerr := g.stop(ctx) // at the same time as HTTP's drain
		if err := hs.ShutdownWithContext(ctx); err != nil {
			return err
		}
		return <-gerr
	})
}

// loop reloads the config on SIGHUP or a change of the file, and stops the servers
// (shutdown, within -drain) on SIGINT or SIGTERM.
func loop(o *options, log *slog.Logger, rl *reloader, serveErr <-chan error, shutdown func(context.Context) error) error {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGINT, syscall.SIGTERM)
	var tick <-chan time.Time
	if o.watch > 0 {
		t := time.NewTicker(o.watch)
		defer t.Stop()
		tick = t.C
	}
	stamp := fileStamp(o.cfgPath)
	for {
		select {
		case err := <-serveErr:
			return err
		case <-tick:
			if s := fileStamp(o.cfgPath); s != stamp && s != "" {
				stamp = s
				log.Info("config file changed", "config", o.cfgPath)
				rl.reload()
			}
		case sig := <-sigs:
			if sig == syscall.SIGHUP {
				rl.reload()
				continue
			}
			log.Info("shutting down", "signal", sig.String(), "drain", o.drain.String())
			ctx, cancel := context.WithTimeout(context.Background(), o.drain)
			err := shutdown(ctx)
			cancel()
			if err != nil {
				return fmt.Errorf("shutdown: %w", err)
			}
			return nil
		}
	}
}

// buildEngine builds the plugins and the engine of cfg, read from path. Start and -check
// both build through it, so that -check refuses what a start would refuse.
func buildEngine(path string, cfg *config.Config, log *slog.Logger, obs runtime.Observer) (*runtime.Engine, []runtime.Plugin, error) {
	plugs, err := plugins.Build(cfg.Plugins, log)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Plugins: plugs, Logger: log, Observer: obs})
	if err != nil {
		return nil, nil, err
	}
	return engine, plugs, nil
}

// probeHealth asks the gateway at host:port for /health and reports an error unless it
// answers 200 within timeout. An unspecified host (0.0.0.0, ::, "") is asked on 127.0.0.1.
func probeHealth(host string, port int, timeout time.Duration) error {
	if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	client := &http.Client{Timeout: timeout}
	resp, err := client.Get("http://" + net.JoinHostPort(host, strconv.Itoa(port)) + "/health")
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /health answered %s", resp.Status)
	}
	return nil
}

// cleanup releases plugins that no longer serve, logging failures.
func (r *reloader) cleanup(list []runtime.Plugin) {
	for _, p := range list {
		if err := p.Cleanup(); err != nil {
			r.log.Error("plugin cleanup", "plugin", p.Name(), "error", err)
		}
	}
}

// fileStamp identifies a version of the file: its size and modification time ("" if absent).
func fileStamp(path string) string {
	st, err := os.Stat(path)
	if err != nil {
		return ""
	}
	return strconv.FormatInt(st.Size(), 10) + "/" + strconv.FormatInt(st.ModTime().UnixNano(), 10)
}

func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("-log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("-log-format %q: want text or json", format)
}

// servePprof serves net/http/pprof's handlers on their own listener, apart from the API:
// they reveal internals and are for an operator on the machine.
func servePprof(ln net.Listener, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.Serve(ln); err != nil && !errors.Is(err, net.ErrClosed) {
		log.Error("pprof server", "error", err)
	}
}
