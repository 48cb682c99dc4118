package harness

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"
)

// child is a process the harness started; stop always ends it.
type child struct {
	name string
	cmd  *exec.Cmd
	log  *lineLog
	done chan struct{}
	err  error
}

// lineLog keeps a process's output (bounded) and lets callers wait for a
// line matching a pattern.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	cond  chan struct{} // closed and replaced on every new line
	// emfile counts the lines, kept or not, that say the process ran out
	// of file descriptors.
	emfile int
}

func newLineLog() *lineLog { return &lineLog{cond: make(chan struct{})} }

func (l *lineLog) add(s string) {
	l.mu.Lock()
	if len(l.lines) < 2000 {
		l.lines = append(l.lines, s)
	}
	if mentionsEMFILE(s) {
		l.emfile++
	}
	close(l.cond)
	l.cond = make(chan struct{})
	l.mu.Unlock()
}

func (l *lineLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// descriptorErrors returns how many lines so far said that the process ran
// out of file descriptors.
func (l *lineLog) descriptorErrors() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.emfile
}

// mentionsEMFILE reports whether s is an out-of-descriptors error (EMFILE's
// text in Go, Python and Node).
func mentionsEMFILE(s string) bool {
	return strings.Contains(s, "too many open files") || strings.Contains(s, "Too many open files") || strings.Contains(s, "EMFILE")
}

func (l *lineLog) consume(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.add(sc.Text())
	}
}

// urlRE finds the address a child prints when it is ready.
var urlRE = regexp.MustCompile(`http://127\.0\.0\.1:[0-9]+`)

// startChild starts the program at path as name, with args and env (added
// to the harness's environment; an entry "-NAME" removes NAME from it); its
// stdout and stderr go to one log.
func startChild(name string, env []string, path string, args ...string) (*child, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = childEnv(os.Environ(), env)
	setDeathSignal(cmd)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd.Stderr = cmd.Stdout // one pipe, one log
	c := &child{name: name, cmd: cmd, log: newLineLog(), done: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s (%s): %w", name, path, err)
	}
	go func() {
		c.log.consume(out)
		c.err = cmd.Wait()
		close(c.done)
	}()
	return c, nil
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// exitStatus returns how the child ended, waiting briefly for its status
// to be collected, or says that it has not ended.
func (c *child) exitStatus() string {
	select {
	case <-c.done:
		if c.err == nil {
			return "exit status 0"
		}
		return c.err.Error()
	case <-time.After(2 * time.Second):
		return "still running, but its process group has no process the harness can read"
	}
}

// waitURL waits until the child prints a line with http://127.0.0.1:PORT
// matching prefix, and returns the URL.
func (c *child) waitURL(ctx context.Context, marker string, limit time.Duration) (string, error) {
	deadline := time.After(limit)
	for {
		c.log.mu.Lock()
		for _, line := range c.log.lines {
			if strings.Contains(line, marker) {
				if u := urlRE.FindString(line); u != "" {
					c.log.mu.Unlock()
					return u, nil
				}
			}
		}
		wake := c.log.cond
		c.log.mu.Unlock()
		select {
		case <-wake:
		case <-c.done:
			return "", fmt.Errorf("%s exited before it was ready (%v):\n%s", c.name, c.err, tail(c.log.text()))
		case <-deadline:
			return "", fmt.Errorf("%s not ready after %v:\n%s", c.name, limit, tail(c.log.text()))
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// waitHTTP polls url until it answers 200, the child exits or limit passes.
func (c *child) waitHTTP(ctx context.Context, url string, limit time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	end := time.Now().Add(limit)
	for time.Now().Before(end) {
		if resp, err := client.Get(url); err == nil {
			io.Copy(io.Discard, resp.Body) //nolint:errcheck
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return nil
			}
		}
		select {
		case <-c.done:
			return fmt.Errorf("%s exited before it was ready (%v):\n%s", c.name, c.err, tail(c.log.text()))
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s: %s not answering 200 after %v:\n%s", c.name, url, limit, tail(c.log.text()))
}

// stop sends SIGTERM to the child's process group, waits up to grace,
// then kills the group. It is safe to call twice.
func (c *child) stop(grace time.Duration) {
	select {
	case <-c.done:
		return
	default:
	}
	_ = signalGroup(c.cmd, syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(grace):
		_ = signalGroup(c.cmd, syscall.SIGKILL)
		<-c.done
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return "  " + strings.Join(lines, "\n  ")
}

// freePort returns a port free on 127.0.0.1 now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// errSkipped reports a peer that is not installed; the run goes on without it.
var errSkipped = errors.New("skipped")

// childEnv returns base with env's "NAME=value" entries added and its
// "-NAME" entries' variables removed.
func childEnv(base, env []string) []string {
	drop := map[string]bool{}
	var add []string
	for _, e := range env {
		if name, ok := strings.CutPrefix(e, "-"); ok {
			drop[name] = true
		} else {
			add = append(add, e)
		}
	}
	out := make([]string, 0, len(base)+len(add))
	for _, e := range base {
		name, _, _ := strings.Cut(e, "=")
		if !drop[name] {
			out = append(out, e)
		}
	}
	return append(out, add...)
}
