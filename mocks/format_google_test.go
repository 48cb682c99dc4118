package mocks

import (
	"bytes"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"
)

// googleCall runs one request with the headers given as name, value pairs.
func googleCall(t *testing.T, s *Server, method, uri, body string, headers ...string) response {
	t.Helper()
	ctx := newCtx(method, uri, body, "")
	for i := 0; i+1 < len(headers); i += 2 {
		ctx.Request.Header.Set(headers[i], headers[i+1])
	}
	if strings.HasSuffix(uri, "/token") {
		ctx.Request.Header.SetContentType("application/x-www-form-urlencoded")
	}
	s.Handler()(ctx)
	return response{status: ctx.Response.StatusCode(), contentType: string(ctx.Response.Header.ContentType()),
		retryAfter: string(ctx.Response.Header.Peek("Retry-After")), body: append([]byte(nil), ctx.Response.Body()...)}
}

func TestGeminiFormat(t *testing.T) {
	s := newServer(t, Config{Format: FormatGemini, RequireKey: "AIza-test", StreamChunks: 3, EmbeddingDimensions: 4})
	const chat = `{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}`
	const tools = `{"contents":[{"role":"user","parts":[{"text":"Weather?"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather"}]}]}`
	const result = `{"contents":[{"role":"user","parts":[{"text":"Weather?"}]},{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{}}}]},{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"output":"sunny"}}}]}],"tools":[{"functionDeclarations":[{"name":"get_weather"}]}]}`
	key := []string{"x-goog-api-key", "AIza-test"}
	for _, tc := range []struct {
		name, method, uri, body string
		headers                 []string
		status                  int
		want                    []string
	}{
		{"text", "POST", "/v1beta/models/gemini-2.0-flash:generateContent", chat, key, 200,
			[]string{`{"candidates":[{"content":{"parts":[{"text":"`, `"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":`, `"modelVersion":"gemini-2.0-flash","responseId":"mock-`}},
		{"tool call", "POST", "/v1beta/models/gemini-2.0-flash:generateContent", tools, key, 200,
			[]string{`"parts":[{"functionCall":{"name":"get_weather","args":{}}}],"role":"model"},"finishReason":"STOP"`}},
		{"tool result", "POST", "/v1beta/models/gemini-2.0-flash:generateContent", result, key, 200, []string{`{"text":"`}},
		{"stream", "POST", "/v1beta/models/gemini-2.0-flash:streamGenerateContent?alt=sse", chat, key, 200,
			[]string{"data: {\"candidates\"", "\r\n\r\ndata: ", `"finishReason":"STOP"`}},
		{"stream without alt=sse", "POST", "/v1beta/models/gemini-2.0-flash:streamGenerateContent", chat, key, 400, []string{`"status":"INVALID_ARGUMENT"`}},
		{"batch embed", "POST", "/v1beta/models/gemini-embedding-001:batchEmbedContents",
			`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"outputDimensionality":2},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]}}]}`, key, 200,
			[]string{`{"embeddings":[{"values":[`, `]},{"values":[`}},
		{"embed", "POST", "/v1beta/models/gemini-embedding-001:embedContent", `{"content":{"parts":[{"text":"a"}]}}`, key, 200, []string{`{"embedding":{"values":[`}},
		{"models", "GET", "/v1beta/models", "", key, 200, []string{`"name":"models/gemini-2.0-flash"`}},
		{"wrong key", "POST", "/v1beta/models/gemini-2.0-flash:generateContent", chat, []string{"x-goog-api-key", "nope"}, 400,
			[]string{`{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT"}}`}},
		{"unknown method", "POST", "/v1beta/models/gemini-2.0-flash:computeTokens", chat, key, 404, []string{`"status":"NOT_FOUND"`}},
		{"countTokens", "POST", "/v1beta/models/gemini-2.0-flash:countTokens", chat, key, 200, []string{`{"totalTokens":4100}`}},
		{"bad body", "POST", "/v1beta/models/gemini-2.0-flash:generateContent", `{"contents":[]}`, key, 400, []string{`"code":400`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := googleCall(t, s, tc.method, tc.uri, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			for _, w := range tc.want {
				if !bytes.Contains(r.body, []byte(w)) {
					t.Errorf("body lacks %q:\n%s", w, r.body)
				}
			}
		})
	}
}

func TestGeminiFormatFaults(t *testing.T) {
	s := newServer(t, Config{Format: FormatGemini, FailFirst: []int{429, 503}})
	for _, want := range []string{`{"error":{"code":429,"message":"Resource has been exhausted`, `{"error":{"code":503,"message":"The model is overloaded.`} {
		r := googleCall(t, s, "POST", "/v1beta/models/m:generateContent", `{"contents":[{"parts":[{"text":"x"}]}]}`)
		if !bytes.HasPrefix(r.body, []byte(want)) {
			t.Errorf("got %d %s, want %s", r.status, r.body, want)
		}
	}
}

func TestVertexFormat(t *testing.T) {
	s := newServer(t, Config{Format: FormatVertex, RequireKey: "required", StreamChunks: 2})
	const path = "/v1/projects/p1/locations/us-central1/publishers/google/models/gemini-2.0-flash:generateContent"
	const chat = `{"contents":[{"role":"user","parts":[{"text":"Hi"}]}]}`
	if r := googleCall(t, s, "POST", path, chat); r.status != fasthttp.StatusUnauthorized || !bytes.Contains(r.body, []byte(`"status":"UNAUTHENTICATED"`)) {
		t.Fatalf("without a token: %d %s", r.status, r.body)
	}
	// header {"alg":"RS256","typ":"JWT"}, claims with iss, scope, aud, iat and exp.
	const jwt = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJhQGIiLCJzY29wZSI6InMiLCJhdWQiOiJ1IiwiaWF0IjoxLCJleHAiOjJ9.c2ln"
	form := "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion="
	tok := googleCall(t, s, "POST", "/token", form+jwt)
	if tok.status != 200 || !bytes.Contains(tok.body, []byte(`"expires_in":3599,"token_type":"Bearer"`)) {
		t.Fatalf("token: %d %s", tok.status, tok.body)
	}
	access := string(tok.body[len(`{"access_token":"`) : bytes.IndexByte(tok.body[len(`{"access_token":"`):], '"')+len(`{"access_token":"`)])
	if r := googleCall(t, s, "POST", path, chat, "Authorization", "Bearer "+access); r.status != 200 || !bytes.Contains(r.body, []byte(`"finishReason":"STOP"`)) {
		t.Fatalf("with the token: %d %s", r.status, r.body)
	}
	if r := googleCall(t, s, "POST", path, chat, "Authorization", "Bearer "+access[:len(access)-1]+"0"); r.status != fasthttp.StatusUnauthorized && access[len(access)-1] != '0' {
		t.Errorf("a forged token: %d", r.status)
	}
	for _, bad := range []string{form + "abc", "grant_type=password", form + "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", form + "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJhIn0.c2ln"} {
		if r := googleCall(t, s, "POST", "/token", bad); r.status != 400 || !bytes.Contains(r.body, []byte(`"error_description"`)) {
			t.Errorf("token with %q: %d %s", bad, r.status, r.body)
		}
	}
}
