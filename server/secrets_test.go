package server

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"log/slog"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime/config"
)

// TestNoSecretInAnyOutput runs a scenario with recognisable secrets for several providers
// (API keys, an AWS secret key and session token, a service account's private key, the
// gateway's own key, a client's direct key): successes, streams, provider errors that quote
// the key, failures to authorize, bad requests, a refused reload, /metrics and /v1/models,
// with debug-level JSON logs. No secret may appear in any response body or header, log
// line, metric or reload error.
func TestNoSecretInAnyOutput(t *testing.T) {
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: mustPKCS8(t, pk)}))
	sa, _ := json.Marshal(map[string]string{
		"type": "service_account", "client_email": "bifrost@example.iam.gserviceaccount.com",
		"private_key_id": "secret-private-key-id-0123456789", "private_key": pemKey,
		"token_uri": "http://mock.inmemory/token",
	})
	const (
		gatewayKey   = "gw-secret-gateway-key-0123456789"
		anthropicKey = "sk-ant-secret-anthropic-0123456789"
		awsSecret    = "aws-secret-wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY"
		awsToken     = "aws-session-token-FwoGZXIvYXdzEJr0123456789"
		directKey    = "sk-direct-client-key-0123456789"
	)
	cfgJSON := `{"client":{"api_keys":["` + gatewayKey + `"],"allow_direct_keys":true},"providers":{
		"openai":{"keys":[{"name":"k","value":"` + inProcessKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}},
		"groq":{"keys":[{"name":"echoed","value":"` + echoKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}},
		"anthropic":{"keys":[{"name":"a","value":"` + anthropicKey + `","models":["*"],"weight":1}],"network_config":{"base_url":"http://mock.inmemory"}},
		"bedrock":{"keys":[{"name":"b","models":["*"],"weight":1,"bedrock_key_config":{"access_key":"AKIDSECRETACCESSKEY01","secret_key":"` + awsSecret + `","session_token":"` + awsToken + `","region":"us-east-1"}}],"network_config":{"base_url":"http://mock.inmemory"}},
		"vertex":{"keys":[{"name":"v","models":["*"],"weight":1,"vertex_key_config":{"project_id":"p","region":"us-central1","auth_credentials":` + jsonString(string(sa)) + `}}],"network_config":{"base_url":"http://mock.inmemory"}}}}`
	var logs syncBuffer
	g := newGateway(t, cfgJSON, mocks.Config{}, slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	auth := "Authorization: Bearer " + gatewayKey
	secrets := []string{inProcessKey, echoKey, anthropicKey, awsSecret, awsToken, directKey, gatewayKey, "secret-private-key-id-0123456789",
		strings.Split(pemKey, "\n")[1]} // a line of the private key

	var out bytes.Buffer
	record := func(status int, headers, body []byte) {
		out.Write(headers)
		out.Write(body)
		out.WriteByte('\n')
	}
	for _, r := range []struct{ method, uri, body string }{
		{"POST", "/v1/chat/completions", simpleChat},
		{"POST", "/v1/chat/completions", simpleStream},
		{"POST", "/v1/chat/completions", `{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`},                  // 401 quoting the key
		{"POST", "/v1/chat/completions", `{"model":"groq/llama","stream":true,"messages":[{"role":"user","content":"hi"}]}`},    // the same, streamed
		{"POST", "/v1/chat/completions", `{"model":"anthropic/claude-x","messages":[{"role":"user","content":"hi"}]}`},          // an answer in the wrong shape
		{"POST", "/v1/chat/completions", `{"model":"bedrock/anthropic.claude-v2","messages":[{"role":"user","content":"hi"}]}`}, // signed, then refused
		{"POST", "/v1/chat/completions", `{"model":"vertex/gemini-2.0-flash","messages":[{"role":"user","content":"hi"}]}`},     // token endpoint fails
		{"POST", "/v1/chat/completions", `{"model":"openai/gpt-4o-mini","messages":[{"role":"user","content":"hi"}],"fallbacks":["groq/llama"]}`},
		{"POST", "/v1/embeddings", `{"model":"openai/text-embedding-3-small","input":"hi"}`},
		{"POST", "/v1/chat/completions", `{"model":`},
		{"GET", "/v1/models", ""},
		{"GET", "/metrics", ""},
	} {
		ctx := g.do(r.method, "http://gateway.local"+r.uri, r.body, auth)
		record(ctx.Response.StatusCode(), ctx.Response.Header.Header(), ctx.Response.Body())
	}
	// A client's own key, and a request without the gateway key.
	ctx := g.do("POST", "http://gateway.local/v1/chat/completions", `{"model":"groq/llama","messages":[{"role":"user","content":"hi"}]}`, auth, DirectKeyHeader+": "+directKey)
	record(ctx.Response.StatusCode(), ctx.Response.Header.Header(), ctx.Response.Body())
	ctx = g.do("POST", "http://gateway.local/v1/chat/completions", simpleChat, "Authorization: Bearer "+gatewayKey+"x")
	record(ctx.Response.StatusCode(), ctx.Response.Header.Header(), ctx.Response.Body())
	// A reload refused for a reason next to the secrets.
	bad := strings.Replace(cfgJSON, `"region":"us-east-1"`, `"region":""`, 1)
	if cfg, err := config.Parse("bad.json", []byte(bad), func(string) string { return "" }); err != nil {
		out.WriteString(err.Error())
	} else if err := g.srv.engine.Reload(cfg); err != nil {
		out.WriteString(err.Error())
	} else {
		t.Error("a config whose bedrock key has no region was accepted")
	}
	out.WriteString(logs.String())

	if out.Len() == 0 || !strings.Contains(out.String(), "bifrost_requests_total") {
		t.Fatal("the scenario produced no output to scan")
	}
	for _, s := range secrets {
		if i := strings.Index(out.String(), s); i >= 0 {
			lo, hi := max(0, i-120), min(out.Len(), i+len(s)+40)
			t.Errorf("secret %.12s... found in the output: ...%s...", s, out.String()[lo:hi])
		}
	}
}

func mustPKCS8(t *testing.T, k *rsa.PrivateKey) []byte {
	b, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}
