package jsonscan

// edit replaces body[start:end] with text (an insertion when start == end); quote says text
// is a string value to write quoted.
type edit struct {
	start, end int
	text       string
	quote      bool
}

// edits is a short, sorted list of non-overlapping edits, kept on the stack.
type edits struct {
	e [6]edit
	n int
}

func (l *edits) add(e edit) {
	i := l.n
	for i > 0 && l.e[i-1].start > e.start {
		l.e[i] = l.e[i-1]
		i--
	}
	l.e[i] = e
	l.n++
}

// Texts of the usage request.
const (
	usageMember = `,"stream_options":{"include_usage":true}`
	usageObject = `{"include_usage":true}`
	usageFirst  = `"include_usage":true,`
	usageOnly   = `"include_usage":true`
	usageTrue   = `true`
)

// AppendRequest appends to dst the scanned body with the gateway's edits and returns the
// extended buffer: the model value becomes model (the provider's name for it: prefix
// removed, alias resolved); the gateway-only members provider and fallbacks are removed;
// and, when addUsage is set and the request streams without asking for usage,
// stream_options.include_usage is set to true (added, or changed from false). Every other
// byte is the client's. r must be ScanRequest's result for body. It allocates nothing
// when dst has room.
func AppendRequest(dst, body []byte, r *Request, model string, addUsage bool) []byte {
	var l edits
	l.add(edit{start: r.Model.Start, end: r.Model.End, text: model, quote: true})
	for _, m := range [...]*memberPos{&r.provider, &r.fallbacks} {
		if m.end == 0 {
			continue
		}
		if r.keptAfter(m) {
			l.add(edit{start: m.key, end: m.nextKey})
		} else {
			l.add(edit{start: m.prevEnd, end: m.end})
		}
	}
	if addUsage && r.Stream && !r.IncludeUsageOn {
		l.add(r.usageEdit(body))
	}
	at := 0
	for _, e := range l.e[:l.n] {
		dst = append(dst, body[at:e.start]...)
		if e.quote {
			dst = appendQuoted(dst, e.text)
		} else {
			dst = append(dst, e.text...)
		}
		at = e.end
	}
	return append(dst, body[at:]...)
}

// keptAfter reports whether a member that stays follows m (then m goes with the separator
// after it; else with the one before it).
func (r *Request) keptAfter(m *memberPos) bool {
	if m.nextKey < 0 {
		return false
	}
	for _, o := range [...]*memberPos{&r.provider, &r.fallbacks} {
		if o != m && o.end != 0 && o.key == m.nextKey {
			return r.keptAfter(o)
		}
	}
	return true
}

// usageEdit is the edit that asks for the usage chunk.
func (r *Request) usageEdit(body []byte) edit {
	switch {
	case !r.StreamOptions.Set():
		return edit{start: r.last, end: r.last, text: usageMember}
	case body[r.StreamOptions.Start] == 'n':
		return edit{start: r.StreamOptions.Start, end: r.StreamOptions.End, text: usageObject}
	case r.IncludeUsage.Set():
		return edit{start: r.IncludeUsage.Start, end: r.IncludeUsage.End, text: usageTrue}
	case blank(body[r.StreamOptions.Start+1 : r.StreamOptions.End-1]):
		return edit{start: r.StreamOptions.Start + 1, end: r.StreamOptions.Start + 1, text: usageOnly}
	default:
		return edit{start: r.StreamOptions.Start + 1, end: r.StreamOptions.Start + 1, text: usageFirst}
	}
}

// appendQuoted appends s as a JSON string: quotes, backslashes and control characters
// escaped, every other byte as it is.
func appendQuoted(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
		default:
			dst = append(dst, c)
		}
	}
	return append(dst, '"')
}
