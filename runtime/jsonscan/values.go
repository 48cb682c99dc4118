package jsonscan

// plainString reads a string value without escapes (a model or provider name; one with an
// escape declines) and returns its span, quotes included.
func (r *Request) plainString(s *scanner) Span {
	start := s.pos
	if s.peek() != '"' || s.str() || s.failed {
		s.fail()
		return Span{}
	}
	return Span{start, s.pos}
}

// fallbackList reads the fallbacks array: plain strings, at most MaxFallbacks.
func (r *Request) fallbackList(s *scanner) {
	if s.peek() != '[' {
		s.fail()
		return
	}
	s.array(func(s *scanner, i int) {
		if i >= MaxFallbacks {
			s.fail()
			return
		}
		r.Fallbacks[i] = r.plainString(s)
		r.NFallbacks = i + 1
	})
}

// boolOrNull reads true, false or null (false).
func (r *Request) boolOrNull(s *scanner) bool {
	switch s.peek() {
	case 't':
		s.lit("true")
		return true
	case 'f':
		s.lit("false")
	case 'n':
		s.lit("null")
	default:
		s.fail()
	}
	return false
}

// streamOpts reads stream_options: null, or an object whose include_usage is a boolean.
func (r *Request) streamOpts(s *scanner) {
	start := s.pos
	switch s.peek() {
	case 'n':
		s.lit("null")
	case '{':
		seen := false
		s.object(func(s *scanner, _ int, name []byte, escaped bool) {
			switch {
			case escaped:
				s.fail()
			case string(name) == "include_usage":
				if seen || s.peek() != 't' && s.peek() != 'f' {
					s.fail()
					return
				}
				seen = true
				v := s.pos
				r.IncludeUsageOn = r.boolOrNull(s)
				r.IncludeUsage = Span{v, s.pos}
			default:
				s.value()
			}
		})
	default:
		s.fail()
		return
	}
	r.StreamOptions = Span{start, s.pos}
}

// integer reads an integer member as the decoder would (an integer literal; null, a
// fraction, an exponent or a value out of range declines).
func (r *Request) integer(s *scanner) Int {
	start := s.pos
	if c := s.peek(); c != '-' && (c < '0' || c > '9') {
		s.fail()
		return Int{}
	}
	s.number()
	lit := s.b[start:s.pos]
	neg := lit[0] == '-'
	if neg {
		lit = lit[1:]
	}
	if len(lit) == 0 || len(lit) > 18 {
		s.fail()
		return Int{}
	}
	v := 0
	for _, c := range lit {
		if c < '0' || c > '9' {
			s.fail()
			return Int{}
		}
		v = v*10 + int(c-'0')
	}
	if neg {
		v = -v
	}
	return Int{V: v, Defined: true}
}

// messages reads the chat messages array: at least one, each an object with a known role,
// and a tool message with a non-empty tool_call_id.
func (r *Request) messages(s *scanner) {
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
		var role []byte
		var roleSeen, idSeen, idSet bool
		s.object(func(s *scanner, _ int, name []byte, escaped bool) {
			switch {
			case escaped:
				s.fail()
			case string(name) == "role":
				if roleSeen {
					s.fail()
					return
				}
				roleSeen = true
				sp := r.plainString(s)
				if sp.Set() {
					role = s.b[sp.Start+1 : sp.End-1]
				}
			case string(name) == "tool_call_id":
				if idSeen || s.peek() != '"' {
					s.fail()
					return
				}
				idSeen = true
				start := s.pos
				s.str()
				idSet = s.pos-start > 2
			default:
				s.typed(lookup(message.fields, name))
			}
		})
		if !s.failed && !knownRole(role, idSet) {
			s.fail()
		}
	})
	if n == 0 {
		s.fail()
	}
}

// knownRole reports whether a message with role (and a tool_call_id when idSet) passes
// the gateway's rules.
func knownRole(role []byte, idSet bool) bool {
	switch string(role) {
	case "system", "developer", "user", "assistant", "function":
		return true
	case "tool":
		return idSet
	}
	return false
}
