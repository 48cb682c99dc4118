package corpus

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/server"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

var update = flag.Bool("update", false, "rewrite the golden files of the corpus from what the gateway does now")

// caseFile is a case's case.json.
type caseFile struct {
	// Doc is the provider documentation page the case was checked against. Required.
	Doc string `json:"doc"`
	// About says what the case covers. Required.
	About string `json:"about"`
	// Method and Endpoint are the gateway request's; defaults POST /v1/chat/completions.
	Method   string `json:"method"`
	Endpoint string `json:"endpoint"`
	// Provider is the provider's entry in config.json. Default: one key "test-key".
	Provider json.RawMessage `json:"provider"`
	// Upstream is the provider's answer: status (default 200) and content type (default by
	// the response file's extension).
	Upstream struct {
		Status      int    `json:"status"`
		ContentType string `json:"content_type"`
	} `json:"upstream"`
	// MaskHeaders lists request headers whose values change from run to run (signatures,
	// dates); the golden file shows them masked.
	MaskHeaders []string `json:"mask_headers"`
}

// TestCorpus runs every case under testdata/<provider>/<case>/.
func TestCorpus(t *testing.T) {
	providers, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, p := range providers {
		if !p.IsDir() {
			continue
		}
		cases, err := os.ReadDir(filepath.Join("testdata", p.Name()))
		if err != nil {
			t.Fatal(err)
		}
		t.Run(p.Name(), func(t *testing.T) {
			for _, c := range cases {
				if !c.IsDir() {
					continue
				}
				ran++
				dir := filepath.Join("testdata", p.Name(), c.Name())
				t.Run(c.Name(), func(t *testing.T) { runCase(t, p.Name(), dir) })
			}
		})
	}
	if ran == 0 {
		t.Skip("no corpus cases yet")
	}
}

// upstream is the in-memory provider: it records each request and answers with the case's
// recorded response.
type upstream struct {
	status      int
	contentType string
	body        []byte

	mu       sync.Mutex
	requests []string // method, URL, headers and body of each request
	tls      bool
	mask     map[string]bool
}

func (u *upstream) handle(ctx *fasthttp.RequestCtx) {
	var b strings.Builder
	scheme := "http"
	if u.tls {
		scheme = "https"
	}
	fmt.Fprintf(&b, "%s %s://%s%s\n", ctx.Method(), scheme, ctx.Host(), ctx.RequestURI())
	var headers []string
	ctx.Request.Header.VisitAll(func(k, v []byte) {
		name := string(k)
		switch strings.ToLower(name) {
		case "host", "content-length", "user-agent":
			return
		}
		val := string(v)
		if u.mask[strings.ToLower(name)] {
			val = "<masked>"
		}
		headers = append(headers, strings.ToLower(name)+": "+val)
	})
	sort.Strings(headers)
	for _, h := range headers {
		b.WriteString(h + "\n")
	}
	b.WriteString("\n")
	b.Write(ctx.PostBody())
	u.mu.Lock()
	u.requests = append(u.requests, b.String())
	u.mu.Unlock()

	ctx.SetStatusCode(u.status)
	ctx.SetContentType(u.contentType)
	ctx.SetBody(u.body)
}

func runCase(t *testing.T, providerName, dir string) {
	var c caseFile
	read := func(name string) []byte {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return data
	}
	dec := json.NewDecoder(bytes.NewReader(read("case.json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		t.Fatalf("case.json: %v", err)
	}
	if !strings.HasPrefix(c.Doc, "https://") || c.About == "" {
		t.Fatal("case.json: doc (an https URL of the page checked) and about are required")
	}
	if c.Method == "" {
		c.Method = fasthttp.MethodPost
	}
	if c.Endpoint == "" {
		c.Endpoint = "/v1/chat/completions"
	}

	up := &upstream{status: c.Upstream.Status, contentType: c.Upstream.ContentType, mask: map[string]bool{}}
	for _, h := range c.MaskHeaders {
		up.mask[strings.ToLower(h)] = true
	}
	if up.status == 0 {
		up.status = 200
	}
	found := 0
	for ext, ct := range map[string]string{".json": "application/json", ".sse": "text/event-stream", ".bin": "application/vnd.amazon.eventstream"} {
		data, err := os.ReadFile(filepath.Join(dir, "upstream_response"+ext))
		if err != nil {
			continue
		}
		found++
		up.body = data
		if up.contentType == "" {
			up.contentType = ct
		}
	}
	if found != 1 {
		t.Fatalf("want exactly one upstream_response.{json,sse,bin}, found %d", found)
	}

	// The provider, over TLS when its URL is https (keys and signatures then travel as in
	// production), on an in-memory listener.
	info := adapterInfo(t, providerName)
	providerCfg := c.Provider
	if len(providerCfg) == 0 {
		providerCfg = json.RawMessage(`{"keys":[{"value":"test-key","models":["*"],"weight":1}]}`)
	}
	var pc map[string]any
	if err := json.Unmarshal(providerCfg, &pc); err != nil {
		t.Fatalf("case.json provider: %v", err)
	}
	nc, _ := pc["network_config"].(map[string]any)
	if nc == nil {
		nc = map[string]any{}
	}
	base, _ := nc["base_url"].(string)
	if base == "" {
		base = info
	}
	up.tls = !strings.HasPrefix(base, "http://")
	if up.tls {
		nc["insecure_skip_verify"] = true
	}
	nc["max_retries"] = 0
	pc["network_config"] = nc
	cfgJSON, err := json.Marshal(map[string]any{"providers": map[string]any{providerName: pc}})
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Parse("corpus.json", cfgJSON, func(string) string { return "" })
	if err != nil {
		t.Fatalf("config: %v", err)
	}

	upLn := fasthttputil.NewInmemoryListener()
	upSrv := &fasthttp.Server{Handler: up.handle}
	go func() {
		if up.tls {
			cert, key, err := fasthttp.GenerateTestCertificate("localhost")
			if err != nil {
				panic(err)
			}
			upSrv.ServeTLSEmbed(upLn, cert, key) //nolint:errcheck // ends when the listener closes
			return
		}
		upSrv.Serve(upLn) //nolint:errcheck // ends when the listener closes
	}()
	t.Cleanup(func() { upLn.Close() })

	engine, err := runtime.NewWithOptions(cfg, runtime.Options{Adapters: adapters.All(), Dial: func(string) (net.Conn, error) { return upLn.Dial() }})
	if err != nil {
		t.Fatalf("engine: %v", err)
	}
	t.Cleanup(func() { engine.Shutdown() }) //nolint:errcheck // the test is over
	gw := server.New(engine, slog.New(slog.NewTextHandler(io.Discard, nil)))
	gwLn := fasthttputil.NewInmemoryListener()
	go (&fasthttp.Server{Handler: gw.Handler()}).Serve(gwLn) //nolint:errcheck // ends when the listener closes
	t.Cleanup(func() { gwLn.Close() })

	client := &fasthttp.Client{Dial: func(string) (net.Conn, error) { return gwLn.Dial() }}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI("http://gateway" + c.Endpoint)
	req.Header.SetMethod(c.Method)
	if c.Method == fasthttp.MethodPost {
		req.Header.SetContentType("application/json")
		req.SetBody(read("request.json"))
	}
	if err := client.DoTimeout(req, resp, 10*time.Second); err != nil {
		t.Fatalf("gateway: %v", err)
	}

	var got bytes.Buffer
	fmt.Fprintf(&got, "HTTP %d\ncontent-type: %s\n\n", resp.StatusCode(), resp.Header.ContentType())
	got.Write(normalize(resp.Body()))
	up.mu.Lock()
	sent := strings.Join(up.requests, "\n---\n")
	up.mu.Unlock()
	if sent == "" {
		sent = "(no request reached the provider)\n"
	}
	golden(t, filepath.Join(dir, "upstream_request.golden"), []byte(sent))
	golden(t, filepath.Join(dir, "response.golden"), got.Bytes())
}

var (
	createdRE = regexp.MustCompile(`"created":\d+`)
	idRE      = regexp.MustCompile(`chatcmpl-[0-9a-f]{16}`)
)

// normalize replaces what changes from run to run in a gateway answer: creation times the
// gateway stamps, and ids it generates for providers that send none.
func normalize(b []byte) []byte {
	b = createdRE.ReplaceAll(b, []byte(`"created":0`))
	return idRE.ReplaceAll(b, []byte("chatcmpl-<generated>"))
}

// adapterInfo returns the default base URL of a generated provider.
func adapterInfo(t *testing.T, name string) string {
	for _, a := range adapters.All() {
		if a.Info().Name == name {
			return a.Info().DefaultBaseURL
		}
	}
	t.Fatalf("no adapter named %q (testdata folders are provider names)", name)
	return ""
}

// golden compares got with the file at path, or writes it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./adapters/corpus -update, then review the file)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test ./adapters/corpus -update and review the diff)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}
