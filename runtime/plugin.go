package runtime

import (
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// Plugin hooks into every request an engine runs, as in the upstream Bifrost Go package.
//
// Lifecycle of one request with plugins P1, P2, P3 (in the order given to the engine):
//
//	P1.PreHook -> P2.PreHook -> P3.PreHook -> provider -> P3.PostHook -> P2.PostHook -> P1.PostHook
//
// Pre hooks run in order; post hooks run in reverse order, and only for the plugins whose pre
// hook ran: when P2's pre hook short-circuits, P3's hooks do not run, the provider is not
// called, and the post hooks of P2 and P1 run. Hooks run on the request's goroutine and must
// be safe for concurrent use; a hook that allocates nothing keeps the request allocation-free.
//
// Everything a hook reads or writes lives in the [Call] and is valid only during the hook.
type Plugin interface {
	// Name names the plugin in logs and in the X-Bifrost-Short-Circuit response header.
	Name() string
	// PreHook runs before the request is routed. It may change the request (c.Chat,
	// c.Text or c.Embedding, as c.Op says). It may short-circuit the request: with an
	// error, by returning it (see Call.SetError); or with a response, by writing it into
	// c (c.ChatResp, c.TextResp or c.EmbeddingResp; for a stream, the one chunk to send in
	// c.Chunk or c.TextResp) and returning Respond.
	PreHook(c *Call) (PreResult, *Error)
	// PostHook runs after the request: with err == nil and the response in c, or with the
	// failure. It returns the error to answer with: err unchanged, another error, or nil
	// to answer with the response it wrote into c. For a stream it runs once, when the
	// stream ends (err is the error that ended it, if any), or when opening the stream
	// failed.
	PostHook(c *Call, err *Error) *Error
	// Cleanup releases the plugin's resources; Engine.Shutdown calls it.
	Cleanup() error
}

// ChunkPlugin is a Plugin that also sees each chunk of a stream.
type ChunkPlugin interface {
	Plugin
	// ChunkHook runs for each chunk, in the post hooks' order, after the chunk was decoded
	// into c.Chunk (chat) or c.TextResp (text). It may change the chunk. A non-nil error
	// ends the stream with that error.
	ChunkHook(c *Call) *Error
}

// PreResult is what a pre hook decides.
type PreResult uint8

const (
	// Continue goes on to the next plugin and then to the provider.
	Continue PreResult = iota
	// Respond short-circuits the request with the response the hook wrote into the Call.
	Respond
)

// maxCallValues bounds the values plugins may keep in one Call.
const maxCallValues = 8

// pluginState is a Call's record of its plugins. The zero value means no plugin ran. While
// list is nil and nValues 0 the rest is zero too: only plugged writes the other fields, and
// only for plugins in list (Call.reset relies on it).
type pluginState struct {
	list    []Plugin // the engine's plugins; nil when none ran
	nValues int
	chunk   []ChunkPlugin // list[i] as a ChunkPlugin, or nil
	ran     int           // how many pre hooks ran
	posted  bool          // the post hooks ran
	synth   bool          // a short-circuited stream: one chunk waits in c
	by      string        // the plugin that short-circuited
	values  [maxCallValues]struct{ key, val any }
}

// plugins is an engine's plugin list, with each plugin's chunk hook found once.
type plugins struct {
	list  []Plugin
	chunk []ChunkPlugin
}

func newPlugins(list []Plugin) *plugins {
	if len(list) == 0 {
		return nil
	}
	ps := &plugins{list: append([]Plugin(nil), list...), chunk: make([]ChunkPlugin, len(list))}
	for i, p := range ps.list {
		if cp, ok := p.(ChunkPlugin); ok {
			ps.chunk[i] = cp
		}
	}
	return ps
}

// Plugins returns the engine's plugins, in pre-hook order.
func (e *Engine) Plugins() []Plugin {
	if ps := e.plugins.Load(); ps != nil {
		return ps.list
	}
	return nil
}

// SetPlugins replaces the engine's plugins with list (in pre-hook order; empty for none)
// and returns the plugins it replaced. Requests in flight finish with the plugins they
// started with, so the caller should clean up a returned plugin it no longer uses only
// when a Cleanup during a late hook is harmless (it is for the cache) or after the
// requests in flight have finished.
func (e *Engine) SetPlugins(list []Plugin) (old []Plugin) {
	if ps := e.plugins.Swap(newPlugins(list)); ps != nil {
		return ps.list
	}
	return nil
}

// Op is the operation the call runs (chat, chat stream, text, text stream, embeddings).
func (c *Call) Op() provider.Op { return c.op }

// Streaming reports whether the call runs a stream.
func (c *Call) Streaming() bool { return c.streaming }

// ShortCircuitedBy names the plugin whose pre hook answered the request, or "".
func (c *Call) ShortCircuitedBy() string { return c.plug.by }

// SetError sets c.Err and returns it: a hook's way to fail a request without allocating.
func (c *Call) SetError(status int, typ, code, msg string) *Error {
	return c.Err.set(status, typ, code, "", msg)
}

// SetValue keeps val under key for the rest of the request, for a plugin's post or chunk
// hook (as a context value would). Keys are compared with ==; use an unexported type. It
// reports false when the call holds its maximum of values already.
func (c *Call) SetValue(key, val any) bool {
	ps := &c.plug
	for i := 0; i < ps.nValues; i++ {
		if ps.values[i].key == key {
			ps.values[i].val = val
			return true
		}
	}
	if ps.nValues == maxCallValues {
		return false
	}
	ps.values[ps.nValues].key, ps.values[ps.nValues].val = key, val
	ps.nValues++
	return true
}

// Value returns the value kept under key by SetValue, or nil.
func (c *Call) Value(key any) any {
	ps := &c.plug
	for i := 0; i < ps.nValues; i++ {
		if ps.values[i].key == key {
			return ps.values[i].val
		}
	}
	return nil
}

// plugged runs one operation through the engine's plugins: pre hooks, the provider (unless
// a pre hook short-circuited), post hooks. A stream's post hooks wait for its end.
func (e *Engine) plugged(c *Call, op provider.Op, with *plugins) *Error {
	c.op = op
	c.streaming = op == provider.OpChatStream || op == provider.OpTextStream
	ps := &c.plug
	ps.list, ps.chunk = with.list, with.chunk
	var err *Error
	short := false
	for i, p := range ps.list {
		ps.ran = i + 1
		res, perr := p.PreHook(c)
		if perr != nil || res == Respond {
			err, short, ps.by = perr, true, p.Name()
			break
		}
	}
	if !short {
		err = e.dispatch(c, op)
	}
	if c.streaming {
		if err == nil {
			ps.synth = short
			return nil // the post hooks run at the stream's end
		}
		if err = c.runPost(err); err == nil {
			ps.synth = true // a post hook answered in place of the failed stream
		}
		return err
	}
	return c.runPost(err)
}

// runPost runs the post hooks once, in reverse order, for the plugins whose pre hook ran.
func (c *Call) runPost(err *Error) *Error {
	ps := &c.plug
	if ps.list == nil || ps.posted {
		return err
	}
	ps.posted = true
	for i := ps.ran - 1; i >= 0; i-- {
		err = ps.list[i].PostHook(c, err)
	}
	return err
}

// Recv reads the stream's next chunk like Next, with the engine's plugins: a chunk a pre
// hook answered with, the chunk hooks on each chunk, and the post hooks at the end (their
// error, if any, is the one returned). Without plugins it is Next.
func (c *Call) Recv() (done bool, err *Error) {
	ps := &c.plug
	if ps.list == nil {
		return c.Next()
	}
	if ps.synth {
		ps.synth = false
		return false, nil // the chunk is in c already
	}
	if ps.posted {
		return true, nil // a short-circuited stream that ended
	}
	done, err = c.Next()
	if !done && err == nil {
		for i := ps.ran - 1; i >= 0; i-- {
			if cp := ps.chunk[i]; cp != nil {
				if err = cp.ChunkHook(c); err != nil {
					c.CloseStream()
					break
				}
			}
		}
		if err == nil {
			return false, nil
		}
	}
	return true, c.runPost(err)
}

// finishPlugins runs the post hooks of a call released before they ran (a stream the
// client left): the client is gone.
func (c *Call) finishPlugins() {
	if c.plug.list != nil && !c.plug.posted {
		c.runPost(c.clientGone()) //nolint:errcheck // nobody is left to answer
	}
}

// dispatch runs op without plugins.
func (e *Engine) dispatch(c *Call, op provider.Op) *Error {
	switch op {
	case provider.OpChat:
		return e.chatCompletion(c)
	case provider.OpText:
		return e.textCompletion(c)
	case provider.OpEmbedding:
		return e.embedding(c)
	case provider.OpChatStream:
		return e.start(c, provider.OpChatStream, c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks)
	case provider.OpTextStream:
		return e.start(c, provider.OpTextStream, c.Text.Model, c.Text.Provider, c.Text.Fallbacks)
	}
	return c.Err.set(400, schemas.ErrInvalidRequest, "unsupported_operation", "", "operation not supported with plugins")
}
