package server

import (
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/opt"
)

// invalidMember is a request member that every provider would refuse: param names it as
// OpenAI does ("messages", "messages[2].tool_call_id"), code says why.
type invalidMember struct {
	param, code, msg string
}

// The codes of invalidMember, as OpenAI names them.
const (
	codeMissingParam = "missing_required_parameter"
	codeInvalidValue = "invalid_value"
	codeBelowMin     = "integer_below_min_value"
)

// validate checks the members of the decoded request that every provider requires, so that a
// request without them is answered with 400 naming the member instead of being forwarded
// with an invented value (an empty messages list, a null input). The model is checked by
// the runtime, after the plugins' hooks, which may set it. It writes the error and returns
// false when the request is invalid; it allocates nothing for a valid request.
func (x *exchange) validate() bool {
	var bad invalidMember
	switch x.kind {
	case kindChat:
		bad = validateChat(&x.call.Chat)
	case kindText:
		bad = validateText(&x.call.Text)
	case kindEmbedding:
		bad = validateEmbedding(&x.call.Embedding)
	}
	if bad.param == "" {
		return true
	}
	writeError(x.ctx, 400, schemas.ErrInvalidRequest, bad.code, bad.param, bad.msg)
	return false
}

// validateChat checks a chat request: at least one message, each with a known role, a tool
// message with its tool_call_id, n >= 1 and non-negative token limits when present.
func validateChat(r *schemas.ChatRequest) invalidMember {
	if len(r.Messages) == 0 {
		return invalidMember{"messages", codeMissingParam,
			"Missing required parameter: 'messages': send an array of at least one message."}
	}
	for i := range r.Messages {
		m := &r.Messages[i]
		switch m.Role {
		case "system", "developer", "user", "assistant", "function":
		case "tool":
			if m.ToolCallID == "" {
				p := messageParam(i, "tool_call_id")
				return invalidMember{p, codeMissingParam,
					"Missing required parameter: '" + p + "': a message with role 'tool' answers a tool call and must name it."}
			}
		case "":
			p := messageParam(i, "role")
			return invalidMember{p, codeMissingParam, "Missing required parameter: '" + p + "'."}
		default:
			// The value is not quoted back: the error message may be logged or shown.
			p := messageParam(i, "role")
			return invalidMember{p, codeInvalidValue,
				"Invalid value for '" + p + "': supported values are 'system', 'developer', 'user', 'assistant', 'tool' and 'function'."}
		}
	}
	if bad := atLeast("n", r.N, 1); bad.param != "" {
		return bad
	}
	if bad := atLeast("max_tokens", r.MaxTokens, 0); bad.param != "" {
		return bad
	}
	return atLeast("max_completion_tokens", r.MaxCompletionTokens, 0)
}

// validateText checks a text completion request: a prompt, n >= 1 and a non-negative
// max_tokens when present.
func validateText(r *schemas.TextRequest) invalidMember {
	if !r.Prompt.IsDefined() {
		return invalidMember{"prompt", codeMissingParam,
			"Missing required parameter: 'prompt': send a string, an array of strings or of token ids."}
	}
	if bad := atLeast("n", r.N, 1); bad.param != "" {
		return bad
	}
	return atLeast("max_tokens", r.MaxTokens, 0)
}

// validateEmbedding checks an embeddings request: an input that is neither absent, null nor
// an empty string (an empty array does not decode), and dimensions >= 1 when present.
func validateEmbedding(r *schemas.EmbeddingRequest) invalidMember {
	if !r.Input.IsDefined() {
		return invalidMember{"input", codeMissingParam,
			"Missing required parameter: 'input': send a string, an array of strings or of token ids."}
	}
	if string(r.Input.Raw) == `""` {
		return invalidMember{"input", codeInvalidValue, "Invalid value for 'input': it must not be an empty string."}
	}
	return atLeast("dimensions", r.Dimensions, 1)
}

// atLeast checks that an integer member, when present, is at least min.
func atLeast(param string, v opt.Int, min int) invalidMember {
	if !v.Defined || v.V >= min {
		return invalidMember{}
	}
	return invalidMember{param, codeBelowMin,
		"Invalid '" + param + "': integer below minimum value. Expected a value >= " + strconv.Itoa(min) +
			", but got " + strconv.Itoa(v.V) + " instead."}
}

// messageParam names member of messages[i].
func messageParam(i int, member string) string {
	return "messages[" + strconv.Itoa(i) + "]." + member
}
