package server

import (
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/mailru/easyjson/opt"
)

// SetPassthrough turns the passthrough path on (the default) or off. With it on, an OpenAI
// chat, text or embeddings request whose every target speaks the OpenAI format as it is
// (provider.Info.Verbatim), and an /anthropic/v1/messages request whose every target is
// Anthropic (anthropic_pass.go), with no plugin installed, goes to the provider as the
// client sent it, with only the gateway's edits, and the answer comes back as the provider
// sent it. Off, every request is decoded and encoded again (for comparison: bifrost-http
// -passthrough=false). Call it before serving.
func (s *Server) SetPassthrough(on bool) { s.noPassthrough = !on }

// Passed returns how many answers (plain or streamed) the passthrough path has served.
func (s *Server) Passed() uint64 { return s.passed.Load() }

// passKinds are the jsonscan kind and engine operation of each exchange kind.
var passKinds = [...]struct {
	scan         jsonscan.Kind
	op, streamOp provider.Op
}{kindChat: {jsonscan.Chat, provider.OpChat, provider.OpChatStream}, kindText: {jsonscan.Text, provider.OpText, provider.OpTextStream},
	kindEmbedding: {jsonscan.Embedding, provider.OpEmbedding, provider.OpEmbedding}}

// pass serves the request on the passthrough path when it qualifies: the body scans (valid
// JSON that the decoder would take and that passes validate's rules, see
// jsonscan.ScanRequest) and every target may take it (runtime.Engine.Passable). It returns
// handled false, having answered nothing, when the request does not qualify: the caller then
// decodes it as before; owned says a stream now owns x. Errors are classified, retried, scrubbed and answered as on the
// decoding path; a stream's events go to the client as the provider sent them.
func (x *exchange) pass() (handled, owned bool) {
	if x.s.noPassthrough {
		return false, false
	}
	c, body := x.call, x.ctx.PostBody()
	k := passKinds[x.kind]
	scan := c.PassScan()
	if !jsonscan.ScanRequest(body, k.scan, scan) {
		return false, false
	}
	stream := scan.Stream && x.kind != kindEmbedding
	op := k.op
	if stream {
		op = k.streamOp
	}
	model, prov := scan.Model.Text(body), scan.Provider.Text(body)
	fallbacks := x.bodyFallbacks(scan, body)
	if !x.s.engine.Passable(c, op, model, prov, fallbacks) {
		return false, false
	}
	x.setRouted(scan, model, prov, fallbacks)
	if !x.govAdmit(false, "") {
		return true, false
	}
	c.Passthrough(k.scan, body, x.forcedUsage)
	if stream {
		if !x.openStream() {
			return true, false
		}
		x.s.passed.Add(1)
		return true, true
	}
	var err *runtime.Error
	switch x.kind {
	case kindChat:
		err = x.s.engine.ChatCompletion(c)
	case kindText:
		err = x.s.engine.TextCompletion(c)
	case kindEmbedding:
		err = x.s.engine.Embedding(c)
	}
	switch {
	case err != nil:
		x.writeRuntimeError(err)
	case c.Passed():
		x.s.passed.Add(1)
		x.respondPassed()
	default:
		x.respond() // the scanner declined the answer and the adapter decoded it
	}
	return true, false
}

// bodyFallbacks returns the fallbacks that scan found in body, in the exchange's own slots
// (nil when none), and records how many slots it used for release to clear.
func (x *exchange) bodyFallbacks(scan *jsonscan.Request, body []byte) []string {
	if scan.NFallbacks == 0 {
		return nil
	}
	x.nFallbacks = scan.NFallbacks
	fallbacks := x.fallbacks[:scan.NFallbacks]
	for i := range fallbacks {
		fallbacks[i] = scan.Fallbacks[i].Text(body)
	}
	return fallbacks
}

// setRouted sets the members of the call's request that the engine, governance and the
// stream relay read, as the decoder would have set them from the body.
func (x *exchange) setRouted(scan *jsonscan.Request, model, prov string, fallbacks []string) {
	c := x.call
	maxTokens := opt.Int{V: scan.MaxTokens.V, Defined: scan.MaxTokens.Defined}
	var so *schemas.StreamOptions
	if scan.StreamOptions.Set() && x.ctx.PostBody()[scan.StreamOptions.Start] == '{' {
		x.streamOpts = schemas.StreamOptions{}
		x.streamOpts.IncludeUsage = opt.Bool{V: scan.IncludeUsageOn, Defined: scan.IncludeUsage.Set()}
		so = &x.streamOpts
	}
	stream := opt.Bool{V: scan.Stream, Defined: scan.Stream}
	switch x.kind {
	case kindChat:
		c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, prov, fallbacks
		c.Chat.MaxTokens = maxTokens
		c.Chat.MaxCompletionTokens = opt.Int{V: scan.MaxCompletion.V, Defined: scan.MaxCompletion.Defined}
		c.Chat.Stream, c.Chat.StreamOptions = stream, so
	case kindText:
		c.Text.Model, c.Text.Provider, c.Text.Fallbacks = model, prov, fallbacks
		c.Text.MaxTokens = maxTokens
		c.Text.Stream, c.Text.StreamOptions = stream, so
	case kindEmbedding:
		c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks = model, prov, fallbacks
	}
}

// respondPassed answers with the provider's body as it sent it, and counts the usage that
// jsonscan read in it as respond counts the decoded one.
func (x *exchange) respondPassed() {
	c := x.call
	r0 := time.Now()
	x.passedUsage(&c.PassedUsage().Usage)
	x.ctx.SetContentType("application/json")
	x.ctx.SetBody(c.PassedAnswer())
	x.shortCircuitHeader()
	x.rec.Stages[metrics.StageRespond] = time.Since(r0)
}

// passedUsage counts the usage that jsonscan read in a passed answer or stream, as respond
// counts the decoded one.
func (x *exchange) passedUsage(u *jsonscan.Usage) {
	x.rec.InputTokens, x.rec.OutputTokens = u.Input, u.Output
	if x.kind == kindEmbedding {
		x.govEmbeddingUsage(u.Input)
	} else if x.govOn && u.Defined && (u.Input != 0 || u.Output != 0 || u.Total != 0 || u.CacheCreation != 0) {
		x.usage = governance.Usage{Input: int64(u.Input), CachedInput: int64(u.CachedInput), Output: int64(u.Output)}
		x.usageKnown = true
	}
}
