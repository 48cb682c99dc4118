package harness

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// PortkeyVersion is the @portkey-ai/gateway release the harness installs.
const PortkeyVersion = "1.15.2"

// startPeer starts one peer gateway in front of the mock. A peer that is not
// installed is skipped with one line saying how to install it.
func (r *run) startPeer(ctx context.Context, spec, mockURL string, env []string) (*target, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	auth := http.Header{"Authorization": {"Bearer " + r.key}, "Content-Type": {"application/json"}}
	skip := func(why string) (*target, error) {
		r.logf("skipping %s: %s", spec, why)
		r.rep.Skipped = append(r.rep.Skipped, spec+": "+why)
		return nil, errSkipped
	}
	var c *child
	t := &target{name: spec, url: base + r.cfg.routePath(), model: "gpt-4o-mini", header: auth}
	switch {
	case spec == GovMemory || spec == GovRedis || spec == GovRedisNoLease:
		return r.startGovernance(ctx, spec, mockURL, env)
	case spec == "litellm":
		bin, err := r.installLiteLLM(ctx)
		if err != nil {
			return skip(err.Error())
		}
		c, err = r.startLiteLLM(ctx, bin, port, mockURL)
		if err != nil {
			return nil, err
		}
		t.header = http.Header{"Authorization": {"Bearer " + r.litellmKey}, "Content-Type": {"application/json"}}
		t.selfHeader, t.selfUnit = litellmOverheadHeader, time.Millisecond
	case spec == "portkey":
		node, err := exec.LookPath("node")
		if err != nil {
			return skip("`node` is not on PATH; install Node.js 18 or later to benchmark Portkey")
		}
		script, err := r.installPortkey(ctx)
		if err != nil {
			return skip(err.Error())
		}
		// Portkey listens on every interface; a preload pins it to 127.0.0.1.
		preload := filepath.Join(r.dir, "loopback.cjs")
		if err := os.WriteFile(preload, []byte(loopbackPreload), 0o600); err != nil {
			return nil, fmt.Errorf("portkey preload: %w", err)
		}
		r.logf("starting portkey %s on %s", PortkeyVersion, base)
		c, err = r.startChild("portkey", []string{"NODE_ENV=production"}, true, node, "--require", preload, script, "--port="+strconv.Itoa(port), "--headless")
		if err != nil {
			return nil, err
		}
		r.children = append(r.children, c)
		if err := c.waitHTTP(ctx, base+"/", 60*time.Second); err != nil {
			return nil, err
		}
		t.header = auth.Clone()
		t.header.Set("x-portkey-provider", "openai")
		t.header.Set("x-portkey-custom-host", mockURL+"/v1")
	default: // name=/path/to/binary args, with {port}, {mock} and {key} replaced
		name, cmdline, ok := strings.Cut(spec, "=")
		if !ok || name == "" || cmdline == "" {
			return nil, fmt.Errorf("peer %q: want litellm, portkey or name=/path/to/binary args ({port}, {mock}, {key} are replaced)", spec)
		}
		repl := strings.NewReplacer("{port}", strconv.Itoa(port), "{mock}", mockURL, "{key}", r.key)
		args := strings.Fields(repl.Replace(cmdline))
		if _, err := exec.LookPath(args[0]); err != nil {
			return skip(fmt.Sprintf("%s not found (%v)", args[0], err))
		}
		t.name = name
		r.logf("starting %s on %s: %s", name, base, strings.Join(args, " "))
		c, err = r.startChild(name, env, true, args[0], args[1:]...)
		if err != nil {
			return nil, err
		}
		r.children = append(r.children, c)
		if err := waitTCP(ctx, c, port, 60*time.Second); err != nil {
			return nil, err
		}
	}
	t.proc = c
	return t, nil
}

// installPortkey installs @portkey-ai/gateway with npm into the cache
// folder once, and returns its start script.
func (r *run) installPortkey(ctx context.Context) (string, error) {
	dir := filepath.Join(r.cfg.CacheDir, "portkey-"+PortkeyVersion)
	script := filepath.Join(dir, "node_modules", "@portkey-ai", "gateway", "build", "start-server.js")
	if _, err := os.Stat(script); err == nil {
		return script, nil
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		return "", fmt.Errorf("`npm` is not on PATH; install Node.js and npm to benchmark Portkey")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("portkey cache folder: %w", err)
	}
	r.logf("installing @portkey-ai/gateway@%s into %s", PortkeyVersion, dir)
	ictx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ictx, npm, "install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", "@portkey-ai/gateway@"+PortkeyVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install @portkey-ai/gateway@%s failed (%v): %s", PortkeyVersion, err, strings.TrimSpace(string(out)))
	}
	return script, nil
}

// loopbackPreload makes every server of a Node process listen on 127.0.0.1.
const loopbackPreload = `const net = require('net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'number' || typeof args[0] === 'string' && /^\d+$/.test(args[0])) {
    const cb = args.find((a) => typeof a === 'function');
    return cb ? listen.call(this, Number(args[0]), '127.0.0.1', cb) : listen.call(this, Number(args[0]), '127.0.0.1');
  }
  if (args[0] && typeof args[0] === 'object' && args[0].port !== undefined && !args[0].path) {
    args[0] = { ...args[0], host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};
`

// waitTCP waits until something accepts connections on 127.0.0.1:port.
func waitTCP(ctx context.Context, c *child, port int, limit time.Duration) error {
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if conn, err := (&net.Dialer{Timeout: time.Second}).DialContext(ctx, "tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", c.name, c.err, tail(c.log.text()))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: nothing listening on port %d after %v", c.name, port, limit)
}
