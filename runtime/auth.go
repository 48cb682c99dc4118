package runtime

import (
	"time"

	"github.com/bifrost-gw/bifrost/runtime/auth"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
)

// newAuthorizer makes the authorizer of a key (its value and provider-specific settings) for
// a provider whose auth scheme is not a static header, with the implementation registered
// under the scheme's name (package runtime/auth). dial, when not nil, is the engine's dial
// function (tests use it to reach in-memory token endpoints).
func newAuthorizer(info *provider.Info, value string, settings provider.KeyConfig, dial fasthttp.DialFunc, getenv func(string) string) (authorizer, error) {
	a, err := auth.New(info.Auth.Scheme, auth.Key{Value: value, Settings: settings}, auth.Env{Service: info.Auth.Service, Dial: dial, Getenv: getenv})
	if err != nil {
		return nil, err
	}
	return authorizerOf{a}, nil
}

// authorizerOf makes a provider.Authorizer the engine's authorizer.
type authorizerOf struct{ provider.Authorizer }

func (a authorizerOf) authorize(req *fasthttp.Request, now time.Time) error {
	return a.Authorize(req, now)
}
