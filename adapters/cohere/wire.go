package cohere

import (
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/opt"
)

// The wire types of Cohere's v2 API, with easyjson marshalers written by `make gen`
// (cohere_easyjson.go). Strings borrow from the decoded buffer (nocopy) and free text stays
// encoded (schemas.Text), as in package schemas. Members these types do not model are skipped
// when decoding, so decoding a response allocates nothing once the pooled scratch values
// below have grown to the response's size.

// chatRequest is the body of POST /v2/chat (https://docs.cohere.com/reference/chat). It is
// built from a unified request by EncodeChat; messages, tools and stop sequences are written
// by the small converters in chat.go straight from the unified values.
//
//easyjson:json
type chatRequest struct {
	Model            string          `json:"model,nocopy"`
	Messages         messages        `json:"messages"`
	Tools            tools           `json:"tools,omitempty"`
	StrictTools      opt.Bool        `json:"strict_tools,omitempty"`
	ToolChoice       string          `json:"tool_choice,omitempty,nocopy"`
	ResponseFormat   *responseFormat `json:"response_format,omitempty"`
	MaxTokens        opt.Int         `json:"max_tokens,omitempty"`
	StopSequences    stopSequences   `json:"stop_sequences,omitempty"`
	Temperature      opt.Float64     `json:"temperature,omitempty"`
	Seed             opt.Int64       `json:"seed,omitempty"`
	FrequencyPenalty opt.Float64     `json:"frequency_penalty,omitempty"`
	PresencePenalty  opt.Float64     `json:"presence_penalty,omitempty"`
	P                opt.Float64     `json:"p,omitempty"`
	Stream           bool            `json:"stream,omitempty"`
	// Extras are the client's members that the unified request does not model (Cohere's own
	// k, safety_mode, documents, citation_options, thinking, ...): forwarded unchanged.
	schemas.Extras
}

// responseFormat is Cohere's response_format: {"type":"text"} or {"type":"json_object"} with
// an optional json_schema (the schema itself, not OpenAI's {name, schema} wrapper).
//
//easyjson:json
type responseFormat struct {
	Type       string      `json:"type,nocopy"`
	JSONSchema schemas.Raw `json:"json_schema,omitempty"`
}

// chatResponse is the answer of POST /v2/chat without streaming.
//
//easyjson:json
type chatResponse struct {
	ID           string           `json:"id,nocopy"`
	FinishReason string           `json:"finish_reason,nocopy"`
	Message      assistantMessage `json:"message"`
	Usage        usage            `json:"usage"`
}

// assistantMessage is the generated message: content blocks (text, or thinking for reasoning
// models), or a tool plan and tool calls. Citations are not modelled.
//
//easyjson:json
type assistantMessage struct {
	Role      string         `json:"role,nocopy"`
	Content   []contentBlock `json:"content"`
	ToolPlan  schemas.Text   `json:"tool_plan"`
	ToolCalls []toolCall     `json:"tool_calls"`
}

// contentBlock is one block of an assistant message: {"type":"text","text":...} or
// {"type":"thinking","thinking":...}.
//
//easyjson:json
type contentBlock struct {
	Type     string       `json:"type,nocopy"`
	Text     schemas.Text `json:"text"`
	Thinking schemas.Text `json:"thinking"`
}

// toolCall is a call of a function tool, as in OpenAI's shape: id, type "function",
// function {name, arguments (a JSON-encoded string)}.
//
//easyjson:json
type toolCall struct {
	ID       string       `json:"id,nocopy"`
	Type     string       `json:"type,nocopy"`
	Function functionCall `json:"function"`
}

// functionCall is a tool call's function name and arguments.
//
//easyjson:json
type functionCall struct {
	Name      string       `json:"name,nocopy"`
	Arguments schemas.Text `json:"arguments"`
}

// usage is a chat response's usage: tokens processed (tokens), tokens billed (billed_units)
// and prompt tokens served from the inference cache (cached_tokens). Cohere's schema types
// the counts as numbers, so they are read as floats.
//
//easyjson:json
type usage struct {
	BilledUnits  tokenCounts `json:"billed_units"`
	Tokens       tokenCounts `json:"tokens"`
	CachedTokens float64     `json:"cached_tokens"`
}

// tokenCounts holds input and output token counts.
//
//easyjson:json
type tokenCounts struct {
	InputTokens  opt.Float64 `json:"input_tokens"`
	OutputTokens opt.Float64 `json:"output_tokens"`
}

// streamEvent is the data of one event of a chat stream
// (https://docs.cohere.com/reference/chat-stream). Its type is also the SSE event name:
// message-start, content-start, content-delta, content-end, tool-plan-delta,
// tool-call-start, tool-call-delta, tool-call-end, citation-start, citation-end,
// message-end, debug.
//
//easyjson:json
type streamEvent struct {
	Type  string     `json:"type,nocopy"`
	ID    string     `json:"id,nocopy"`
	Index int        `json:"index"`
	Delta eventDelta `json:"delta"`
}

// eventDelta is an event's delta: a message fragment, or the finish reason and usage of
// message-end (with an error text when the generation failed).
//
//easyjson:json
type eventDelta struct {
	Message      eventMessage `json:"message"`
	FinishReason string       `json:"finish_reason,nocopy"`
	Usage        usage        `json:"usage"`
	Error        schemas.Text `json:"error"`
}

// eventMessage is the message fragment of an event: the role (message-start), one content
// block (content-*), a piece of the tool plan (tool-plan-delta) or one tool call
// (tool-call-*).
//
//easyjson:json
type eventMessage struct {
	Role      string        `json:"role,nocopy"`
	Content   eventContent  `json:"content"`
	ToolPlan  schemas.Text  `json:"tool_plan"`
	ToolCalls eventToolCall `json:"tool_calls"`
}

// eventContent is the content of an event: one block as an object in content-* events, an
// empty array in message-start. An array yields its first block.
type eventContent struct{ contentBlock }

// UnmarshalEasyJSON reads a content block, or an array of them.
func (c *eventContent) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if !l.IsDelim('[') {
		c.contentBlock.UnmarshalEasyJSON(l)
		return
	}
	l.Delim('[')
	for i := 0; !l.IsDelim(']') && l.Ok(); i++ {
		if i == 0 {
			c.contentBlock.UnmarshalEasyJSON(l)
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim(']')
}

// eventToolCall is the tool call of an event: an object in tool-call-* events, an empty
// array in message-start. An array yields its first call.
type eventToolCall struct{ toolCall }

// UnmarshalEasyJSON reads a tool call, or an array of them. (The loop is repeated from
// eventContent's: a shared helper taking the method value would make the event escape.)
func (c *eventToolCall) UnmarshalEasyJSON(l *jlexer.Lexer) {
	if !l.IsDelim('[') {
		c.toolCall.UnmarshalEasyJSON(l)
		return
	}
	l.Delim('[')
	for i := 0; !l.IsDelim(']') && l.Ok(); i++ {
		if i == 0 {
			c.toolCall.UnmarshalEasyJSON(l)
		} else {
			l.SkipRecursive()
		}
		l.WantComma()
	}
	l.Delim(']')
}

// embedRequest is the body of POST /v2/embed (https://docs.cohere.com/reference/embed).
//
//easyjson:json
type embedRequest struct {
	Model           string         `json:"model,nocopy"`
	Texts           texts          `json:"texts"`
	InputType       string         `json:"input_type,nocopy"`
	EmbeddingTypes  embeddingTypes `json:"embedding_types"`
	OutputDimension opt.Int        `json:"output_dimension,omitempty"`
	// Extras are the client's members that the unified request does not model (truncate,
	// max_tokens, ...): forwarded unchanged, except input_type, which is written above.
	schemas.Extras
}

// embedResponse is the answer of POST /v2/embed.
//
//easyjson:json
type embedResponse struct {
	ID         string     `json:"id,nocopy"`
	Embeddings embeddings `json:"embeddings"`
	Meta       embedMeta  `json:"meta"`
}

// embeddings holds the vectors by type, each kept as the raw JSON array of vectors.
//
//easyjson:json
type embeddings struct {
	Float  schemas.Raw `json:"float"`
	Base64 schemas.Raw `json:"base64"`
}

// embedMeta is an embed response's meta: billed units and, in newer responses, tokens.
//
//easyjson:json
type embedMeta struct {
	BilledUnits tokenCounts `json:"billed_units"`
	Tokens      tokenCounts `json:"tokens"`
}

// modelList is the answer of GET /v1/models (https://docs.cohere.com/reference/list-models).
//
//easyjson:json
type modelList struct {
	Models        []model `json:"models"`
	NextPageToken string  `json:"next_page_token,nocopy"`
}

// model is one entry of a model list.
//
//easyjson:json
type model struct {
	Name string `json:"name,nocopy"`
}

// errorBody is Cohere's error body, {"id":"...","message":"..."}
// (https://docs.cohere.com/reference/errors), or the data of a stream's message-end event
// whose generation failed ({"type":"message-end","delta":{"finish_reason":"ERROR","error":...}}).
//
//easyjson:json
type errorBody struct {
	Message string     `json:"message"`
	Delta   errorDelta `json:"delta"`
}

// errorDelta is the delta of a failed message-end event.
//
//easyjson:json
type errorDelta struct {
	FinishReason string `json:"finish_reason"`
	Error        string `json:"error"`
}
