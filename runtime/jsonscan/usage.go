package jsonscan

// Usage is the token use a provider's answer reports, in OpenAI's terms: Input is
// prompt_tokens (Anthropic: input_tokens plus the cache reads and writes it leaves out),
// CachedInput the part of it read from the cache, Output completion_tokens.
type Usage struct {
	Input, Output, Total, CachedInput, CacheCreation, Reasoning int
	// Defined says the answer carried a usage object.
	Defined bool
}

// Answer is what ScanOpenAI or ScanAnthropic found in an answer or a stream event.
type Answer struct {
	Usage        Usage
	FinishReason Span // the first choice's finish_reason (Anthropic: stop_reason), a string
	// Type is an Anthropic answer's or stream event's top-level type (message,
	// message_start, ..., error), a string; unset for OpenAI's.
	Type Span
	// Choices counts the choices (OpenAI); a stream chunk with none and a usage is the
	// usage-only chunk.
	Choices int
	// Substantial says the answer carries something: a choice with content, text, tool
	// calls, a refusal, reasoning or a finish reason; an embedding that is not empty; an
	// Anthropic message with content or a stop reason. The decoding path checks the same
	// (runtime's decodeAnswer); a plain answer without it takes that path.
	Substantial bool

	sc scanner // the scan's state; its text is cleared after
}

// ScanOpenAI validates an OpenAI answer of kind k (chat, text or embeddings), or one chat
// or text stream chunk, and fills a. It returns false when body is not valid JSON or not an
// object, or a member it reads has an unexpected type; it allocates nothing.
func ScanOpenAI(body []byte, k Kind, a *Answer) bool {
	*a = Answer{}
	return a.scanTop(body, func(s *scanner, _ int, name []byte, escaped bool) {
		switch {
		case escaped:
			s.value()
		case string(name) == "usage":
			a.Usage = Usage{}
			openAIUsage(s, &a.Usage)
		case string(name) == "choices" && k != Embedding:
			a.choices(s, k)
		case string(name) == "data" && k == Embedding:
			a.embeddings(s)
		default:
			s.value()
		}
	})
}

// scanTop scans body as one object, calling m for its members.
func (a *Answer) scanTop(body []byte, m member) bool {
	a.sc = scanner{b: body}
	s := &a.sc
	s.ws()
	ok := s.peek() == '{'
	if ok {
		s.object(m)
		s.ws()
		ok = !s.failed && s.pos == len(body)
	}
	a.sc = scanner{} // keep no reference to body
	return ok
}

// openAIUsage reads OpenAI's usage object (or null).
func openAIUsage(s *scanner, u *Usage) {
	if s.peek() == 'n' {
		s.lit("null")
		return
	}
	if s.peek() != '{' {
		s.fail()
		return
	}
	u.Defined = true
	s.object(func(s *scanner, _ int, name []byte, escaped bool) {
		switch {
		case escaped:
			s.value()
		case string(name) == "prompt_tokens":
			u.Input = s.count()
		case string(name) == "completion_tokens":
			u.Output = s.count()
		case string(name) == "total_tokens":
			u.Total = s.count()
		case string(name) == "cache_creation_input_tokens":
			u.CacheCreation = s.count()
		case string(name) == "prompt_tokens_details":
			s.detail("cached_tokens", &u.CachedInput)
		case string(name) == "completion_tokens_details":
			s.detail("reasoning_tokens", &u.Reasoning)
		default:
			s.value()
		}
	})
}

// detail reads an object (or null) and the integer member want of it into v.
func (s *scanner) detail(want string, v *int) {
	switch s.peek() {
	case 'n':
		s.lit("null")
	case '{':
		s.object(func(s *scanner, _ int, name []byte, escaped bool) {
			if !escaped && string(name) == want {
				*v = s.count()
				return
			}
			s.value()
		})
	default:
		s.fail()
	}
}

// count reads a token count: a non-negative integer, or null (0). Anything else fails.
func (s *scanner) count() int {
	if s.peek() == 'n' {
		s.lit("null")
		return 0
	}
	start := s.pos
	s.number()
	v := 0
	for _, c := range s.b[start:s.pos] {
		if c < '0' || c > '9' || v > 1<<40 {
			s.fail()
			return 0
		}
		v = v*10 + int(c-'0')
	}
	return v
}

// choices reads OpenAI's choices array (or null).
func (a *Answer) choices(s *scanner, k Kind) {
	if s.peek() == 'n' {
		s.lit("null")
		return
	}
	if s.peek() != '[' {
		s.fail()
		return
	}
	s.array(func(s *scanner, _ int) {
		a.Choices++
		if s.peek() != '{' {
			s.fail()
			return
		}
		s.object(func(s *scanner, _ int, name []byte, escaped bool) {
			switch {
			case escaped:
				s.value()
			case string(name) == "finish_reason":
				if sp := s.nullableString(); sp.End-sp.Start > 2 {
					a.Substantial = true
					if !a.FinishReason.Set() {
						a.FinishReason = sp
					}
				}
			case string(name) == "text" && k == Text:
				if s.nullableString().Set() {
					a.Substantial = true // a string, even empty, as the decoding path counts it
				}
			case (string(name) == "message" || string(name) == "delta") && k == Chat:
				a.message(s)
			default:
				s.value()
			}
		})
	})
}

// message reads a chat choice's message (or a chunk's delta): content (a string, or a
// non-empty array of parts), tool calls, a refusal or reasoning make it substantial.
func (a *Answer) message(s *scanner) {
	if s.peek() == 'n' {
		s.lit("null")
		return
	}
	if s.peek() != '{' {
		s.fail()
		return
	}
	s.object(func(s *scanner, _ int, name []byte, escaped bool) {
		if escaped {
			s.value()
			return
		}
		start := s.pos
		c := s.value()
		switch string(name) {
		case "content":
			a.Substantial = a.Substantial || c == '"' || c == '[' && !s.hollow(start)
		case "tool_calls":
			a.Substantial = a.Substantial || c == '[' && !s.hollow(start)
		case "refusal", "reasoning_content":
			a.Substantial = a.Substantial || c == '"'
		}
	})
}

// embeddings reads an embeddings answer's data: substantial when it holds at least one
// embedding and each is a non-empty array or string.
func (a *Answer) embeddings(s *scanner) {
	if s.peek() != '[' {
		s.value()
		return
	}
	n, ok := 0, true
	s.array(func(s *scanner, _ int) {
		n++
		if s.peek() != '{' {
			s.value()
			ok = false
			return
		}
		found := false
		s.object(func(s *scanner, _ int, name []byte, escaped bool) {
			start := s.pos
			c := s.value()
			if !escaped && string(name) == "embedding" {
				found = (c == '[' || c == '"') && s.pos-start > 2
			}
		})
		ok = ok && found
	})
	a.Substantial = n > 0 && ok
}

// nullableString reads a string or null: the string's span (quotes included), or an unset
// span for null. Anything else fails.
func (s *scanner) nullableString() Span {
	switch s.peek() {
	case 'n':
		s.lit("null")
		return Span{}
	case '"':
		start := s.pos
		if s.str(); s.failed {
			return Span{}
		}
		return Span{start, s.pos}
	}
	s.fail()
	return Span{}
}

// ScanAnthropic validates an Anthropic Messages answer, or one stream event's data, and
// fills a: usage (input_tokens with the cache reads and writes added, as the decoding path
// counts prompt tokens; output_tokens), the stop reason, and whether the message carries
// content or a stop reason. message_start's nested message and message_delta's delta are
// read too. It allocates nothing.
func ScanAnthropic(body []byte, a *Answer) bool {
	*a = Answer{}
	return a.scanTop(body, a.anthropicMember)
}

func (a *Answer) anthropicMember(s *scanner, _ int, name []byte, escaped bool) {
	switch {
	case escaped:
		s.value()
	case string(name) == "usage":
		anthropicUsage(s, &a.Usage)
	case string(name) == "type" && s.depth == 1:
		a.Type = s.nullableString()
	case string(name) == "stop_reason":
		if sp := s.nullableString(); sp.End-sp.Start > 2 {
			a.FinishReason, a.Substantial = sp, true
		}
	case string(name) == "content":
		start := s.pos
		if c := s.value(); c == '[' && !s.hollow(start) {
			a.Substantial = true
		}
	case string(name) == "message" || string(name) == "delta":
		if s.peek() != '{' {
			s.value()
			return
		}
		s.object(a.anthropicMember)
	default:
		s.value()
	}
}

// anthropicUsage reads Anthropic's usage object; members absent from it (a message_delta
// has only output_tokens) leave what an earlier event said.
func anthropicUsage(s *scanner, u *Usage) {
	if s.peek() == 'n' {
		s.lit("null")
		return
	}
	if s.peek() != '{' {
		s.fail()
		return
	}
	u.Defined = true
	var in, read, write int
	var inSeen bool
	s.object(func(s *scanner, _ int, name []byte, escaped bool) {
		switch {
		case escaped:
			s.value()
		case string(name) == "input_tokens":
			in, inSeen = s.count(), true
		case string(name) == "cache_read_input_tokens":
			read, inSeen = s.count(), true
		case string(name) == "cache_creation_input_tokens":
			write, inSeen = s.count(), true
		case string(name) == "output_tokens":
			u.Output = s.count()
		default:
			s.value()
		}
	})
	if inSeen {
		u.Input, u.CachedInput, u.CacheCreation = in+read+write, read, write
	}
	u.Total = u.Input + u.Output
}

// ScanAnthropicEvent is ScanAnthropic for one event of a stream: the usage read so far is
// kept and updated (message_start brings the input tokens, message_delta the output
// tokens), every other field is the event's own.
func ScanAnthropicEvent(data []byte, a *Answer) bool {
	u := a.Usage
	*a = Answer{Usage: u}
	return a.scanTop(data, a.anthropicMember)
}
