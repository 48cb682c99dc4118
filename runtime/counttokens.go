package runtime

import (
	"errors"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// CountTokens counts the input tokens of c.Chat with the target provider's own
// token-counting endpoint (the count_tokens operation of its spec) and returns the
// provider's number. It routes, retries and falls back as ChatCompletion does; a target
// whose provider has no such endpoint fails with a 400 unsupported_operation (which falls
// back), so that no count is ever an estimate. Plugins do not see the request: it produces
// no completion.
func (e *Engine) CountTokens(c *Call) (int, *Error) {
	if err := e.start(c, provider.OpCountTokens, c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks); err != nil {
		return 0, err
	}
	tc, ok := c.cur.p.adapter.(provider.TokenCounter)
	if !ok {
		return 0, c.decode(errNoCounter)
	}
	t0 := time.Now()
	n, err := tc.DecodeCountTokens(c.resp.Body())
	c.Decode += time.Since(t0)
	if err != nil {
		return 0, c.decode(err)
	}
	return n, nil
}

var errNoCounter = errors.New("the adapter cannot read a token count (it implements no provider.TokenCounter)")

// encodeCountTokens writes a count_tokens body with the adapter's TokenCounter.
func encodeCountTokens(a provider.Adapter, w *jwriter.Writer, r *schemas.ChatRequest) error {
	tc, ok := a.(provider.TokenCounter)
	if !ok {
		return errNoCounter
	}
	return tc.EncodeCountTokens(w, r)
}

// forwardHeaders sets the client headers (c.Headers) that p's adapter forwards for model.
func (c *Call) forwardHeaders(p *providerState, model string) {
	if len(c.Headers) == 0 {
		return
	}
	f, ok := p.adapter.(provider.HeaderForwarder)
	if !ok {
		return
	}
	for _, h := range c.Headers {
		if f.Forwards(h.Name, model) {
			c.req.Header.Set(h.Name, h.Value)
		}
	}
}

// encodeChat writes a chat body with the adapter's HeaderEncoder when the request has
// client headers and the adapter takes some in the body, else with EncodeChat.
func encodeChat(a provider.ChatCodec, w *jwriter.Writer, r *schemas.ChatRequest, headers []provider.Header) error {
	if len(headers) > 0 {
		if he, ok := a.(provider.HeaderEncoder); ok {
			return he.EncodeChatHeaders(w, r, headers)
		}
	}
	return a.EncodeChat(w, r)
}
