package sse

import (
	"bufio"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/provider"
)

func TestNext(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		limit    int64
		want     []string // "name|data" per event; a last "error: ..." is the error expected after them
	}{
		{"openai", "data: {\"a\":1}\n\ndata: [DONE]\n\n", 1 << 10, []string{`|{"a":1}`, "|[DONE]"}},
		{"named events, comments, pings", "event: message_start\ndata: {}\n\n: comment\n\nevent: ping\n\nevent: x\ndata: y\n\n", 1 << 10,
			[]string{"message_start|{}", "x|y"}},
		{"multi-line data, CRLF", "data: one\r\ndata: two\r\n\r\n", 1 << 10, []string{"|one\ntwo"}},
		{"no space, no final blank line", "data:a\n\ndata: tail", 1 << 10, []string{"|a", "|tail"}},
		{"other fields skipped", "retry: 100\nid: 7\ndata: x\n\n", 1 << 10, []string{"|x"}},
		{"event over the limit", "data: 0123456789\n\n", 8, []string{"error: " + provider.ErrEventTooLarge.Error()}},
		{"line longer than the buffer, over the limit", "data: " + strings.Repeat("x", 200) + "\n\n", 100, []string{"error: " + provider.ErrEventTooLarge.Error()}},
		{"line longer than the buffer, within the limit", "data: " + strings.Repeat("x", 100) + "\n\n", 1 << 10, []string{"|" + strings.Repeat("x", 100)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var r Reader
			br := bufio.NewReaderSize(strings.NewReader(tc.in), 16)
			for i, w := range tc.want {
				ev, err := r.Next(br, tc.limit)
				if want, ok := strings.CutPrefix(w, "error: "); ok {
					if err == nil || err.Error() != want {
						t.Fatalf("event %d: error %v, want %s", i, err, want)
					}
					return
				}
				if got := string(ev.Name) + "|" + string(ev.Data); err != nil || got != w {
					t.Fatalf("event %d = %q, %v; want %q", i, got, err, w)
				}
			}
			if _, err := r.Next(br, tc.limit); !errors.Is(err, io.EOF) {
				t.Fatalf("after the events: %v, want io.EOF", err)
			}
		})
	}
}
