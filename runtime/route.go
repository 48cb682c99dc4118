package runtime

import (
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// route resolves the request's model, provider field and fallbacks into c.targets.
//
// A model is "provider/model" (split at the first "/", so "openrouter/openai/gpt-4o" works),
// or a bare name with the provider field set, or a bare name that the config's aliases map to
// an ordered list of targets. Fallbacks are "provider/model" strings tried after those.
func (c *Call) route(s *snapshot, model, providerField string, fallbacks schemas.Strings) *Error {
	if model == "" {
		return c.Err.set(400, schemas.ErrInvalidRequest, "missing_model", "model", "model is required: name it as provider/model, e.g. openai/gpt-4o-mini")
	}
	c.nTargets = 0
	switch {
	case providerField != "":
		p := s.providers[providerField]
		if p == nil {
			return c.unknownProvider(s, providerField, "provider")
		}
		c.add(p, model)
	default:
		if targets, ok := s.aliases[model]; ok {
			for _, t := range targets {
				c.add(t.p, t.model)
			}
			break
		}
		prov, m, ok := strings.Cut(model, "/")
		if !ok {
			return c.Err.set(400, schemas.ErrInvalidRequest, "unknown_model", "model",
				"model \""+model+"\" names no provider: use provider/model (configured providers: "+strings.Join(s.names, ", ")+") or an alias from the config")
		}
		p := s.providers[prov]
		if p == nil {
			return c.unknownProvider(s, prov, "model")
		}
		if m == "" {
			return c.Err.set(400, schemas.ErrInvalidRequest, "unknown_model", "model", "model \""+model+"\" has an empty model name after the provider")
		}
		c.add(p, m)
	}
	for _, fb := range fallbacks {
		prov, m, ok := strings.Cut(fb, "/")
		p := s.providers[prov]
		if !ok || p == nil || m == "" {
			return c.Err.set(400, schemas.ErrInvalidRequest, "invalid_fallback", "fallbacks",
				"fallback \""+fb+"\" must be provider/model with a configured provider ("+strings.Join(s.names, ", ")+")")
		}
		c.add(p, m)
	}
	return nil
}

func (c *Call) add(p *providerState, model string) {
	if c.nTargets < maxTargets {
		c.targets[c.nTargets] = target{p: p, model: model}
		c.nTargets++
		c.tUsed = max(c.tUsed, c.nTargets)
	}
}

func (c *Call) unknownProvider(s *snapshot, name, param string) *Error {
	return c.Err.set(400, schemas.ErrInvalidRequest, "unknown_provider", param,
		"provider \""+name+"\" is not configured (configured providers: "+strings.Join(s.names, ", ")+")")
}

// opName is how errors name an operation.
var opName = [provider.NumOps]string{"chat completions", "streaming chat completions", "text completions", "streaming text completions", "embeddings", "model listing", "token counting", "the Responses API", "the streaming Responses API"}
