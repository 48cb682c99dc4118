package runtime

import (
	"fmt"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
)

// newAuthorizer makes the authorizer of key k for a provider whose auth scheme is not a static
// header. dial, when not nil, is the engine's dial function (tests use it to reach in-memory
// token endpoints).
func newAuthorizer(info *provider.Info, k *config.Key, dial fasthttp.DialFunc, getenv func(string) string) (authorizer, error) {
	switch info.Auth.Scheme {
	case provider.AuthSigV4:
		return newBedrockAuthorizer(info.Auth.Service, k)
	case provider.AuthGoogleOAuth:
		return newGCPAuthorizer(k, dial, getenv)
	default:
		return nil, fmt.Errorf("auth scheme %d of %s is not supported by this build", info.Auth.Scheme, info.Title)
	}
}
