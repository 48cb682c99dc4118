package runtime

import (
	"bufio"
	"bytes"
	"errors"
	"io"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

const streamBufSize = 32 << 10

func (c *Call) openStream() {
	if c.br == nil {
		c.br = bufio.NewReaderSize(c.resp.BodyStream(), streamBufSize)
	} else {
		c.br.Reset(c.resp.BodyStream())
	}
}

// Next reads the stream's next event into c.Chunk (chat) or c.TextResp (text). It returns
// done at the end of the stream ("data: [DONE]" or the body's end). A chunk is valid until
// the next call.
func (c *Call) Next() (done bool, err *Error) {
	if c.adm == nil || c.br == nil {
		return true, nil
	}
	data, rerr := c.readEvent()
	if rerr != nil {
		c.CloseStream()
		if errors.Is(rerr, io.EOF) {
			return true, nil
		}
		var te interface{ Timeout() bool }
		if errors.As(rerr, &te) && te.Timeout() {
			e := c.Err.set(504, schemas.ErrTimeout, "stream_idle_timeout", "",
				"provider "+c.Provider+" sent nothing for "+c.cur.p.idle.String()+" (stream_idle_timeout_in_seconds): the stream was cut")
			e.Provider = c.Provider
			return true, e
		}
		e := c.Err.set(502, schemas.ErrUpstream, "stream_interrupted", "", "provider "+c.Provider+" stream broke: "+rerr.Error())
		e.Provider = c.Provider
		return true, e
	}
	if bytes.Equal(data, []byte("[DONE]")) {
		c.CloseStream()
		return true, nil
	}
	if bytes.HasPrefix(data, []byte(`{"error"`)) {
		c.Err = Error{Status: 502, Provider: c.Provider}
		c.cur.p.adapter.DecodeError(502, data, &c.Err.Body)
		c.Err.Body.Message = "provider " + c.Provider + ": " + scrub(c.Err.Body.Message, c.cur.p)
		c.CloseStream()
		return true, &c.Err
	}
	var derr error
	switch c.op {
	case provider.OpChatStream:
		c.Chunk.Reset()
		derr = c.cur.p.adapter.DecodeChatChunk(data, &c.Chunk)
	case provider.OpTextStream:
		c.TextResp.Reset()
		derr = c.cur.p.adapter.DecodeTextChunk(data, &c.TextResp)
	}
	if derr != nil {
		c.CloseStream()
		return true, c.decode(derr)
	}
	return false, nil
}

// readEvent returns the data of the next server-sent event that has data, joining multi-line
// data with "\n" (https://html.spec.whatwg.org/multipage/server-sent-events.html). Comments and
// other fields are skipped.
func (c *Call) readEvent() ([]byte, error) {
	c.event = c.event[:0]
	have := false
	for {
		line, err := c.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = c.br.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if err != nil && !(errors.Is(err, io.EOF) && len(line) > 0) {
			if have && errors.Is(err, io.EOF) {
				return c.event, nil
			}
			return nil, err
		}
		line = bytes.TrimRight(line, "\r\n")
		if len(line) == 0 {
			if have {
				return c.event, nil
			}
			continue
		}
		if value, ok := bytes.CutPrefix(line, []byte("data:")); ok {
			value = bytes.TrimPrefix(value, []byte(" "))
			if have {
				c.event = append(c.event, '\n')
			}
			c.event = append(c.event, value...)
			have = true
		}
		if errors.Is(err, io.EOF) {
			if have {
				return c.event, nil
			}
			return nil, io.EOF
		}
	}
}

// CloseStream ends an open stream: it closes the provider's body and frees the slot. It is
// safe to call more than once.
func (c *Call) CloseStream() {
	if c.adm == nil {
		return
	}
	if c.conn != nil {
		// Before the connection can go back to the pool.
		c.conn.idle.Store(0)
		c.conn = nil
	}
	c.resp.CloseBodyStream() //nolint:errcheck // closing: nothing to do about a failure
	c.adm.release()
	c.adm = nil
}
