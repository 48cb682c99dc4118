package sse

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"testing"
)

// FuzzSSE feeds arbitrary bytes to the server-sent-events reader. It must never panic or
// loop, each event it returns carries data, and the data it returns cannot be longer than
// the data lines it was given.
func FuzzSSE(f *testing.F) {
	for _, seed := range []string{
		"data: {\"a\":1}\n\ndata: [DONE]\n\n",
		"event: message_start\ndata: {\"type\":\"message_start\"}\n\n: comment\n\nevent: ping\ndata: {}\n\n",
		"data: line one\ndata: line two\r\n\r\n",
		"data:no-space\n\nevent: x\n\n\n\ndata: tail without blank line",
		"retry: 100\nid: 7\ndata: x\n\n",
		"",
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		var r Reader
		br := bufio.NewReaderSize(bytes.NewReader(in), 64) // small, to exercise long lines
		total := 0
		for i := 0; ; i++ {
			if i > len(in)+1 {
				t.Fatalf("more events than input bytes: %q", in)
			}
			ev, err := r.Next(br, 1<<20)
			if err != nil {
				if !errors.Is(err, io.EOF) {
					t.Fatalf("error %v on in-memory input", err)
				}
				break
			}
			if len(ev.Data) == 0 && !bytes.Contains(in, []byte("data:")) {
				t.Fatalf("an event with no data line in the input: %+v", ev)
			}
			total += len(ev.Data)
		}
		if total > len(in) {
			t.Fatalf("returned %d data bytes from %d input bytes", total, len(in))
		}
	})
}
