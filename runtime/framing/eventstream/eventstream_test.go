package eventstream

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

// esHeader is a header for the test encoder: typ and its value bytes (without the length
// prefix of byte arrays and strings).
type esHeader struct {
	name  string
	typ   byte
	value []byte
}

func esString(name, v string) esHeader { return esHeader{name, esTypeString, []byte(v)} }

// appendES encodes one message as https://docs.aws.amazon.com/transcribe/latest/dg/event-stream.html
// describes.
func appendES(dst []byte, headers []esHeader, payload []byte) []byte {
	var h []byte
	for _, x := range headers {
		h = append(h, byte(len(x.name)))
		h = append(h, x.name...)
		h = append(h, x.typ)
		if x.typ == esTypeString || x.typ == esTypeBytes {
			h = binary.BigEndian.AppendUint16(h, uint16(len(x.value)))
		}
		h = append(h, x.value...)
	}
	start := len(dst)
	dst = binary.BigEndian.AppendUint32(dst, uint32(esOverhead+len(h)+len(payload)))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(h)))
	dst = binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:start+8]))
	dst = append(dst, h...)
	dst = append(dst, payload...)
	return binary.BigEndian.AppendUint32(dst, crc32.ChecksumIEEE(dst[start:]))
}

func esEvent(name, payload string) []byte {
	return appendES(nil, []esHeader{esString(":event-type", name), esString(":content-type", "application/json"), esString(":message-type", "event")}, []byte(payload))
}

// Two messages whose bytes are published with an independent encoder
// (hex.pm event_stream, "Encoder/decoder for AWS Event Stream Encoding"): the payload
// {"foo": "bar"} without headers, and with content-type: application/json.
var (
	esKnownNoHeaders = []byte{0, 0, 0, 30, 0, 0, 0, 0, 186, 242, 246, 138, 123, 34, 102, 111,
		111, 34, 58, 32, 34, 98, 97, 114, 34, 125, 174, 114, 88, 228}
	esKnownContentType = []byte{0, 0, 0, 62, 0, 0, 0, 32, 64, 93, 249, 70, 12, 99, 111, 110, 116, 101, 110,
		116, 45, 116, 121, 112, 101, 7, 0, 16, 97, 112, 112, 108, 105, 99, 97, 116,
		105, 111, 110, 47, 106, 115, 111, 110, 123, 34, 102, 111, 111, 34, 58, 32, 34,
		98, 97, 114, 34, 125, 111, 162, 191, 59}
)

func TestEventStreamKnownMessages(t *testing.T) {
	var buf []byte
	m, err := readESMessage(bytes.NewReader(esKnownNoHeaders), &buf, esMaxMessage)
	if err != nil || string(m.payload) != `{"foo": "bar"}` || len(m.headers) != 0 {
		t.Fatalf("no headers: %q %q %v", m.headers, m.payload, err)
	}
	m, err = readESMessage(bytes.NewReader(esKnownContentType), &buf, esMaxMessage)
	if err != nil || string(m.payload) != `{"foo": "bar"}` {
		t.Fatalf("content-type: %q %v", m.payload, err)
	}
	if v, ok := m.header("content-type"); !ok || string(v) != "application/json" {
		t.Errorf("content-type header = %q %v", v, ok)
	}
	// The test encoder makes the same bytes.
	if got := appendES(nil, []esHeader{esString("content-type", "application/json")}, []byte(`{"foo": "bar"}`)); !bytes.Equal(got, esKnownContentType) {
		t.Errorf("test encoder differs:\n got %v\nwant %v", got, esKnownContentType)
	}
}

func TestEventStreamAllHeaderTypes(t *testing.T) {
	headers := []esHeader{
		{"true", esTypeTrue, nil},
		{"false", esTypeFalse, nil},
		{"byte", esTypeByte, []byte{0xcf}},
		{"short", esTypeShort, []byte{0x01, 0x02}},
		{"int", esTypeInt, []byte{1, 2, 3, 4}},
		{"long", esTypeLong, []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		{"bytes", esTypeBytes, []byte{0, 1, 2}},
		{"string", esTypeString, []byte("héllo")},
		{"time", esTypeTime, []byte{0, 0, 1, 0x8a, 0, 0, 0, 0}},
		{"uuid", esTypeUUID, bytes.Repeat([]byte{0xab}, 16)},
		esString(":event-type", "messageStart"),
	}
	msg := appendES(nil, headers, []byte(`{"role":"assistant"}`))
	var buf []byte
	m, err := readESMessage(bytes.NewReader(msg), &buf, esMaxMessage)
	if err != nil {
		t.Fatal(err)
	}
	h := m.headers
	for i, want := range headers {
		name, typ, v, rest, ok := nextESHeader(h)
		if !ok || string(name) != want.name || typ != want.typ || !bytes.Equal(v, want.value) {
			t.Errorf("header %d = %q %d %v %v, want %+v", i, name, typ, v, ok, want)
		}
		h = rest
	}
	if len(h) != 0 {
		t.Errorf("%d header bytes left", len(h))
	}
	if v, _ := m.header(":event-type"); string(v) != "messageStart" {
		t.Errorf(":event-type = %q", v)
	}
	if _, ok := m.header("int"); ok {
		t.Error("header() returned a non-string header")
	}
}

func TestEventStreamMalformed(t *testing.T) {
	good := esEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`)
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	fixPrelude := func(b []byte) []byte {
		binary.BigEndian.PutUint32(b[8:12], crc32.ChecksumIEEE(b[:8]))
		return b
	}
	fixMessage := func(b []byte) []byte {
		binary.BigEndian.PutUint32(b[len(b)-4:], crc32.ChecksumIEEE(b[:len(b)-4]))
		return b
	}
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"empty stream", nil, "EOF"},
		{"prelude CRC", mutate(func(b []byte) []byte { b[9] ^= 1; return b }), "prelude CRC"},
		{"message CRC", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), "message CRC"},
		{"payload bit flip", mutate(func(b []byte) []byte { b[len(b)-6] ^= 0x20; return b }), "message CRC"},
		{"total below overhead", mutate(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b, 15)
			return fixPrelude(b)
		}), "total length 15"},
		{"headers beyond total", mutate(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b[4:], uint32(len(b)))
			return fixPrelude(b)
		}), "headers length"},
		{"oversized message", mutate(func(b []byte) []byte {
			binary.BigEndian.PutUint32(b, esMaxMessage+1)
			return fixPrelude(b)
		}), "total length"},
		{"cut in the prelude", good[:7], "unexpected EOF"},
		{"cut in the payload", good[:len(good)-10], "cut short"},
		{"bad header type", mutate(func(b []byte) []byte {
			b[esPreludeLen+1+len(":event-type")] = 10
			return fixMessage(b)
		}), "bad header"},
		{"header value beyond block", mutate(func(b []byte) []byte {
			b[esPreludeLen+1+len(":event-type")+1] = 0xff
			return fixMessage(b)
		}), "bad header"},
		{"empty header name", mutate(func(b []byte) []byte {
			b[esPreludeLen] = 0
			return fixMessage(b)
		}), "bad header"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf []byte
			_, err := readESMessage(bytes.NewReader(c.data), &buf, esMaxMessage)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
		})
	}
}

// esCall reads one stream, as the runtime does.
type esCall struct {
	br *bufio.Reader
	r  Reader
}

const streamBufSize = 32 << 10

func (c *esCall) readAWSEvent() (provider.Event, error) { return c.r.Next(c.br, esMaxMessage) }

func newESCall(stream []byte) *esCall {
	return &esCall{br: bufio.NewReaderSize(bytes.NewReader(stream), streamBufSize)}
}

func TestReadAWSEvent(t *testing.T) {
	var stream []byte
	stream = append(stream, esEvent("messageStart", `{"role":"assistant"}`)...)
	stream = appendES(stream, nil, nil) // an empty keep-alive message is skipped
	stream = append(stream, esEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`)...)
	stream = appendES(stream, []esHeader{esString(":exception-type", "throttlingException"), esString(":content-type", "application/json"), esString(":message-type", "exception")},
		[]byte(`{"message":"Too many requests, please wait before trying again."}`))
	stream = appendES(stream, []esHeader{esString(":error-code", "InternalFailure"), esString(":error-message", "An internal error occurred"), esString(":message-type", "error")}, nil)

	c := newESCall(stream)
	want := []struct{ name, data, err string }{
		{"messageStart", `{"role":"assistant"}`, ""},
		{"contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":"Hi"}}`, ""},
		{"throttlingException", `{"message":"Too many requests, please wait before trying again."}`, ""},
		{"", "", `event stream error "InternalFailure": "An internal error occurred"`},
	}
	for i, w := range want {
		ev, err := c.readAWSEvent()
		if w.err != "" {
			if err == nil || err.Error() != w.err {
				t.Fatalf("event %d: error %v, want %s", i, err, w.err)
			}
			continue
		}
		if err != nil || string(ev.Name) != w.name || string(ev.Data) != w.data {
			t.Fatalf("event %d = %q %q %v, want %q %q", i, ev.Name, ev.Data, err, w.name, w.data)
		}
	}
	if _, err := newESCall(nil).readAWSEvent(); !errors.Is(err, io.EOF) {
		t.Errorf("end of stream: %v, want io.EOF", err)
	}
	bad := appendES(nil, []esHeader{esString(":message-type", "gossip")}, nil)
	if _, err := newESCall(bad).readAWSEvent(); err == nil || !strings.Contains(err.Error(), "unknown :message-type") {
		t.Errorf("unknown message type: %v", err)
	}
}

// esStream50 is a ConverseStream of 50 events: start, 46 text deltas, stop, message stop
// and metadata.
func esStream50() []byte {
	var s []byte
	s = append(s, esEvent("messageStart", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0","role":"assistant"}`)...)
	for i := 0; i < 46; i++ {
		s = append(s, esEvent("contentBlockDelta", `{"contentBlockIndex":0,"delta":{"text":" word"},"p":"abcdefghijklmnopq"}`)...)
	}
	s = append(s, esEvent("contentBlockStop", `{"contentBlockIndex":0,"p":"abcdefghijklmnopqrstuvwxyzABCDEF"}`)...)
	s = append(s, esEvent("messageStop", `{"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVW","stopReason":"end_turn"}`)...)
	s = append(s, esEvent("metadata", `{"metrics":{"latencyMs":412},"p":"abcdefghijklmnopqrstuvwxyzABCD","usage":{"inputTokens":25,"outputTokens":46,"totalTokens":71}}`)...)
	return s
}

func BenchmarkReadAWSEvent(b *testing.B) {
	stream := esStream50()
	r := bytes.NewReader(stream)
	c := &esCall{}
	c.br = bufio.NewReaderSize(r, streamBufSize)
	b.ReportAllocs()
	b.SetBytes(int64(len(stream)))
	for i := 0; i < b.N; i++ {
		r.Reset(stream)
		c.br.Reset(r)
		n := 0
		for {
			_, err := c.readAWSEvent()
			if err != nil {
				break
			}
			n++
		}
		if n != 50 {
			b.Fatalf("%d events", n)
		}
	}
}

func FuzzEventStream(f *testing.F) {
	f.Add(esKnownNoHeaders)
	f.Add(esKnownContentType)
	f.Add(esStream50()[:400])
	f.Add(appendES(nil, []esHeader{{"t", esTypeTrue, nil}, {"u", esTypeUUID, make([]byte, 16)}, esString(":message-type", "exception"), esString(":exception-type", "validationException")}, []byte(`{"message":"bad"}`)))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := newESCall(data)
		for i := 0; i < 100; i++ {
			ev, err := c.readAWSEvent()
			if err != nil {
				return
			}
			if len(ev.Data) > len(data) || len(ev.Name) > len(data) {
				t.Fatalf("event larger than its input")
			}
		}
	})
}

// TestESMessageOverLimit checks that a message longer than the provider's
// max_stream_event_kb is refused from its prelude, before its body is read.
func TestESMessageOverLimit(t *testing.T) {
	var buf []byte
	_, err := readESMessage(bytes.NewReader(esKnownContentType), &buf, int64(len(esKnownContentType)-1))
	if !errors.Is(err, provider.ErrEventTooLarge) {
		t.Fatalf("err = %v, want provider.ErrEventTooLarge", err)
	}
	if cap(buf) > 4<<10 {
		t.Errorf("buffer grew to %d bytes for a refused message", cap(buf))
	}
}
