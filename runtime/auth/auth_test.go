package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/bedrock"
	"github.com/bifrost-gw/bifrost/adapters/vertex"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
)

var signedAt = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func TestSigV4Keys(t *testing.T) {
	cases := []struct {
		name string
		key  Key
		want string // Authorization prefix, or an error substring after "error: "
	}{
		{"api key", Key{Value: "ABSKexample"}, "Bearer ABSKexample"},
		{"api key with region", Key{Value: "ABSKexample", Settings: &bedrock.KeyConfig{Region: "us-west-2"}}, "Bearer ABSKexample"},
		{"sigv4", Key{Settings: &bedrock.KeyConfig{AccessKey: "AKID", SecretKey: "s", Region: "us-east-1"}}, "AWS4-HMAC-SHA256 Credential=AKID/20150830/us-east-1/bedrock/aws4_request, SignedHeaders="},
		{"no credentials", Key{Settings: &bedrock.KeyConfig{Region: "us-east-1"}}, "error: needs bedrock_key_config.access_key"},
		{"no settings, no value", Key{}, "error: an AWS key needs the key's settings.access_key and secret_key, or a value"},
		{"no secret", Key{Settings: &bedrock.KeyConfig{AccessKey: "AKID", Region: "us-east-1"}}, "error: secret_key is required"},
		{"no region", Key{Settings: &bedrock.KeyConfig{AccessKey: "AKID", SecretKey: "s"}}, "error: region is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a, err := New(provider.AuthSigV4, c.key, Env{Service: "bedrock"})
			if want, ok := strings.CutPrefix(c.want, "error: "); ok {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Fatalf("error %v, want one containing %q", err, want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var req fasthttp.Request
			req.SetRequestURI("https://bedrock-runtime.us-east-1.amazonaws.com/model/m/converse")
			req.Header.SetMethod("POST")
			if err := a.Authorize(&req, signedAt); err != nil {
				t.Fatal(err)
			}
			if got := string(req.Header.Peek("Authorization")); !strings.HasPrefix(got, c.want) {
				t.Errorf("Authorization = %q, want prefix %q", got, c.want)
			}
		})
	}
}

func TestGoogleKeyAndUnknownScheme(t *testing.T) {
	k := Key{Value: "ya29.static", Settings: &vertex.KeyConfig{ProjectID: "p", Region: "r"}}
	a, err := New(provider.AuthGoogleOAuth, k, Env{})
	if err != nil {
		t.Fatal(err)
	}
	var req fasthttp.Request
	if err := a.Authorize(&req, signedAt); err != nil || string(req.Header.Peek("Authorization")) != "Bearer ya29.static" {
		t.Fatalf("static token: %v, %q", err, req.Header.Peek("Authorization"))
	}
	k = Key{Settings: &vertex.KeyConfig{AuthCredentials: "{"}}
	_, err = New(provider.AuthGoogleOAuth, k, Env{})
	if err == nil || !strings.Contains(err.Error(), "vertex_key_config.auth_credentials is not a credentials JSON") {
		t.Errorf("bad credentials: %v", err)
	}
	if _, err := New("kerberos", Key{}, Env{}); err == nil || !strings.Contains(err.Error(), `"kerberos" is not registered`) {
		t.Errorf("unknown scheme: %v", err)
	}
}
