//go:build !race

package eventstream

import (
	"bufio"
	"bytes"
	"testing"
)

// TestReadAWSEventAllocs: reading a stream allocates nothing per message once the call's
// buffer has grown to the largest message.
func TestReadAWSEventAllocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	stream := esStream50()
	r := bytes.NewReader(stream)
	c := &esCall{}
	c.br = bufio.NewReaderSize(r, streamBufSize)
	read := func() {
		r.Reset(stream)
		c.br.Reset(r)
		for {
			if _, err := c.readAWSEvent(); err != nil {
				return
			}
		}
	}
	read()
	if n := testing.AllocsPerRun(50, read); n != 0 {
		t.Errorf("allocs per 50-event stream = %v, want 0", n)
	}
}
