package harness

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/benchmarks/peers/litellm"
)

// LiteLLMVersion is the litellm[proxy] release the harness installs
// (benchmarks/peers/litellm/requirements.in says why this one).
const LiteLLMVersion = litellm.Version

// LiteLLMDocs is the page whose production advice the harness follows to
// start LiteLLM: workers matched to the CPU count, LITELLM_LOG=ERROR,
// LITELLM_MODE=PRODUCTION, a master key.
const LiteLLMDocs = "https://docs.litellm.ai/docs/proxy/prod"

// litellmOverheadHeader is the header in which LiteLLM reports its own
// overhead per request, in milliseconds (https://docs.litellm.ai/docs/benchmarks).
const litellmOverheadHeader = "X-Litellm-Overhead-Duration-Ms"

// installLiteLLM installs the pinned, hashed lock into a virtual
// environment in the cache folder once (again only when the lock changes),
// and returns the path of its litellm command.
func (r *run) installLiteLLM(ctx context.Context) (string, error) {
	dir := filepath.Join(r.cfg.CacheDir, "litellm-"+LiteLLMVersion)
	bin := filepath.Join(dir, "bin", "litellm")
	sum := sha256.Sum256(litellm.Requirements)
	stamp := filepath.Join(dir, ".bifrost-lock-sha256")
	want := hex.EncodeToString(sum[:])
	if b, err := os.ReadFile(stamp); err == nil && strings.TrimSpace(string(b)) == want {
		if _, err := os.Stat(bin); err == nil {
			return bin, nil
		}
	}
	python, err := exec.LookPath("python3")
	if err != nil {
		return "", fmt.Errorf("`python3` is not on PATH; install Python 3.10 or later (with venv) to benchmark LiteLLM")
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("litellm cache folder: %w", err)
	}
	if err := os.MkdirAll(r.cfg.CacheDir, 0o755); err != nil {
		return "", fmt.Errorf("litellm cache folder: %w", err)
	}
	r.logf("installing litellm[proxy]==%s (hashed lock, %d bytes) into %s", LiteLLMVersion, len(litellm.Requirements), dir)
	ictx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	if out, err := exec.CommandContext(ictx, python, "-m", "venv", dir).CombinedOutput(); err != nil {
		return "", fmt.Errorf("python3 -m venv %s failed (%v): %s", dir, err, strings.TrimSpace(string(out)))
	}
	lock := filepath.Join(dir, "requirements.txt")
	if err := os.WriteFile(lock, litellm.Requirements, 0o644); err != nil {
		return "", fmt.Errorf("litellm lock: %w", err)
	}
	cmd := exec.CommandContext(ictx, filepath.Join(dir, "bin", "python"), "-m", "pip", "install", "--quiet",
		"--disable-pip-version-check", "--require-hashes", "--no-deps", "-r", lock)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("pip install --require-hashes litellm[proxy]==%s failed (%v): %s", LiteLLMVersion, err, tail(strings.TrimSpace(string(out))))
	}
	if err := os.WriteFile(stamp, []byte(want+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("litellm cache folder: %w", err)
	}
	return bin, nil
}

// litellmWorkers is the number of uvicorn workers: LiteLLM's production
// advice is one per CPU ("--num_workers $(nproc)"), so the CPUs the gateway
// may use: its pinned set, or the whole machine.
func (r *run) litellmWorkers() int {
	if n := len(r.pin.gateway); n > 0 {
		return n
	}
	return runtime.NumCPU()
}

// startLiteLLM writes LiteLLM's config for the mock and starts it as its
// production docs advise, without a database; it returns when
// /health/liveliness answers.
func (r *run) startLiteLLM(ctx context.Context, bin string, port int, mockURL string) (*child, error) {
	key := make([]byte, 24)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("litellm master key: %w", err)
	}
	r.litellmKey = "sk-" + hex.EncodeToString(key)
	timeout := int(r.cfg.Profile.Timeout / time.Second)
	var cfg bytes.Buffer
	fmt.Fprintf(&cfg, `model_list:
  - model_name: gpt-4o-mini
    litellm_params:
      model: openai/gpt-4o-mini
      api_base: %s/v1
      api_key: %s
litellm_settings:
  set_verbose: false
  request_timeout: %d
  num_retries: 0
`, mockURL, r.key, timeout)
	path := filepath.Join(r.dir, "litellm.yaml")
	if err := os.WriteFile(path, cfg.Bytes(), 0o600); err != nil {
		return nil, fmt.Errorf("litellm config: %w", err)
	}
	workers := r.litellmWorkers()
	env := []string{
		"LITELLM_MASTER_KEY=" + r.litellmKey,
		"LITELLM_LOG=ERROR",
		"LITELLM_MODE=PRODUCTION",
		// No database, no Redis, whatever the caller's environment says.
		"-DATABASE_URL", "-DIRECT_URL", "-REDIS_HOST", "-REDIS_PORT", "-REDIS_URL", "-REDIS_PASSWORD",
	}
	r.logf("starting litellm %s on 127.0.0.1:%d with %d workers", LiteLLMVersion, port, workers)
	c, err := r.startChild("litellm", env, true, bin, "--config", path, "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--num_workers", strconv.Itoa(workers))
	if err != nil {
		return nil, err
	}
	r.children = append(r.children, c)
	if err := c.waitHTTP(ctx, fmt.Sprintf("http://127.0.0.1:%d/health/liveliness", port), 180*time.Second); err != nil {
		return nil, err
	}
	r.rep.Setup = append(r.rep.Setup, fmt.Sprintf("LiteLLM %s (litellm[proxy] from a pinned, hashed lock, Python %s) started as its production docs advise (%s): "+
		"`litellm --config litellm.yaml --num_workers %d` (uvicorn, one worker per CPU it may use, as the docs' `--num_workers $(nproc)`), "+
		"LITELLM_LOG=ERROR (no per-request info logs), LITELLM_MODE=PRODUCTION (no .env loading), a master key (required to start; sent as the bearer token); "+
		"no database and no Redis (spend logs, budgets and caching off: the lightest path it offers); config: one model on the mock, "+
		"set_verbose false, request_timeout %d s (the harness's own), num_retries 0 (the mock never fails, so neither gateway ever retries here); "+
		"its CPU and peak RSS are those of the whole process group (the parent and its %d workers)",
		LiteLLMVersion, pythonVersion(bin), LiteLLMDocs, workers, timeout, workers))
	return c, nil
}

// pythonVersion returns the version of the Python that runs the venv's
// command at bin, or "3".
func pythonVersion(bin string) string {
	out, err := exec.Command(filepath.Join(filepath.Dir(bin), "python"), "-c", "import platform; print(platform.python_version())").Output()
	if err != nil {
		return "3"
	}
	return strings.TrimSpace(string(out))
}
