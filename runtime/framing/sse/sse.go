// Package sse reads text/event-stream (server-sent events,
// https://html.spec.whatwg.org/multipage/server-sent-events.html), the stream framing of
// OpenAI's format and most others, as a provider.StreamFramer registered under the name
// "sse" (a spec without a stream member). It reads from the runtime's bufio.Reader into
// buffers it keeps between events, so a stream allocates nothing per event once they have
// grown.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// Reader is the SSE framer of one call. The zero value is ready; it keeps its buffers
// between events and streams.
type Reader struct {
	data, name []byte
}

var _ provider.StreamFramer = (*Reader)(nil)

// New returns a Reader, as a provider.StreamFramer.
func New() provider.StreamFramer { return &Reader{} }

// Release drops the buffers when an event grew them over keep bytes.
func (r *Reader) Release(keep int) {
	if cap(r.data) > keep {
		r.data = nil
	}
	if cap(r.name) > keep {
		r.name = nil
	}
}

// Next returns the next event that has data: its name (the "event:" field, empty when
// absent) and its data, multi-line data joined with "\n". Comments and other fields are
// skipped. An event (its data lines together) or a single line longer than limit is
// provider.ErrEventTooLarge: it is not read further, so a line that never ends holds at
// most that much memory.
func (r *Reader) Next(br *bufio.Reader, limit int64) (provider.Event, error) {
	r.data = r.data[:0]
	r.name = r.name[:0]
	have := false
	for {
		line, err := readLine(br, len(r.data), int(limit))
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if have && errors.Is(err, io.EOF) {
				return r.event(), nil
			}
			return provider.Event{}, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if have {
				return r.event(), nil
			}
			r.name = r.name[:0] // an event without data is dropped, its name too
			continue
		}
		if value, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			value = bytes.TrimPrefix(value, []byte(" "))
			if have {
				r.data = append(r.data, '\n')
			}
			r.data = append(r.data, value...)
			have = true
		} else if value, ok := bytes.CutPrefix(line, []byte("event:")); ok {
			r.name = append(r.name[:0], bytes.TrimPrefix(value, []byte(" "))...)
		}
		if errors.Is(err, io.EOF) {
			if have {
				return r.event(), nil
			}
			return provider.Event{}, io.EOF
		}
	}
}

func (r *Reader) event() provider.Event { return provider.Event{Name: r.name, Data: r.data} }

// readLine reads one line, its "\n" included, borrowed from br when it fits br's buffer.
// have is the event's data so far: the line is refused with provider.ErrEventTooLarge when
// both together are over limit (the line's own "\r\n" is not data). A read error comes with
// the line read before it.
func readLine(br *bufio.Reader, have, limit int) ([]byte, error) {
	line, err := br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		// A line longer than the buffer: gather it, up to the limit.
		long := append([]byte(nil), line...)
		for errors.Is(err, bufio.ErrBufferFull) {
			if have+len(long) > limit {
				return nil, provider.ErrEventTooLarge
			}
			line, err = br.ReadSlice('\n')
			long = append(long, line...)
		}
		line = long
	}
	if have+len(line) > limit+2 {
		return nil, provider.ErrEventTooLarge
	}
	return line, err
}
