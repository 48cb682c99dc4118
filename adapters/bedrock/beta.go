package bedrock

import (
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
)

// Anthropic's beta header on Bedrock: a hand-written method of the generated Adapter, found
// by the runtime through provider.HeaderEncoder.
var _ provider.HeaderEncoder = Adapter{}

// betaHeader is Anthropic's beta header (https://docs.anthropic.com/en/api/beta-headers).
const betaHeader = "anthropic-beta"

// EncodeChatHeaders is EncodeChat that also carries a client's anthropic-beta header to a
// Claude model (an id with "anthropic." in it, as anthropic.claude-sonnet-4-20250514-v1:0 or
// us.anthropic.claude-...): Bedrock takes Anthropic's betas in the body, as the
// anthropic_beta list (https://docs.aws.amazon.com/bedrock/latest/userguide/model-parameters-anthropic-claude-messages-request-response.html),
// which Converse passes to the model in additionalModelRequestFields
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_runtime_Converse.html). A
// request that brings its own additionalModelRequestFields keeps them as they are.
func (Adapter) EncodeChatHeaders(w *jwriter.Writer, r *schemas.ChatRequest, headers []provider.Header) error {
	if err := (Codec{}).EncodeChat(w, r); err != nil {
		return err
	}
	beta := ""
	for _, h := range headers {
		if h.Name == betaHeader {
			beta = h.Value
		}
	}
	if beta == "" || !strings.Contains(r.Model, "anthropic.") || hasExtra(&r.Extras, "additionalModelRequestFields") {
		return nil
	}
	b := w.Buffer.Buf
	if len(b) == 0 || b[len(b)-1] != '}' {
		return nil // EncodeChat ends with the object's brace, in the writer's current chunk
	}
	w.Buffer.Buf = b[:len(b)-1]
	w.RawString(`,"additionalModelRequestFields":{"anthropic_beta":[`)
	n := 0
	for _, name := range strings.Split(beta, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		if n > 0 {
			w.RawByte(',')
		}
		w.String(name)
		n++
	}
	w.RawString(`]}}`)
	return nil
}

// hasExtra reports whether the client sent the member key.
func hasExtra(e *schemas.Extras, key string) bool {
	for _, f := range e.ExtraFields() {
		if f.Key == key {
			return true
		}
	}
	return false
}
