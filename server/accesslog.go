package server

import (
	"bytes"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"
)

// AccessLog writes the per-request access log lines in the form of log/slog's text or JSON
// handler (the same keys, level INFO, message "request"), but into a reused buffer: a
// line allocates nothing. Going through slog costs a few small allocations per request,
// which at thousands of requests per second is garbage enough to raise the gateway's peak
// RSS by a third (measured at 3,000 RPS: 33 MB against 24 MB with no access log).
//
// A buffered access log (NewBufferedAccessLog) never makes a request wait on its output:
// lines go into a bounded buffer that a goroutine of its own writes out, and a line that
// does not fit is dropped and counted (Dropped). It is also an io.Writer, so that the
// gateway's other log lines (a slog handler over it) share the same guarantee.
type AccessLog struct {
	mu   sync.Mutex // guards buf and out; buffered, it is never held during a write to w
	w    io.Writer
	json bool
	buf  []byte // the line being formatted
	ts   stamp  // the time of the latest line, formatted up to its second

	// Buffered mode: lines gather in out, up to accessBufSize bytes, and the writer
	// goroutine swaps out for spare and writes spare to w without holding mu. When w
	// blocks, out fills and further lines are dropped.
	out     []byte
	spare   []byte // the writer goroutine's own buffer
	kick    chan struct{}
	stop    chan struct{}
	done    chan struct{}
	dropped atomic.Uint64
}

// NewAccessLog returns an access log writing one line per request to w, as JSON when json
// is true, else as slog's text form. Each line is written at once, on the request's
// goroutine: w must not block (use NewBufferedAccessLog for stderr, a pipe or a file).
func NewAccessLog(w io.Writer, json bool) *AccessLog {
	return &AccessLog{w: w, json: json, buf: make([]byte, 0, 512)}
}

// NewBufferedAccessLog is NewAccessLog with lines gathered in a bounded buffer (256 KiB)
// and written by a goroutine of its own every interval, or sooner when the buffer is half
// full: at thousands of requests per second this saves a write system call per request
// (7% of the gateway's CPU at 3,000 RPS). A request never waits on w: while w blocks (a
// stopped reader of a pipe), lines that do not fit in the buffer are dropped and counted
// (Dropped). Close writes what is left.
func NewBufferedAccessLog(w io.Writer, json bool, interval time.Duration) *AccessLog {
	a := NewAccessLog(w, json)
	a.out = make([]byte, 0, accessBufSize)
	a.spare = make([]byte, 0, accessBufSize)
	a.kick = make(chan struct{}, 1)
	a.stop, a.done = make(chan struct{}), make(chan struct{})
	go a.flushEvery(interval)
	return a
}

// accessBufSize bounds the bytes a buffered access log holds for its writer (twice this
// with the buffer being written).
const accessBufSize = 256 << 10

// closeWait bounds how long Close waits for a writer blocked on its output.
const closeWait = time.Second

// flushEvery is the writer goroutine: it writes the buffered lines at each tick, when the
// buffer is half full, and once more when the log is closed.
func (a *AccessLog) flushEvery(interval time.Duration) {
	defer close(a.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
		case <-a.kick:
		case <-a.stop:
			a.flush()
			return
		}
		a.flush()
	}
}

// flush takes the buffered lines, leaving an empty buffer for the request path, and writes
// them to w outside the lock. Only the writer goroutine calls it.
func (a *AccessLog) flush() {
	a.mu.Lock()
	a.out, a.spare = a.spare[:0], a.out
	a.mu.Unlock()
	if len(a.spare) == 0 {
		return
	}
	n, err := a.w.Write(a.spare)
	if err != nil && n < len(a.spare) {
		// Lines that cannot be written are dropped, as slog drops them; count them.
		a.dropped.Add(uint64(bytes.Count(a.spare[n:], newline)))
	}
	a.spare = a.spare[:0]
}

var newline = []byte{'\n'}

// Dropped returns the number of lines a buffered access log has dropped: lines that found
// its buffer full while the output was blocked or slow, and lines its output refused.
func (a *AccessLog) Dropped() uint64 { return a.dropped.Load() }

// Close stops a buffered access log's writer after it writes the lines it holds; it waits
// for that at most a second, as the output may be blocked. It does nothing for an
// unbuffered one.
func (a *AccessLog) Close() {
	if a.stop == nil {
		return
	}
	close(a.stop)
	select {
	case <-a.done:
	case <-time.After(closeWait):
	}
}

// Write adds p, one or more whole log lines (as a slog handler writes them), to a buffered
// access log without waiting on its output; when the buffer has no room for p, p is dropped
// and counted. On an unbuffered access log it writes p at once. It always reports success:
// a log line that cannot be written is dropped, never an error for the caller.
func (a *AccessLog) Write(p []byte) (int, error) {
	a.mu.Lock()
	if a.stop == nil {
		a.w.Write(p) //nolint:errcheck // a log line that cannot be written is dropped
	} else {
		a.bufferLocked(p)
	}
	a.mu.Unlock()
	return len(p), nil
}

// bufferLocked appends the lines in p to the buffer, or drops them when it is full, and
// wakes the writer once the buffer is half full. It never waits.
func (a *AccessLog) bufferLocked(p []byte) {
	if len(a.out)+len(p) > cap(a.out) {
		a.dropped.Add(uint64(max(1, bytes.Count(p, newline))))
		return
	}
	a.out = append(a.out, p...)
	if len(a.out) >= cap(a.out)/2 {
		select {
		case a.kick <- struct{}{}:
		default: // the writer has been woken already
		}
	}
}

// SetAccessLog makes the server write its access lines to a (nil: through the slog logger
// given to New, when its level enables INFO). The lines a drops are counted in the
// server's bifrost_log_lines_dropped_total.
func (s *Server) SetAccessLog(a *AccessLog) {
	s.accessLog = a
	if a != nil {
		s.metrics.SetLogDropped(a.Dropped)
	}
}

// accessField is one key and value of an access line: a string, an integer, a bool or a
// duration, as kind says.
type accessField struct {
	key  string
	kind uint8
	s    []byte
	n    int64
}

const (
	fieldString = iota
	fieldInt
	fieldBool
	fieldDuration
)

func strField(k string, v []byte) accessField { return accessField{key: k, kind: fieldString, s: v} }
func intField(k string, v int) accessField    { return accessField{key: k, kind: fieldInt, n: int64(v)} }
func durField(k string, d time.Duration) accessField {
	return accessField{key: k, kind: fieldDuration, n: int64(d)}
}
func boolField(k string, v bool) accessField {
	f := accessField{key: k, kind: fieldBool}
	if v {
		f.n = 1
	}
	return f
}

// write formats one line from fields and writes it (unbuffered) or adds it to the buffer
// (buffered), where it is dropped if the buffer is full. A failed write is dropped, as slog
// drops it.
func (a *AccessLog) write(now time.Time, fields []accessField) {
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.buf[:0]
	if a.json {
		b = append(b, `{"time":"`...)
		b = a.ts.append(b, now)
		b = append(b, `","level":"INFO","msg":"request"`...)
		for i := range fields {
			f := &fields[i]
			b = append(b, ',', '"')
			b = append(b, f.key...)
			b = append(b, '"', ':')
			switch f.kind {
			case fieldString:
				b = appendJSONString(b, f.s)
			case fieldBool:
				b = strconv.AppendBool(b, f.n == 1)
			default: // slog's JSON handler writes durations as integer nanoseconds
				b = strconv.AppendInt(b, f.n, 10)
			}
		}
		b = append(b, '}', '\n')
	} else {
		b = append(b, "time="...)
		b = a.ts.append(b, now)
		b = append(b, " level=INFO msg=request"...)
		for i := range fields {
			f := &fields[i]
			b = append(b, ' ')
			b = append(b, f.key...)
			b = append(b, '=')
			switch f.kind {
			case fieldString:
				b = appendTextValue(b, f.s)
			case fieldInt:
				b = strconv.AppendInt(b, f.n, 10)
			case fieldBool:
				b = strconv.AppendBool(b, f.n == 1)
			case fieldDuration:
				b = appendDuration(b, time.Duration(f.n))
			}
		}
		b = append(b, '\n')
	}
	a.buf = b
	if a.stop == nil {
		a.w.Write(b) //nolint:errcheck // a log line that cannot be written is dropped
		return
	}
	a.bufferLocked(b)
}

// timeLayout is the form of a line's time: what slog writes.
const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// stamp formats line times in timeLayout, keeping the part up to the second and the zone
// of the latest one: lines of the same second (nearly all, under load) only add their
// milliseconds, which costs a tenth of formatting the whole time.
type stamp struct {
	sec        int64 // Unix seconds of the kept part; valid when loc is set
	loc        *time.Location
	date, zone []byte // "2006-01-02T15:04:05" and "Z07:00" of that second
}

// append writes t in timeLayout.
func (st *stamp) append(b []byte, t time.Time) []byte {
	if sec := t.Unix(); sec != st.sec || t.Location() != st.loc || st.loc == nil {
		st.sec, st.loc = sec, t.Location()
		st.date = t.AppendFormat(st.date[:0], "2006-01-02T15:04:05")
		st.zone = t.AppendFormat(st.zone[:0], "Z07:00")
	}
	b = append(b, st.date...)
	ms := t.Nanosecond() / 1e6
	b = append(b, '.', byte('0'+ms/100), byte('0'+ms/10%10), byte('0'+ms%10))
	return append(b, st.zone...)
}

// appendTextValue writes s as slog's text handler does: as it is, or quoted when empty or
// when it holds a space, '=', '"', a control character or text that is not printable.
func appendTextValue(b, s []byte) []byte {
	if !needsQuoting(s) {
		return append(b, s...)
	}
	b = append(b, '"')
	for len(s) > 0 {
		r, n := utf8.DecodeRune(s)
		switch {
		case r == utf8.RuneError && n == 1:
			b = append(b, `\x`...)
			b = append(b, "0123456789abcdef"[s[0]>>4], "0123456789abcdef"[s[0]&15])
		case r == '"' || r == '\\':
			b = append(b, '\\', byte(r))
		case unicode.IsPrint(r):
			b = append(b, s[:n]...)
		default:
			b = appendEscapedRune(b, r)
		}
		s = s[n:]
	}
	return append(b, '"')
}

// appendEscapedRune writes a non-printable rune as strconv.Quote does.
func appendEscapedRune(b []byte, r rune) []byte {
	const hex = "0123456789abcdef"
	switch r {
	case '\a':
		return append(b, `\a`...)
	case '\b':
		return append(b, `\b`...)
	case '\f':
		return append(b, `\f`...)
	case '\n':
		return append(b, `\n`...)
	case '\r':
		return append(b, `\r`...)
	case '\t':
		return append(b, `\t`...)
	case '\v':
		return append(b, `\v`...)
	}
	switch {
	case r < ' ' || r == 0x7f:
		return append(b, '\\', 'x', hex[byte(r)>>4], hex[byte(r)&15])
	case r < 0x10000:
		b = append(b, '\\', 'u')
		for sh := 12; sh >= 0; sh -= 4 {
			b = append(b, hex[r>>uint(sh)&15])
		}
		return b
	default:
		b = append(b, '\\', 'U')
		for sh := 28; sh >= 0; sh -= 4 {
			b = append(b, hex[r>>uint(sh)&15])
		}
		return b
	}
}

func needsQuoting(s []byte) bool {
	if len(s) == 0 {
		return true
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c <= ' ' || c == '=' || c == '"' || c == 0x7f {
				return true
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError || unicode.IsSpace(r) || !unicode.IsPrint(r) {
			return true
		}
		i += n
	}
	return false
}

// appendJSONString writes s as a JSON string: quotes, backslashes and control characters
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(b, s []byte) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for len(s) > 0 {
		c := s[0]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&15])
			default:
				b = append(b, c)
			}
			s = s[1:]
			continue
		}
		r, n := utf8.DecodeRune(s)
		if r == utf8.RuneError && n == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[:n]...)
		}
		s = s[n:]
	}
	return append(b, '"')
}

// appendDuration writes d as time.Duration.String does ("1.983µs", "60.5ms", "1m2.5s"),
// without allocating.
func appendDuration(b []byte, d time.Duration) []byte {
	if d == 0 {
		return append(b, "0s"...)
	}
	u := uint64(d)
	if d < 0 {
		b = append(b, '-')
		u = -u
	}
	switch {
	case u < uint64(time.Microsecond):
		b = strconv.AppendUint(b, u, 10)
		return append(b, "ns"...)
	case u < uint64(time.Millisecond):
		b = appendFrac(b, u, 3)
		return append(b, "µs"...)
	case u < uint64(time.Second):
		b = appendFrac(b, u, 6)
		return append(b, "ms"...)
	}
	h := u / uint64(time.Hour)
	u -= h * uint64(time.Hour)
	m := u / uint64(time.Minute)
	u -= m * uint64(time.Minute)
	if h > 0 {
		b = strconv.AppendUint(b, h, 10)
		b = append(b, 'h')
	}
	if h > 0 || m > 0 {
		b = strconv.AppendUint(b, m, 10)
		b = append(b, 'm')
	}
	b = appendFrac(b, u, 9)
	return append(b, 's')
}

// appendFrac writes v / 10^prec with the fraction's trailing zeros (and a bare point)
// dropped.
func appendFrac(b []byte, v uint64, prec int) []byte {
	div := uint64(1)
	for i := 0; i < prec; i++ {
		div *= 10
	}
	b = strconv.AppendUint(b, v/div, 10)
	frac := v % div
	if frac == 0 {
		return b
	}
	var digits [9]byte
	for i := prec - 1; i >= 0; i-- {
		digits[i] = byte('0' + frac%10)
		frac /= 10
	}
	n := prec
	for n > 0 && digits[n-1] == '0' {
		n--
	}
	b = append(b, '.')
	return append(b, digits[:n]...)
}
