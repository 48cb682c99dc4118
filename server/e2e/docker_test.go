package e2e

import (
	"bytes"
	"context"
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// dockerBuild is the Dockerfile's build command. No container engine runs where these
// tests run, so TestDockerBinary builds the image's binary with this same command and runs
// it as the image's ENTRYPOINT, ENV and HEALTHCHECK would.
const dockerBuild = `CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bifrost-http ./server/cmd/bifrost-http;`

// TestDockerBinary checks the Dockerfile and runs its binary the container's way: static,
// configured only by the image's environment variables (config file, all interfaces, port),
// healthy by its own -healthcheck, and serving the launch post's curl.
func TestDockerBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the gateway; skipped with -short")
	}
	root := repoRoot(t)
	df, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		dockerBuild,
		`CGO_ENABLED=0 GOBIN=/out go install -trimpath -ldflags="-s -w" "github.com/bifrost-gw/bifrost/server/cmd/bifrost-http@$BIFROST_VERSION"`,
		"FROM scratch",
		"USER 65532:65532",
		`HEALTHCHECK --interval=10s --timeout=5s --start-period=5s --retries=3 CMD ["/bifrost-http", "-healthcheck"]`,
		"BIFROST_CONFIG=/etc/bifrost/config.json",
		"BIFROST_HOST=0.0.0.0",
		"BIFROST_PORT=${PORT}",
		`ENTRYPOINT ["/bifrost-http"]`,
	} {
		if !bytes.Contains(df, []byte(want)) {
			t.Errorf("the Dockerfile has no %q", want)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	bin := filepath.Join(t.TempDir(), "bifrost-http")
	build := exec.CommandContext(ctx, goTool(t), "build", "-trimpath", "-ldflags=-s -w", "-o", bin, "./server/cmd/bifrost-http")
	build.Dir = root
	build.Env = append(childEnv(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	checkStatic(t, bin)

	mock, mockURL := startMock(t, mocks.Config{RequireKey: mockKey, Record: true})
	cfgPath := filepath.Join(t.TempDir(), "config.json")
	if err := os.WriteFile(cfgPath, []byte(launchPostConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(freePort(t))
	env := append(childEnv(), "BIFROST_CONFIG="+cfgPath, "BIFROST_HOST=0.0.0.0", "BIFROST_PORT="+port,
		"OPENAI_API_KEY="+mockKey, "BIFROST_BASE_URL_OPENAI="+mockURL)
	gw := exec.CommandContext(ctx, bin) // no flags: the image's ENTRYPOINT
	gw.Env = env
	logs := &syncBuffer{}
	gw.Stdout, gw.Stderr = logs, logs
	gw.WaitDelay = 5 * time.Second
	if err := gw.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- gw.Wait() }()
	t.Cleanup(func() {
		gw.Process.Signal(os.Interrupt) //nolint:errcheck // it may have exited
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			gw.Process.Kill() //nolint:errcheck
			<-done
		}
		if t.Failed() {
			t.Logf("bifrost-http log:\n%s", logs.String())
		}
	})

	// The HEALTHCHECK: the same binary with the same environment.
	healthy := false
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		hc := exec.CommandContext(ctx, bin, "-healthcheck")
		hc.Env = env
		if hc.Run() == nil {
			healthy = true
			break
		}
	}
	if !healthy {
		t.Fatal("-healthcheck never passed")
	}
	allInterfaces := func() bool {
		l := logs.String()
		return strings.Contains(l, "addr=http://0.0.0.0:"+port) || strings.Contains(l, "addr=http://[::]:"+port)
	}
	for deadline := time.Now().Add(5 * time.Second); !allInterfaces() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond) // log lines reach stderr within 200 ms
	}
	if !allInterfaces() {
		t.Errorf("the gateway does not listen on all interfaces, port %s", port)
	}

	client := &http.Client{Timeout: 30 * time.Second}
	t.Cleanup(client.CloseIdleConnections)
	resp, err := client.Post("http://127.0.0.1:"+port+"/v1/chat/completions", "application/json", strings.NewReader(launchPostBody))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	lastRequest(t, mock)

	// With the gateway gone, the health check fails.
	gw.Process.Signal(os.Interrupt) //nolint:errcheck
	<-done
	done <- nil // for the cleanup
	hc := exec.CommandContext(ctx, bin, "-healthcheck")
	hc.Env = env
	if hc.Run() == nil {
		t.Error("-healthcheck passed with no gateway running")
	}
}

// checkStatic fails unless bin is a statically linked ELF executable.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary has a dynamic loader (PT_INTERP): it is not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %v", libs)
	}
}
