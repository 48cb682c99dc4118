// Package auth is the registry of auth schemes: it maps a spec's auth.scheme
// (provider.AuthScheme) to the function that makes one key's provider.Authorizer. The
// schemes live in packages of their own: sigv4 (AWS Signature Version 4) and google (Google
// OAuth2 access tokens). A static header (the spec's bearer, header and none) needs no
// authorizer: the runtime sends it itself.
package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/auth/google"
	"github.com/bifrost-gw/bifrost/runtime/auth/sigv4"
	"github.com/bifrost-gw/bifrost/runtime/config"
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

// Factory makes the authorizer of key k.
type Factory func(k *config.Key, env Env) (provider.Authorizer, error)

// schemes are the registered schemes, by name. It is never modified.
var schemes = map[provider.AuthScheme]Factory{
	provider.AuthSigV4:       newSigV4,
	provider.AuthGoogleOAuth: newGoogle,
}

// New makes the authorizer of key k for scheme, or says that the scheme is not registered.
func New(scheme provider.AuthScheme, k *config.Key, env Env) (provider.Authorizer, error) {
	f, ok := schemes[scheme]
	if !ok {
		return nil, fmt.Errorf("auth scheme %q is not registered in this build (known: %s, %s)", scheme, provider.AuthSigV4, provider.AuthGoogleOAuth)
	}
	return f(k, env)
}

// newSigV4 makes the authorizer of an AWS key: SigV4 from its bedrock_key_config
// credentials, or, for a key with a value and no access key, the value as an API key
// (Authorization: Bearer, https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys-use.html).
func newSigV4(k *config.Key, env Env) (provider.Authorizer, error) {
	b := k.Bedrock
	if b == nil || b.AccessKey == "" {
		if k.Value == "" {
			return nil, errors.New("a bedrock key needs bedrock_key_config.access_key and secret_key, or a value (a Bedrock API key)")
		}
		if b != nil && b.SecretKey != "" {
			return nil, errors.New("bedrock_key_config.secret_key is set without access_key")
		}
		return Bearer("Bearer " + k.Value), nil
	}
	if b.SecretKey == "" {
		return nil, errors.New("bedrock_key_config.secret_key is required with access_key")
	}
	if b.Region == "" {
		return nil, errors.New("bedrock_key_config.region is required to sign requests")
	}
	return sigv4.New(b.AccessKey, b.SecretKey, b.SessionToken, b.Region, env.Service), nil
}

// newGoogle makes the authorizer of a Google key: from vertex_key_config.auth_credentials,
// else the key's value as an access token, else application default credentials.
func newGoogle(k *config.Key, env Env) (provider.Authorizer, error) {
	c := google.Config{From: "vertex_key_config.auth_credentials", AccessToken: k.Value, Dial: env.Dial, Getenv: env.Getenv}
	if k.Vertex != nil {
		c.Credentials = k.Vertex.AuthCredentials
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
