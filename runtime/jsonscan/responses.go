package jsonscan

// The Responses API (https://platform.openai.com/docs/api-reference/responses) on the
// passthrough path: a provider that serves it natively gets the client's body with the
// gateway's edits only, and the answer or the stream's events come back as it sent them.
// The scanners here read only what the gateway needs: the routing members of the request,
// and the usage and status of the answer (a Response object) or of the stream's terminal
// event (response.completed, response.incomplete or response.failed, which carry the
// Response). Every other member is the provider's to validate.

// ScanResponsesRequest validates body as a Responses API request and fills r: model (a
// string, required), provider and fallbacks (the gateway's own members, which AppendRequest
// removes), stream, max_output_tokens (into MaxCompletion) and previous_response_id. Every other member is only checked to be valid JSON: the provider
// validates it. It returns false when the body is not one JSON object, has no model, or
// holds something the scanner cannot promise to edit (an escaped member name, a member of
// its own given twice): the caller then takes the translating path, which answers the
// error. It allocates nothing.
func ScanResponsesRequest(body []byte, r *Request) bool {
	*r = Request{kind: Responses, sc: scanner{b: body}}
	s := &r.sc
	s.ws()
	if s.peek() != '{' {
		return false
	}
	r.prevEnd = s.pos + 1
	s.object(r.responsesMember)
	if r.pending != nil {
		r.pending.nextKey = -1
		r.pending = nil
	}
	s.ws()
	ok := !s.failed && s.pos == len(body)
	r.sc = scanner{} // keep no reference to body
	return ok && r.Model.Set()
}

// responsesMember reads one top-level member of a Responses request.
func (r *Request) responsesMember(s *scanner, key int, name []byte, escaped bool) {
	if r.pending != nil {
		r.pending.nextKey = key
		r.pending = nil
	}
	if escaped {
		s.fail() // an escaped name may spell model, provider or fallbacks
		return
	}
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
	case "previous_response_id":
		if r.PreviousResponseID.Set() {
			s.fail() // given twice
		}
		if s.peek() == 'n' {
			s.lit("null")
			break
		}
		r.PreviousResponseID = r.plainString(s) // an id holds no escape
	case "max_output_tokens":
		// Governance reserves the worst case by it; null is the default (no limit).
		if s.peek() == 'n' {
			s.lit("null")
			break
		}
		r.once(s, seenMaxCompletion)
		if r.MaxCompletion = r.integer(s); r.MaxCompletion.V < 0 {
			s.fail() // the translating path answers the 400
		}
	default:
		s.value()
	}
	r.last, r.prevEnd = s.pos, s.pos
}

// ScanResponses validates a Responses API answer (a Response object) and fills a: Usage
// from usage (input_tokens, output_tokens, total_tokens and their details), FinishReason
// the span of status, Choices the number of output items. Substantial says it is a
// Response: status is a string and output an array. It allocates nothing.
func ScanResponses(body []byte, a *Answer) bool {
	*a = Answer{}
	output := false
	ok := a.scanTop(body, func(s *scanner, _ int, name []byte, escaped bool) {
		if !escaped {
			output = a.responseMember(s, name) || output
			return
		}
		s.value()
	})
	a.Substantial = ok && output && a.FinishReason.Set()
	return ok
}

// responseMember reads one member of a Response object; it returns true when the member is
// the output array.
func (a *Answer) responseMember(s *scanner, name []byte) bool {
	switch string(name) {
	case "usage":
		a.Usage = Usage{}
		responsesUsage(s, &a.Usage)
	case "status":
		start := s.pos
		if s.peek() != '"' {
			s.value() // null while in progress
			return false
		}
		s.str()
		a.FinishReason = Span{start, s.pos}
	case "output":
		if s.peek() != '[' {
			s.value()
			return false
		}
		s.array(func(s *scanner, _ int) {
			a.Choices++
			s.value()
		})
		return true
	default:
		s.value()
	}
	return false
}

// Event is what ScanResponsesEvent found in one event of a Responses stream.
type Event struct {
	// Type is the span of the event's type, a string.
	Type Span
	// Terminal says the event ends the stream: response.completed, response.incomplete,
	// response.failed, or an error event.
	Terminal bool
	// Seq is the event's sequence_number (0 when absent).
	Seq int
	// ResponseID is the span of the response's id, a string, in the events that carry the
	// Response (response.created and the others named response.<status>).
	ResponseID Span
}

// ScanResponsesEvent validates the data of one Responses stream event and fills ev and a:
// a's usage and status come from the event's response member (the terminal events carry
// the finished Response with its usage). It allocates nothing.
func ScanResponsesEvent(data []byte, ev *Event, a *Answer) bool {
	*ev = Event{}
	*a = Answer{}
	ok := a.scanTop(data, func(s *scanner, _ int, name []byte, escaped bool) {
		switch {
		case escaped:
			s.value()
		case string(name) == "type":
			start := s.pos
			if s.peek() != '"' || s.str() {
				s.fail()
				return
			}
			ev.Type = Span{start, s.pos}
		case string(name) == "sequence_number":
			ev.Seq = s.count()
		case string(name) == "response" && s.peek() == '{':
			s.object(func(s *scanner, _ int, name []byte, escaped bool) {
				switch {
				case escaped:
					s.value()
				case string(name) == "id" && s.peek() == '"':
					start := s.pos
					if s.str() {
						s.fail() // ids hold no escape
					}
					ev.ResponseID = Span{start, s.pos}
				default:
					a.responseMember(s, name)
				}
			})
		default:
			s.value()
		}
	})
	if !ok || !ev.Type.Set() {
		return false
	}
	switch string(data[ev.Type.Start+1 : ev.Type.End-1]) {
	case "response.completed", "response.incomplete", "response.failed", "error":
		ev.Terminal = true
	}
	return true
}

// responsesUsage reads the Responses API's usage object (or null) into u, in OpenAI chat's
// terms: input_tokens is Input, output_tokens Output, input_tokens_details.cached_tokens
// CachedInput and output_tokens_details.reasoning_tokens Reasoning.
func responsesUsage(s *scanner, u *Usage) {
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
		case string(name) == "input_tokens":
			u.Input = s.count()
		case string(name) == "output_tokens":
			u.Output = s.count()
		case string(name) == "total_tokens":
			u.Total = s.count()
		case string(name) == "input_tokens_details":
			s.detail("cached_tokens", &u.CachedInput)
		case string(name) == "output_tokens_details":
			s.detail("reasoning_tokens", &u.Reasoning)
		default:
			s.value()
		}
	})
}
