package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// Process is a child process started by StartProcess: in a process group
// of its own, killed by the kernel if the caller dies (Linux), its stdout
// and stderr kept in one bounded log. Other benchmark programs (the soak)
// use it to run the mock and the gateway the way Run does.
type Process struct{ c *child }

// StartProcess starts the program at path as name, with args, and with env
// added to the caller's environment. The caller must call Stop.
func StartProcess(name string, env []string, path string, args ...string) (*Process, error) {
	c, err := startChild(name, env, path, args...)
	if err != nil {
		return nil, err
	}
	return &Process{c: c}, nil
}

// Pid returns the process id, for procstat.Read.
func (p *Process) Pid() int { return p.c.pid() }

// WaitURL waits until the process prints a line containing marker and an
// http://127.0.0.1:PORT address, and returns that address. It fails when
// the process exits, limit passes or ctx ends first.
func (p *Process) WaitURL(ctx context.Context, marker string, limit time.Duration) (string, error) {
	return p.c.waitURL(ctx, marker, limit)
}

// WaitHTTP polls url until it answers 200; it fails when the process exits,
// limit passes or ctx ends first.
func (p *Process) WaitHTTP(ctx context.Context, url string, limit time.Duration) error {
	return p.c.waitHTTP(ctx, url, limit)
}

// Stop sends SIGTERM to the process group, waits up to grace, then kills
// the group. It is safe to call more than once.
func (p *Process) Stop(grace time.Duration) { p.c.stop(grace) }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.c.done }

// Output returns the process's output kept so far (the first 2,000 lines).
func (p *Process) Output() string { return p.c.log.text() }

// Tail returns the last lines of s, indented, for an error message.
func Tail(s string) string { return tail(s) }

// Machine describes the machine: CPUs, CPU model, memory, Go version.
func Machine() string { return machine() }

// GatewayConfig returns the JSON config that Run gives Bifrost for profile p: one openai
// provider on the mock at mockURL, its key read from the environment variable
// BIFROST_BENCH_KEY.
func GatewayConfig(p Profile, mockURL string) ([]byte, error) {
	b, err := json.MarshalIndent(gatewayConfig(p, mockURL), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("bifrost config: %w", err)
	}
	return b, nil
}

// ChatBody returns the plain chat completion request that Run sends, with a user message
// of promptLen bytes (PromptSize), for model.
func ChatBody(promptLen int, model string) []byte {
	return bytes.Replace(chatBody(promptLen, false), []byte(modelPlaceholder), []byte(model), 1)
}
