package server

import (
	"time"

	"github.com/bifrost-gw/bifrost/governance"
	"github.com/bifrost-gw/bifrost/runtime"
	"github.com/bifrost-gw/bifrost/runtime/jsonscan"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/server/metrics"
	"github.com/mailru/easyjson/opt"
)

// SetPassthrough turns the passthrough path on (the default) or off. With it on, an OpenAI
// chat, text or embeddings request whose every target speaks the OpenAI format as it is
// (provider.Info.Verbatim), with no plugin installed, goes to the provider as the client
// sent it, with only the gateway's edits, and the answer comes back as the provider sent
// it. Off, every request is decoded and encoded again (for comparison: bifrost-http
// -passthrough=false). Call it before serving.
func (s *Server) SetPassthrough(on bool) { s.noPassthrough = !on }

// Passed returns how many answers the passthrough path has served.
func (s *Server) Passed() uint64 { return s.passed.Load() }

// passKinds are the jsonscan kind and engine operation of each exchange kind.
var passKinds = [...]struct {
	scan jsonscan.Kind
	op   provider.Op
}{kindChat: {jsonscan.Chat, provider.OpChat}, kindText: {jsonscan.Text, provider.OpText}, kindEmbedding: {jsonscan.Embedding, provider.OpEmbedding}}

// pass serves the request on the passthrough path when it qualifies: the body scans (valid
// JSON that passes validate's rules, see jsonscan.ScanRequest), it does not stream, and
// every target may take it (runtime.Engine.Passable). It returns false, having answered
// nothing, when the request does not qualify: the caller then decodes it as before. Errors
// are classified, retried, scrubbed and answered as on the decoding path.
func (x *exchange) pass() bool {
	if x.s.noPassthrough {
		return false
	}
	c, body := x.call, x.ctx.PostBody()
	k := passKinds[x.kind]
	scan := c.PassScan()
	if !jsonscan.ScanRequest(body, k.scan, scan) || scan.Stream {
		return false
	}
	model, prov := scan.Model.Text(body), scan.Provider.Text(body)
	var fallbacks []string
	if scan.NFallbacks > 0 {
		fallbacks = x.fallbacks[:scan.NFallbacks]
		for i := range fallbacks {
			fallbacks[i] = scan.Fallbacks[i].Text(body)
		}
	}
	if !x.s.engine.Passable(c, k.op, model, prov, fallbacks) {
		return false
	}
	// The members the engine and governance read, as the decoder would have set them.
	switch x.kind {
	case kindChat:
		c.Chat.Model, c.Chat.Provider, c.Chat.Fallbacks = model, prov, fallbacks
		c.Chat.MaxTokens = opt.Int{V: scan.MaxTokens.V, Defined: scan.MaxTokens.Defined}
		c.Chat.MaxCompletionTokens = opt.Int{V: scan.MaxCompletion.V, Defined: scan.MaxCompletion.Defined}
	case kindText:
		c.Text.Model, c.Text.Provider, c.Text.Fallbacks = model, prov, fallbacks
		c.Text.MaxTokens = opt.Int{V: scan.MaxTokens.V, Defined: scan.MaxTokens.Defined}
	case kindEmbedding:
		c.Embedding.Model, c.Embedding.Provider, c.Embedding.Fallbacks = model, prov, fallbacks
	}
	if !x.govAdmit(false, "") {
		return true
	}
	c.Passthrough(k.scan, body, false)
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
	return true
}

// respondPassed answers with the provider's body as it sent it, and counts the usage that
// jsonscan read in it as respond counts the decoded one.
func (x *exchange) respondPassed() {
	c := x.call
	r0 := time.Now()
	u := &c.PassedUsage().Usage
	x.rec.InputTokens, x.rec.OutputTokens = u.Input, u.Output
	if x.kind == kindEmbedding {
		x.govEmbeddingUsage(u.Input)
	} else if x.govOn && u.Defined && (u.Input != 0 || u.Output != 0 || u.Total != 0 || u.CacheCreation != 0) {
		x.usage = governance.Usage{Input: int64(u.Input), CachedInput: int64(u.CachedInput), Output: int64(u.Output)}
		x.usageKnown = true
	}
	x.ctx.SetContentType("application/json")
	x.ctx.SetBody(c.PassedAnswer())
	x.shortCircuitHeader()
	x.rec.Stages[metrics.StageRespond] = time.Since(r0)
}
