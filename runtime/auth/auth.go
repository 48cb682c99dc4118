// Package auth is the registry of auth schemes: it maps a spec's auth.scheme
// (provider.AuthScheme) to the function that makes one key's provider.Authorizer. The
// schemes live in packages of their own: sigv4 (AWS Signature Version 4) and google (Google
// OAuth2 access tokens). A static header (the spec's bearer, header and none) needs no
// authorizer: the runtime sends it itself.
package auth

import (
	"fmt"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/auth/google"
	"github.com/bifrost-gw/bifrost/runtime/auth/sigv4"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
)

// Env is what a scheme may need besides the key.
type Env struct {
	// Service is the spec's auth.service (the AWS service name SigV4 signs for).
	Service string
	// Dial, when not nil, replaces TCP for token requests (tests reach in-memory servers).
	Dial fasthttp.DialFunc
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
}

// Key is what a scheme reads of one configured key.
type Key struct {
	// Value is the key's value: an API key or access token, or "" when its settings carry
	// the credentials.
	Value string
	// Settings are the key's provider-specific settings (nil when it has none); a scheme
	// reads its credentials from them through an interface of its own (AWSKey, GoogleKey).
	Settings provider.KeyConfig
}

// AWSKey is key settings that carry AWS credentials, for the sigv4 scheme.
type AWSKey interface {
	AWSCredentials() (accessKey, secretKey, sessionToken, region string)
}

// GoogleKey is key settings that may carry a Google credentials JSON, for the google_oauth
// scheme.
type GoogleKey interface {
	GoogleCredentials() string
}

// Factory makes the authorizer of key k.
type Factory func(k Key, env Env) (provider.Authorizer, error)

// schemes are the registered schemes, by name. It is never modified.
var schemes = map[provider.AuthScheme]Factory{
	provider.AuthSigV4:       newSigV4,
	provider.AuthGoogleOAuth: newGoogle,
}

// New makes the authorizer of key k for scheme, or says that the scheme is not registered.
func New(scheme provider.AuthScheme, k Key, env Env) (provider.Authorizer, error) {
	f, ok := schemes[scheme]
	if !ok {
		return nil, fmt.Errorf("auth scheme %q is not registered in this build (known: %s, %s)", scheme, provider.AuthSigV4, provider.AuthGoogleOAuth)
	}
	return f(k, env)
}

// newSigV4 makes the authorizer of an AWS key: SigV4 from the credentials of its settings,
// or, for a key with a value and no access key, the value as an API key (Authorization:
// Bearer, https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html).
func newSigV4(k Key, env Env) (provider.Authorizer, error) {
	member := "the key's settings"
	var access, secret, token, region string
	if aws, ok := k.Settings.(AWSKey); ok {
		member = k.Settings.Member()
		access, secret, token, region = aws.AWSCredentials()
	}
	if access == "" {
		if k.Value == "" {
			return nil, fmt.Errorf("an AWS key needs %s.access_key and secret_key, or a value (an API key)", member)
		}
		if secret != "" {
			return nil, fmt.Errorf("%s.secret_key is set without access_key", member)
		}
		return Bearer("Bearer " + k.Value), nil
	}
	if secret == "" {
		return nil, fmt.Errorf("%s.secret_key is required with access_key", member)
	}
	if region == "" {
		return nil, fmt.Errorf("%s.region is required to sign requests", member)
	}
	return sigv4.New(access, secret, token, region, env.Service), nil
}

// newGoogle makes the authorizer of a Google key: from the credentials JSON of its settings,
// else the key's value as an access token, else application default credentials.
func newGoogle(k Key, env Env) (provider.Authorizer, error) {
	c := google.Config{AccessToken: k.Value, Dial: env.Dial, Getenv: env.Getenv}
	if g, ok := k.Settings.(GoogleKey); ok {
		c.Credentials, c.From = g.GoogleCredentials(), k.Settings.Member()+".auth_credentials"
	}
	return google.New(c)
}

// Bearer sends a fixed Authorization header value.
type Bearer string

// Authorize sets the Authorization header.
func (a Bearer) Authorize(req *fasthttp.Request, _ time.Time) error {
	req.Header.Set(fasthttp.HeaderAuthorization, string(a))
	return nil
}
