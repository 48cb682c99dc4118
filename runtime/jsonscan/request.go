package jsonscan

// Kind is the operation a request body is for: an OpenAI one, or Anthropic's Messages. It
// says which validation rules apply.
type Kind uint8

// The kinds of request body.
const (
	Chat Kind = iota
	Text
	Embedding
	// Messages is an Anthropic Messages request (POST /v1/messages), scanned by
	// ScanRequest's Messages rules (messages.go).
	Messages
	// Responses is OpenAI's Responses API (ScanResponsesRequest, ScanResponses,
	// ScanResponsesEvent).
	Responses
)

// MaxFallbacks is the most body fallbacks a scanned request may name; one with more takes
// the decoding path.
const MaxFallbacks = 8

// Int is an integer member: V when Defined.
type Int struct {
	V       int
	Defined bool
}

// memberPos is where a top-level member lies: its name's opening quote, its value's end, the
// end of the member before it (or just after '{') and the start of the one after it (or -1).
type memberPos struct {
	key, end, prevEnd, nextKey int
}

// Request is what ScanRequest found in an OpenAI chat, text or embeddings request body.
// Value spans include a string's quotes. It holds no pointer into the body, so it may be
// reused for the next body.
type Request struct {
	Model, Provider Span // string values
	Fallbacks       [MaxFallbacks]Span
	NFallbacks      int
	Stream          bool
	StreamOptions   Span // the stream_options value: an object or null
	IncludeUsage    Span // stream_options.include_usage's value
	IncludeUsageOn  bool
	N               Int
	MaxTokens       Int
	MaxCompletion   Int // max_completion_tokens
	Dimensions      Int
	// PreviousResponseID is a Responses request's previous_response_id, a string
	// (ScanResponsesRequest).
	PreviousResponseID Span

	provider, fallbacks, streamOptions memberPos
	last                               int // the end of the last member's value
	seen                               uint16
	kind                               Kind
	prevEnd                            int
	pending                            *memberPos // the member whose nextKey the next one sets
	sc                                 scanner    // the scan's state; its text is cleared after
}

// Bits of Request.seen: members found, so that a second one declines.
const (
	seenModel = 1 << iota
	seenProvider
	seenFallbacks
	seenStream
	seenStreamOptions
	seenMessages
	seenN
	seenMaxTokens
	seenMaxCompletion
	seenDimensions
	seenPrompt
	seenInput
)

// ScanRequest validates body as a request of kind k (an OpenAI one, or Anthropic's
// Messages: see messages.go for its rules) and fills r. It returns false
// when the body is not valid JSON, is not an object, breaks one of the gateway's validation
// rules (server/validate.go: messages, roles, tool_call_id, n, max_tokens,
// max_completion_tokens, prompt, input, dimensions), or holds something the scanner leaves
// to the decoder (see the package comment): the caller then decodes it as before, which
// answers the same error or serves it the decoding way. It allocates nothing.
func ScanRequest(body []byte, k Kind, r *Request) bool {
	*r = Request{kind: k, sc: scanner{b: body}}
	s := &r.sc
	s.ws()
	if s.peek() != '{' {
		return false
	}
	r.prevEnd = s.pos + 1
	s.object(r.member)
	if r.pending != nil {
		r.pending.nextKey = -1
		r.pending = nil
	}
	s.ws()
	ok := !s.failed && s.pos == len(body)
	r.sc = scanner{} // keep no reference to body
	if !ok || !r.Model.Set() {
		return false
	}
	switch k {
	case Chat:
		return r.seen&seenMessages != 0 && r.N.atLeast(1) && r.MaxTokens.atLeast(0) && r.MaxCompletion.atLeast(0)
	case Text:
		return r.seen&seenPrompt != 0 && r.N.atLeast(1) && r.MaxTokens.atLeast(0)
	case Messages:
		return r.seen&seenMessages != 0 && r.MaxTokens.Defined && r.MaxTokens.V >= 1
	default:
		return r.seen&seenInput != 0 && r.Dimensions.atLeast(1)
	}
}

func (v Int) atLeast(min int) bool { return !v.Defined || v.V >= min }

// member reads one top-level member; a problem fails the scan (the caller declines).
func (r *Request) member(s *scanner, key int, name []byte, escaped bool) {
	if r.pending != nil {
		r.pending.nextKey = key
		r.pending = nil
	}
	if escaped {
		s.fail() // an escaped name may spell a member the decoder types: leave it to it
		return
	}
	if r.kind == Messages {
		r.watchedMessages(s, name, key)
	} else {
		r.watched(s, name, key)
	}
	r.last, r.prevEnd = s.pos, s.pos
}

// watched reads the value of the member name (unescaped) starting at its key offset.
func (r *Request) watched(s *scanner, name []byte, key int) {
	if r.gatewayMember(s, name, key) {
		return
	}
	switch string(name) {
	case "stream_options":
		r.once(s, seenStreamOptions)
		r.streamOpts(s)
		r.remember(&r.streamOptions, s, key)
	case "n":
		r.once(s, seenN)
		r.N = r.integer(s)
	case "max_tokens":
		r.once(s, seenMaxTokens)
		r.MaxTokens = r.integer(s)
	case "max_completion_tokens":
		r.once(s, seenMaxCompletion)
		r.MaxCompletion = r.integer(s)
	case "dimensions":
		r.once(s, seenDimensions)
		r.Dimensions = r.integer(s)
	case "messages":
		r.once(s, seenMessages)
		r.messages(s)
	case "prompt":
		r.once(s, seenPrompt)
		s.input() // null fails too: validate says the prompt is missing
	case "encoding_format":
		// The gateway turns float vectors into base64 for a provider that ignores it:
		// only the default format passes through.
		if sp := r.plainString(s); sp.Set() && string(s.b[sp.Start:sp.End]) != `"float"` {
			s.fail()
		}
	case "input":
		r.once(s, seenInput)
		start := s.pos
		if s.input(); string(s.b[start:s.pos]) == `""` {
			s.fail() // null, [] or "": the decoding path says why
		}
	default:
		s.typed(lookup(kindFields[r.kind], name))
	}
}

// once fails the scan when the member bit was seen before (a duplicate: the decoder keeps
// the last, which the passthrough cannot promise), and records it.
func (r *Request) once(s *scanner, bit uint16) {
	if r.seen&bit != 0 {
		s.fail()
	}
	r.seen |= bit
}

// remember records where the member starting at key lies, to remove or edit it.
func (r *Request) remember(m *memberPos, s *scanner, key int) {
	*m = memberPos{key: key, end: s.pos, prevEnd: r.prevEnd, nextKey: -1}
	r.pending = m
}

// blank reports whether b is only JSON whitespace.
func blank(b []byte) bool {
	for _, c := range b {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// gatewayMember reads the members every scanned format shares (model, and the gateway's own
// provider, fallbacks and stream) and reports whether name was one of them.
func (r *Request) gatewayMember(s *scanner, name []byte, key int) bool {
	switch string(name) {
	case "model":
		r.once(s, seenModel)
		r.Model = r.plainString(s)
	case "provider":
		r.once(s, seenProvider)
		r.Provider = r.plainString(s)
		r.remember(&r.provider, s, key)
	case "fallbacks":
		r.once(s, seenFallbacks)
		r.fallbackList(s)
		r.remember(&r.fallbacks, s, key)
	case "stream":
		r.once(s, seenStream)
		r.Stream = r.boolOrNull(s)
	default:
		return false
	}
	return true
}
