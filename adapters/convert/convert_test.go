package convert

import (
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

func TestDecodeOpenAIError(t *testing.T) {
	cases := []struct {
		name   string
		status int
		body   string
		want   schemas.ErrorBody
	}{
		{"openai", 400, `{"error":{"message":"Invalid 'messages'","type":"invalid_request_error","param":"messages","code":"invalid_value"}}`,
			schemas.ErrorBody{Message: "Invalid 'messages'", Type: "invalid_request_error", Param: "messages", Code: "invalid_value"}},
		{"openrouter numeric code", 402, `{"error":{"code":402,"message":"Insufficient credits","metadata":{"x":1}}}`,
			schemas.ErrorBody{Message: "Insufficient credits", Type: "invalid_request_error", Code: "402"}},
		{"string error", 404, `{"error":"model \"llama9\" not found"}`,
			schemas.ErrorBody{Message: `model "llama9" not found`, Type: "not_found_error"}},
		{"mistral flat", 400, `{"object":"error","message":"Invalid model: foo","type":"invalid_model","param":null,"code":"1500"}`,
			schemas.ErrorBody{Message: "Invalid model: foo", Type: "invalid_model", Code: "1500"}},
		{"fastapi detail list", 422, `{"detail":[{"type":"extra_forbidden","loc":["body","seed"],"msg":"Extra inputs are not permitted"}]}`,
			schemas.ErrorBody{Message: `Extra inputs are not permitted (at ["body","seed"])`, Type: "invalid_request_error"}},
		{"fastapi detail string", 401, `{"detail":"Unauthorized"}`,
			schemas.ErrorBody{Message: "Unauthorized", Type: "authentication_error"}},
		{"html", 502, "<html><body>Bad Gateway</body></html>",
			schemas.ErrorBody{Message: "provider returned HTTP 502: <html><body>Bad Gateway</body></html>", Type: "server_error"}},
		{"empty", 503, "", schemas.ErrorBody{Message: "provider returned HTTP 503 with an empty body", Type: "server_error"}},
		{"truncated json", 500, `{"error":{"message":"boom"`, schemas.ErrorBody{Message: `provider returned HTTP 500: {"error":{"message":"boom"`, Type: "server_error"}},
		{"rate limit", 429, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`,
			schemas.ErrorBody{Message: "Rate limit reached", Type: "requests", Code: "rate_limit_exceeded"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got schemas.ErrorBody
			DecodeOpenAIError(c.status, []byte(c.body), &got)
			if got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}
