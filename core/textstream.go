package bifrost

import (
	"context"

	"github.com/bifrost-gw/bifrost/core/schemas"
	rs "github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/opt"
)

// TextCompletionStreamRequest opens a text completion stream for the prompt
// req.Input.TextCompletionInput and returns its events, as ChatCompletionStreamRequest
// does; each chunk's text is in Choices[i].Delta.Content.
func (b *Bifrost) TextCompletionStreamRequest(ctx context.Context, req *schemas.BifrostRequest) (chan *schemas.BifrostStream, *schemas.BifrostError) {
	if req == nil {
		return nil, newError(400, "the request is nil", nil)
	}
	req, ran, short := b.pre(&ctx, req)
	if short != nil {
		return b.shortStream(&ctx, ran, short)
	}
	var text rs.TextRequest
	if berr := decodeInto(&text, req, opText); berr != nil {
		_, berr = b.post(&ctx, ran, nil, berr)
		return nil, berr
	}
	if err := ctx.Err(); err != nil {
		_, berr := b.post(&ctx, ran, nil, newError(499, "the context is done", err))
		return nil, berr
	}
	c := b.engine.AcquireCall()
	release := func() {
		c.Text = rs.TextRequest{} // the request's memory is ours, not the pool's
		b.engine.ReleaseCall(c)
	}
	c.Gone = func() bool { return ctx.Err() != nil }
	c.Text = text
	c.Text.Stream = opt.OBool(true)
	if err := b.engine.TextCompletionStream(c); err != nil {
		cp := *err
		release()
		_, berr := b.post(&ctx, ran, nil, toError(&cp, req.Provider))
		return nil, berr
	}
	out := make(chan *schemas.BifrostStream, 16)
	go func() {
		defer close(out)
		defer release()
		var last *schemas.BifrostError
		for {
			done, err := c.Recv()
			if err != nil {
				cp := *err
				last = toError(&cp, req.Provider)
				sendStream(ctx, out, &schemas.BifrostStream{BifrostError: last})
				break
			}
			if done {
				break
			}
			// Copied out of the call's buffers before the next Recv reuses them.
			if !sendStream(ctx, out, &schemas.BifrostStream{BifrostResponse: fromTextChunk(&c.TextResp, req.Provider)}) {
				break
			}
		}
		b.post(&ctx, ran, nil, last) //nolint:errcheck // the stream's events are already out
	}()
	return out, nil
}

// shortStream answers a stream request that a pre hook short-circuited: its response as
// the one event, or its error.
func (b *Bifrost) shortStream(ctx *context.Context, ran int, short *schemas.PluginShortCircuit) (chan *schemas.BifrostStream, *schemas.BifrostError) {
	resp, berr := b.post(ctx, ran, short.Response, short.Error)
	if berr != nil {
		return nil, berr
	}
	ch := make(chan *schemas.BifrostStream, 1)
	ch <- &schemas.BifrostStream{BifrostResponse: resp}
	close(ch)
	return ch, nil
}

// sendStream sends ev unless ctx is done first; it reports whether it sent.
func sendStream(ctx context.Context, out chan<- *schemas.BifrostStream, ev *schemas.BifrostStream) bool {
	select {
	case out <- ev:
		return true
	case <-ctx.Done():
		return false
	}
}

// fromTextChunk copies a text stream chunk into a BifrostResponse with Delta choices.
func fromTextChunk(r *rs.TextResponse, provider schemas.ModelProvider) *schemas.BifrostResponse {
	out := &schemas.BifrostResponse{ID: r.ID, Object: r.Object, Model: r.Model, Created: int(r.Created),
		Usage:       usage(r.Usage.PromptTokens, r.Usage.CompletionTokens, r.Usage.TotalTokens),
		ExtraFields: schemas.BifrostResponseExtraFields{Provider: provider}}
	for _, ch := range r.Choices {
		out.Choices = append(out.Choices, schemas.BifrostResponseChoice{Index: ch.Index,
			Delta:        &schemas.Message{Role: schemas.RoleAssistant, Content: Ptr(ch.Text.String())},
			FinishReason: finish(string(ch.FinishReason))})
	}
	return out
}
