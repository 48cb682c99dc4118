// Package eventstream reads AWS's binary event stream (application/vnd.amazon.eventstream),
// the framing of Bedrock's ConverseStream and other AWS streaming APIs, as a
// provider.StreamFramer registered under the name "aws_eventstream".
//
// The reader is hand-written on purpose, not the AWS SDK's (aws-sdk-go-v2's
// aws/protocol/eventstream): it reads from the runtime's bufio.Reader into one buffer that it
// keeps between messages and returns events that borrow from it, so a stream allocates nothing
// per message once the buffer has grown (alloc_test.go asserts it), where the SDK's decoder
// allocates each message's headers and payload. It checks both CRCs and every header, and is
// tested against the known messages of AWS's documentation (eventstream_test.go).
package eventstream

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// AWS event stream (application/vnd.amazon.eventstream), as Bedrock's ConverseStream sends
// it (https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html,
// https://docs.aws.amazon.com/lexv2/latest/dg/event-stream-encoding.html). A message is
//
//	total length   uint32 big-endian, the whole message with this field and both CRCs
//	headers length uint32 big-endian
//	prelude CRC    uint32 big-endian, CRC32 (IEEE, as gzip) of the 8 bytes before it
//	headers        name length (1 byte), name, value type (1 byte), value
//	payload
//	message CRC    uint32 big-endian, CRC32 of everything before it
//
// Header values by type: 0 true and 1 false (no bytes), 2 byte (1), 3 short (2), 4 integer
// (4), 5 long (8), 6 byte array and 7 string (2-byte big-endian length, then the bytes),
// 8 timestamp (8, milliseconds since the epoch), 9 UUID (16).
const (
	esPreludeLen  = 12
	esOverhead    = esPreludeLen + 4
	esMaxHeaders  = 128 << 10 // as AWS's SDKs bound them
	esMaxPayload  = 16 << 20
	esMaxMessage  = esOverhead + esMaxHeaders + esMaxPayload
	esKeepBuffer  = 1 << 20 // a larger buffer is dropped after its message
	esTypeTrue    = 0
	esTypeFalse   = 1
	esTypeByte    = 2
	esTypeShort   = 3
	esTypeInt     = 4
	esTypeLong    = 5
	esTypeBytes   = 6
	esTypeString  = 7
	esTypeTime    = 8
	esTypeUUID    = 9
	esMessageType = ":message-type"
)

// ErrMalformed marks a malformed event-stream message.
var ErrMalformed = errors.New("malformed AWS event stream")

// esMessage is one decoded message, borrowed from the reader's buffer.
type esMessage struct {
	headers []byte // the raw header block, already checked
	payload []byte
}

// readESMessage reads one whole message from r into *buf (grown as needed and kept for the
// next message) and checks its lengths, both CRCs and every header. io.EOF means the stream
// ended between messages; a stream cut inside a message is io.ErrUnexpectedEOF. A message
// whose total length is over limit is provider.ErrEventTooLarge, refused before it is read.
func readESMessage(r io.Reader, buf *[]byte, limit int64) (esMessage, error) {
	b := *buf
	if cap(b) < esPreludeLen {
		b = make([]byte, 0, 4<<10)
	}
	b = b[:esPreludeLen]
	if _, err := io.ReadFull(r, b); err != nil {
		*buf = b[:0]
		return esMessage{}, err // io.EOF only when nothing was read
	}
	total := binary.BigEndian.Uint32(b[0:4])
	hlen := binary.BigEndian.Uint32(b[4:8])
	if got, want := crc32.ChecksumIEEE(b[:8]), binary.BigEndian.Uint32(b[8:12]); got != want {
		*buf = b[:0]
		return esMessage{}, fmt.Errorf("%w: prelude CRC %08x, want %08x", ErrMalformed, got, want)
	}
	if total < esOverhead || total > esMaxMessage || hlen > esMaxHeaders || uint64(hlen) > uint64(total)-esOverhead ||
		total-esOverhead-hlen > esMaxPayload {
		*buf = b[:0]
		return esMessage{}, fmt.Errorf("%w: total length %d with headers length %d", ErrMalformed, total, hlen)
	}
	if int64(total) > limit {
		*buf = b[:0]
		return esMessage{}, fmt.Errorf("%w: an AWS event-stream message of %d bytes", provider.ErrEventTooLarge, total)
	}
	n := int(total)
	if cap(b) > esKeepBuffer && n <= esKeepBuffer {
		// A huge message grew the buffer: do not keep it with a pooled call.
		nb := make([]byte, esPreludeLen, esKeepBuffer)
		copy(nb, b)
		b = nb
	}
	if cap(b) < n {
		nb := make([]byte, n, n+n/4)
		copy(nb, b)
		b = nb
	}
	b = b[:n]
	*buf = b
	if _, err := io.ReadFull(r, b[esPreludeLen:]); err != nil {
		if errors.Is(err, io.EOF) {
			err = io.ErrUnexpectedEOF
		}
		return esMessage{}, fmt.Errorf("event stream message cut short: %w", err)
	}
	if got, want := crc32.ChecksumIEEE(b[:n-4]), binary.BigEndian.Uint32(b[n-4:]); got != want {
		return esMessage{}, fmt.Errorf("%w: message CRC %08x, want %08x", ErrMalformed, got, want)
	}
	m := esMessage{headers: b[esPreludeLen : esPreludeLen+int(hlen)], payload: b[esPreludeLen+int(hlen) : n-4]}
	if err := checkESHeaders(m.headers); err != nil {
		return esMessage{}, err
	}
	return m, nil
}

// nextESHeader splits the first header off h: its name, type and value bytes (the value
// without its length prefix for byte arrays and strings). ok is false when h is malformed.
func nextESHeader(h []byte) (name []byte, typ byte, value, rest []byte, ok bool) {
	if len(h) < 2 {
		return nil, 0, nil, nil, false
	}
	nl := int(h[0])
	if nl == 0 || len(h) < 1+nl+1 {
		return nil, 0, nil, nil, false
	}
	name, typ, h = h[1:1+nl], h[1+nl], h[2+nl:]
	var size int
	switch typ {
	case esTypeTrue, esTypeFalse:
		size = 0
	case esTypeByte:
		size = 1
	case esTypeShort:
		size = 2
	case esTypeInt:
		size = 4
	case esTypeLong, esTypeTime:
		size = 8
	case esTypeUUID:
		size = 16
	case esTypeBytes, esTypeString:
		if len(h) < 2 {
			return nil, 0, nil, nil, false
		}
		size = int(binary.BigEndian.Uint16(h))
		h = h[2:]
	default:
		return nil, 0, nil, nil, false
	}
	if len(h) < size {
		return nil, 0, nil, nil, false
	}
	return name, typ, h[:size], h[size:], true
}

// checkESHeaders checks that h is a sequence of well-formed headers.
func checkESHeaders(h []byte) error {
	for len(h) > 0 {
		_, _, _, rest, ok := nextESHeader(h)
		if !ok {
			return fmt.Errorf("%w: bad header with %d bytes of the header block left", ErrMalformed, len(h))
		}
		h = rest
	}
	return nil
}

// header returns the value of the string (or byte array) header name, and whether it is
// present with one of those types.
func (m esMessage) header(name string) ([]byte, bool) {
	h := m.headers
	for len(h) > 0 {
		n, typ, v, rest, ok := nextESHeader(h)
		if !ok {
			return nil, false
		}
		if string(n) == name && (typ == esTypeString || typ == esTypeBytes) {
			return v, true
		}
		h = rest
	}
	return nil, false
}

// Reader is the event-stream framer of one call. The zero value is ready; it keeps its
// buffer between messages and streams.
type Reader struct {
	buf []byte
}

var _ provider.StreamFramer = (*Reader)(nil)

// New returns a Reader, as a provider.StreamFramer.
func New() provider.StreamFramer { return &Reader{} }

// Release drops the buffer when a message grew it over keep bytes.
func (r *Reader) Release(keep int) {
	if cap(r.buf) > keep {
		r.buf = nil
	}
}

// Next returns the stream's next event message: Name is its :event-type header, or
// its :exception-type for an exception message, and Data its payload. A message of type
// "error" (a service error outside the modelled exceptions) ends the stream with an error
// naming its :error-code and :error-message.
func (r *Reader) Next(br *bufio.Reader, limit int64) (provider.Event, error) {
	for {
		m, err := readESMessage(br, &r.buf, limit)
		if err != nil {
			return provider.Event{}, err
		}
		kind, _ := m.header(esMessageType)
		switch string(kind) {
		case "exception":
			name, _ := m.header(":exception-type")
			return provider.Event{Name: name, Data: m.payload}, nil
		case "error":
			code, _ := m.header(":error-code")
			msg, _ := m.header(":error-message")
			return provider.Event{}, fmt.Errorf("event stream error %.100q: %.500q", code, msg)
		case "event", "":
			name, _ := m.header(":event-type")
			if len(name) == 0 && len(m.payload) == 0 {
				continue // an empty message (keep-alive): nothing to decode
			}
			return provider.Event{Name: name, Data: m.payload}, nil
		default:
			return provider.Event{}, fmt.Errorf("%w: unknown :message-type %.40q", ErrMalformed, kind)
		}
	}
}
