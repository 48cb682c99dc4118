package jsonscan

// The rules of a Messages request (Anthropic's POST /v1/messages,
// https://docs.anthropic.com/en/api/messages), the body of the gateway's
// /anthropic/v1/messages: the members that the gateway's decoder (adapters/anthropic's
// MessagesRequest) types are checked as it types them, and the gateway's own checks of the
// translation (adapters/anthropic Inbound.ToChat) that do not depend on the target are made:
// a model, max_tokens of at least 1, at least one message, each an object whose role is
// user or assistant and whose content is a string or an array of objects. A body that
// breaks one of these is declined, and the decoding path answers it as before.
//
// What is inside a content block, a tool or the thinking and tool_choice objects beyond
// their JSON types is Anthropic's to judge: a request that passes through goes only to
// Anthropic, which answers a block it refuses with its own 400 (relayed, classified and
// scrubbed as any provider error), and takes the block types and server tools the gateway
// could not translate.

var (
	anthSource = node{fields: []field{{"type", str, nil}, {"media_type", str, nil}, {"data", text, nil}, {"url", text, nil},
		{"file_id", str, nil}}}
	anthBlock = node{fields: []field{{"type", str, nil}, {"text", text, nil}, {"source", object, &anthSource},
		{"id", str, nil}, {"name", str, nil}, {"input", anyValue, nil}, {"tool_use_id", str, nil}, {"content", anyValue, nil},
		{"is_error", boolean, nil}, {"thinking", text, nil}, {"signature", text, nil}, {"data", text, nil},
		{"cache_control", anyValue, nil}}}
	anthMetadata   = node{fields: []field{{"user_id", text, nil}}}
	anthTool       = node{fields: []field{{"type", str, nil}, {"name", str, nil}, {"description", text, nil}, {"input_schema", anyValue, nil}, {"cache_control", anyValue, nil}}}
	anthTools      = node{elem: field{"", object, &anthTool}}
	anthToolChoice = node{fields: []field{{"type", str, nil}, {"name", str, nil}, {"disable_parallel_tool_use", boolean, nil}}}
	anthThinking   = node{fields: []field{{"type", str, nil}, {"budget_tokens", integer, nil}}}
	anthStops      = node{elem: field{"", text, nil}}

	// messagesFields are the top-level members of a Messages request other than
	// ScanRequest's own (model, provider, fallbacks, stream, max_tokens, messages, system).
	messagesFields = []field{{"metadata", object, &anthMetadata},
		{"stop_sequences", array, &anthStops}, {"temperature", number, nil}, {"top_p", number, nil}, {"top_k", integer, nil},
		{"tools", array, &anthTools}, {"tool_choice", object, &anthToolChoice}, {"thinking", object, &anthThinking}}
)

// watchedMessages reads the value of the Messages request member name (unescaped) starting
// at its key offset.
func (r *Request) watchedMessages(s *scanner, name []byte, key int) {
	if r.gatewayMember(s, name, key) {
		return
	}
	switch string(name) {
	case "max_tokens":
		r.once(s, seenMaxTokens)
		r.MaxTokens = r.integer(s)
	case "messages":
		r.once(s, seenMessages)
		anthMessages(s)
	case "system":
		anthContent(s)
	default:
		s.typed(lookup(messagesFields, name))
	}
}

// anthMessages reads the messages array: at least one, each an object with role user or
// assistant and its content.
func anthMessages(s *scanner) {
	if s.peek() != '[' {
		s.fail()
		return
	}
	n := 0
	s.array(func(s *scanner, _ int) {
		n++
		if s.peek() != '{' {
			s.fail()
			return
		}
		var role Span
		s.object(func(s *scanner, _ int, name []byte, escaped bool) {
			switch {
			case escaped:
				s.fail()
			case string(name) == "role":
				start := s.pos
				if role.Set() || s.peek() != '"' || s.str() {
					s.fail() // twice, not a string, or escaped
					return
				}
				role = Span{start, s.pos}
			case string(name) == "content":
				anthContent(s)
			default:
				s.value()
			}
		})
		if s.failed {
			return
		}
		if r := s.b[role.Start:role.End]; !role.Set() || string(r) != `"user"` && string(r) != `"assistant"` {
			s.fail()
		}
	})
	if n == 0 {
		s.fail()
	}
}

// anthContent reads a message's content or the system prompt: null, a string, or an array
// of content blocks (objects).
func anthContent(s *scanner) {
	switch s.peek() {
	case 'n':
		s.lit("null")
	case '"':
		s.str()
	case '[':
		s.typedArray(field{shape: object, sub: &anthBlock})
	default:
		s.fail()
	}
}
