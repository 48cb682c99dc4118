package mocks

import (
	"bytes"
	"crypto/subtle"
	"encoding/base64"
	"strings"

	"github.com/mailru/easyjson/jlexer"
	"github.com/valyala/fasthttp"
)

// FormatVertex is Vertex AI's Gemini wire format
// (https://cloud.google.com/vertex-ai/generative-ai/docs/model-reference/inference):
// POST /v1/projects/{project}/locations/{region}/publishers/google/models/{model}:generateContent
// and :streamGenerateContent?alt=sse with an OAuth2 access token, plus the OAuth2 token
// endpoint POST /token that service accounts exchange a signed JWT at
// (https://developers.google.com/identity/protocols/oauth2/service-account#httprest), plus
// Anthropic's Claude models at .../publishers/anthropic/models/{model}:rawPredict and
// :streamRawPredict, in Anthropic's Messages format without "model" in the body and with
// "anthropic_version": "vertex-2023-10-16" in it
// (https://cloud.google.com/vertex-ai/generative-ai/docs/partner-models/claude/use-claude).
const FormatVertex = "vertex"

// VertexAnthropicVersion is the anthropic_version that Claude on Vertex AI requires in the
// body (https://docs.anthropic.com/en/api/claude-on-vertex-ai).
const VertexAnthropicVersion = "vertex-2023-10-16"

// VertexTokenPath is the path of the mock's OAuth2 token endpoint; a service-account JSON
// whose token_uri is the mock's URL plus this path gets its tokens from the mock.
const VertexTokenPath = "/token"

// VertexTokenTTL is the lifetime, in seconds, of the access tokens the mock issues.
const VertexTokenTTL = 3599

// serveVertex answers the token endpoint and Vertex AI's Gemini routes. With
// Config.RequireKey set, the model routes need "Authorization: Bearer <token>" with a token
// this mock issued (the check is stateless: a token carries its own MAC).
func (s *Server) serveVertex(ctx *fasthttp.RequestCtx) {
	path, method := string(ctx.Path()), string(ctx.Method())
	if path == VertexTokenPath && method == fasthttp.MethodPost {
		s.serveVertexToken(ctx)
		return
	}
	var model, action string
	r, claude := routeNone, false
	if rest, ok := strings.CutPrefix(path, "/v1/projects/"); ok && method == fasthttp.MethodPost {
		// {project}/locations/{region}/publishers/{google|anthropic}/models/{model}:{action}
		parts := strings.SplitN(rest, "/", 6)
		if len(parts) == 6 && parts[1] == "locations" && parts[3] == "publishers" && strings.HasPrefix(parts[5], "models/") {
			model, action = splitAction(parts[5][len("models/"):])
			switch parts[4] {
			case "google":
				r = googleRoute(action)
			case "anthropic":
				if action == "rawPredict" || action == "streamRawPredict" {
					r, claude = routeChat, true
				}
			}
		}
	}
	if r == routeNone || r == routeEmbeddings {
		s.stats.notFound.Add(1)
		writeGoogleError(ctx, fasthttp.StatusNotFound, "mock: no Vertex AI route "+method+" "+path)
		return
	}
	s.stats.routes[r].Add(1)
	if s.cfg.RequireKey != "" && !s.validVertexToken(ctx.Request.Header.Peek(fasthttp.HeaderAuthorization)) {
		s.stats.unauthorized.Add(1)
		writeGoogleError(ctx, fasthttp.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.")
		return
	}
	switch {
	case claude && model == "count-tokens":
		s.serveVertexClaudeCount(ctx)
	case claude:
		s.serveVertexClaude(ctx, model, action == "streamRawPredict")
	case action == "countTokens":
		s.serveGoogleCountTokens(ctx, model, true)
	default:
		s.serveGoogle(ctx, r, model, action)
	}
}

// serveVertexClaude answers an authorized rawPredict (or, with stream, streamRawPredict)
// for a Claude model: the body must be a Messages request without "model" and with
// anthropic_version vertex-2023-10-16; the answer, its stream events and its errors are
// Anthropic's, for the model named in the URL.
func (s *Server) serveVertexClaude(ctx *fasthttp.RequestCtx, model string, stream bool) {
	body := ctx.PostBody()
	if msg := checkVertexClaudeBody(body); msg != "" {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	req := anthropicRequest{model: model}
	if msg := parseAnthropicRequest(body, &req); msg != "" {
		s.stats.badRequests.Add(1)
		writeAnthropicError(ctx, fasthttp.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	req.stream = req.stream || stream
	s.answerAnthropic(ctx, &req)
}

// checkVertexClaudeBody returns a 400 message when a Claude request's body names a model
// (Vertex takes it from the URL) or lacks anthropic_version vertex-2023-10-16; else "".
func checkVertexClaudeBody(body []byte) string {
	version := ""
	l := jlexer.Lexer{Data: body}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		key := l.UnsafeFieldName(false)
		l.WantColon()
		switch key {
		case "model":
			return "model: Extra inputs are not permitted (Vertex AI takes the model from the URL)"
		case "anthropic_version":
			version = l.UnsafeString()
		default:
			l.SkipRecursive()
		}
		l.WantComma()
	}
	if l.Ok() && version != VertexAnthropicVersion {
		return "anthropic_version: must be \"" + VertexAnthropicVersion + "\" in the body"
	}
	return ""
}

// vertexToken returns the token numbered n: "ya29.mock-" and 16 hex digits of n and 16 of
// its MAC.
func (s *Server) vertexToken(n uint64) []byte {
	t := append([]byte(nil), "ya29.mock-"...)
	t = appendHex16(t, n)
	return appendHex16(t, mix64(n^s.idSalt^0x7665727465780000))
}

// validVertexToken reports whether auth is "Bearer <a token this mock issued>".
func (s *Server) validVertexToken(auth []byte) bool {
	tok, ok := bytes.CutPrefix(auth, []byte("Bearer "))
	if !ok || len(tok) != len("ya29.mock-")+32 {
		return false
	}
	n, err := parseHex16(tok[len("ya29.mock-") : len("ya29.mock-")+16])
	if err {
		return false
	}
	return subtle.ConstantTimeCompare(tok, s.vertexToken(n)) == 1
}

func parseHex16(b []byte) (uint64, bool) {
	var n uint64
	for _, c := range b {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		default:
			return 0, true
		}
		n = n<<4 | uint64(c)
	}
	return n, false
}

// serveVertexToken answers the OAuth2 JWT-bearer grant: a form with
// grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer and an assertion that is a
// three-part RS256 JWT whose claims name iss, scope, aud, iat and exp. The signature is not
// checked (the mock has no public key). It answers {"access_token","expires_in","token_type"}
// or Google's OAuth error {"error","error_description"} with 400.
func (s *Server) serveVertexToken(ctx *fasthttp.RequestCtx) {
	args := ctx.PostArgs()
	if string(args.Peek("grant_type")) != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		s.stats.badRequests.Add(1)
		writeOAuthError(ctx, "unsupported_grant_type", "Invalid grant_type: "+string(args.Peek("grant_type")))
		return
	}
	if reason := checkAssertion(args.Peek("assertion")); reason != "" {
		s.stats.badRequests.Add(1)
		writeOAuthError(ctx, "invalid_grant", reason)
		return
	}
	if status := s.pickFault(); status != 0 && status != faultConn {
		s.stats.countInjected(status)
		writeGoogleError(ctx, status, googleFaultMessage(status))
		return
	}
	buf := append(ctx.Response.SwapBody(nil)[:0], `{"access_token":"`...)
	buf = append(buf, s.vertexToken(s.ids.Add(1))...)
	buf = append(buf, `","expires_in":3599,"token_type":"Bearer"}`...)
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SwapBody(buf)
}

// checkAssertion checks a JWT's shape; "" when it is acceptable.
func checkAssertion(jwt []byte) string {
	parts := bytes.Split(jwt, []byte("."))
	if len(parts) != 3 || len(parts[2]) == 0 {
		return "Invalid JWT: the assertion must have three parts."
	}
	header, err := base64.RawURLEncoding.DecodeString(string(parts[0]))
	if err != nil || !bytes.Contains(header, []byte(`"RS256"`)) {
		return "Invalid JWT: the header must name alg RS256."
	}
	claims, err := base64.RawURLEncoding.DecodeString(string(parts[1]))
	if err != nil {
		return "Invalid JWT: the claims are not base64url."
	}
	seen := map[string]bool{}
	l := jlexer.Lexer{Data: claims}
	l.Delim('{')
	for !l.IsDelim('}') && l.Ok() {
		seen[l.UnsafeFieldName(false)] = true
		l.WantColon()
		l.SkipRecursive()
		l.WantComma()
	}
	l.Delim('}')
	if !l.Ok() {
		return "Invalid JWT: the claims are not a JSON object."
	}
	for _, c := range []string{"iss", "scope", "aud", "iat", "exp"} {
		if !seen[c] {
			return "Invalid JWT: claim " + c + " is missing."
		}
	}
	return ""
}

// writeOAuthError answers Google's OAuth2 error shape with 400.
func writeOAuthError(ctx *fasthttp.RequestCtx, code, description string) {
	buf := append(beginErrorBody(ctx, fasthttp.StatusBadRequest), `{"error":"`...)
	buf = append(buf, code...)
	buf = append(buf, `","error_description":`...)
	buf = appendJSONString(buf, description)
	ctx.Response.SwapBody(append(buf, '}'))
}
