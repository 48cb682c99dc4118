package runtime_test

import (
	"net"
	"sync"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/valyala/fasthttp"
)

// TestDirectKeyOnKeyAddressedProviders checks a client's own key (allow_direct_keys) on
// providers whose URL comes from the key config: an Azure request goes to the configured
// key's endpoint and deployment with the client's key as its credential; a provider that
// signs requests from its key config (Bedrock) refuses a client key with a clear 400.
func TestDirectKeyOnKeyAddressedProviders(t *testing.T) {
	var mu sync.Mutex
	var paths, keys []string
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		mu.Lock()
		paths = append(paths, string(ctx.RequestURI()))
		keys = append(keys, string(ctx.Request.Header.Peek("api-key")))
		mu.Unlock()
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}`)
	}}
	go srv.Serve(ln)                     //nolint:errcheck // ends at Shutdown
	t.Cleanup(func() { srv.Shutdown() }) //nolint:errcheck

	cfg := `{"providers":{
		"azure":{"keys":[{"name":"k","value":"configured-azure-key","models":["*"],"weight":1,
			"azure_key_config":{"endpoint":"http://` + ln.Addr().String() + `","deployments":{"gpt-4o":"prod-4o"}}}]},
		"bedrock":{"keys":[{"name":"b","models":["*"],"weight":1,
			"bedrock_key_config":{"access_key":"AKIDEXAMPLE","secret_key":"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY","region":"us-east-1"}}]}}}`
	e := newEngine(t, cfg, timeouts{}, runtime.Options{})

	c := e.AcquireCall()
	c.DirectKey = "client-own-key-0123456789"
	if err := decodeChat(c, chatBody("azure/gpt-4o", false)); err != nil {
		t.Fatal(err)
	}
	if err := e.ChatCompletion(c); err != nil {
		t.Fatalf("azure with a direct key: %d %s", err.Status, err.Body.Message)
	}
	e.ReleaseCall(c)
	mu.Lock()
	if len(paths) != 1 || paths[0] != "/openai/deployments/prod-4o/chat/completions?api-version=2024-10-21" || keys[0] != "client-own-key-0123456789" {
		t.Errorf("the provider got %v with api-key %v; want the configured endpoint and deployment with the client's key", paths, keys)
	}
	mu.Unlock()

	c = e.AcquireCall()
	defer e.ReleaseCall(c)
	c.DirectKey = "client-own-key-0123456789"
	if err := decodeChat(c, chatBody("bedrock/anthropic.claude-3-haiku-20240307-v1:0", false)); err != nil {
		t.Fatal(err)
	}
	if rerr := e.ChatCompletion(c); rerr == nil || rerr.Status != 400 || rerr.Body.Code != "direct_key_unsupported" {
		t.Errorf("bedrock with a direct key: got %+v, want 400 direct_key_unsupported", rerr)
	}
}
