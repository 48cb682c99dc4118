package runtime

import (
	"bufio"
	"errors"
	"io"
	"math/rand/v2"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
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
	c.state.Reset(rand.Uint64(), c.Model, time.Now().Unix())
	c.finished = false
	if c.conn != nil {
		// A stream may send any amount in all; the framer bounds each event instead.
		c.conn.limit.Store(0)
	}
}

// maxEvent returns the largest stream event the current provider may send.
func (c *Call) maxEvent() int64 {
	if c.cur.p == nil || c.cur.p.maxEvent <= 0 {
		return config.DefaultMaxStreamEventKB << 10
	}
	return c.cur.p.maxEvent
}

// Next reads the stream's next chunk into c.Chunk (chat) or c.TextResp (text), skipping
// events that carry none (pings, block ends). It returns done at the end of the stream: the
// adapter saw the format's last event, or the body ended after a chunk with a finish reason
// (some formats, Gemini's among them, have no end event). A body that ends before either is
// a truncated stream: a 502 stream_truncated error. A chunk is valid until the next call.
func (c *Call) Next() (done bool, err *Error) {
	if c.adm == nil || c.br == nil {
		return true, nil
	}
	a := c.cur.p.adapter
	cc := c.cur.p.chatCodec(c.cur.model) // the model's chat codec (a model route's, or a)
	for {
		ev, rerr := c.nextEvent()
		c.event = ev.Data // for PassedEvent
		if rerr != nil {
			c.CloseStream()
			if errors.Is(rerr, io.EOF) {
				if c.finished {
					return true, nil
				}
				e := c.Err.set(502, schemas.ErrUpstream, "stream_truncated", "",
					"provider "+c.Provider+" ended the stream before its last event (no finish reason): the answer may be incomplete")
				e.Provider = c.Provider
				return true, e
			}
			if errors.Is(rerr, provider.ErrEventTooLarge) {
				e := c.Err.set(502, schemas.ErrUpstream, "upstream_response_too_large", "",
					"provider "+c.Provider+" sent a stream event larger than the gateway's limit of "+sizeString(c.maxEvent())+
						" (network_config.max_stream_event_kb): the stream was cut")
				e.Provider = c.Provider
				return true, e
			}
			var te interface{ Timeout() bool }
			if errors.As(rerr, &te) && te.Timeout() {
				e := c.Err.set(504, schemas.ErrTimeout, "stream_idle_timeout", "",
					"provider "+c.Provider+" sent nothing for "+c.cur.p.idle.String()+" (stream_idle_timeout_in_seconds): the stream was cut")
				e.Provider = c.Provider
				return true, e
			}
			e := c.Err.set(502, schemas.ErrUpstream, "stream_interrupted", "", "provider "+c.Provider+" stream broke: "+c.netMessage("upstream stream failed", c.Provider, rerr))
			e.Provider = c.Provider
			return true, e
		}
		var step provider.Step
		var derr error
		switch {
		case c.passesEvents():
			step, derr = c.passEvent(ev)
		case c.op == provider.OpChatStream:
			c.Chunk.Reset()
			step, derr = cc.DecodeChatEvent(ev, &c.state, &c.Chunk)
		case c.op == provider.OpTextStream:
			c.TextResp.Reset()
			step, derr = a.DecodeTextEvent(ev, &c.state, &c.TextResp)
		case c.op == provider.OpResponsesStream:
			step, derr = c.responsesEvent(ev)
		}
		if derr != nil {
			c.CloseStream()
			return true, c.decode(derr)
		}
		switch step {
		case provider.StepSkip:
			continue
		case provider.StepDone:
			c.CloseStream()
			return true, nil
		case provider.StepError:
			c.Err = Error{Status: 502, Provider: c.Provider}
			cc.DecodeError(502, ev.Data, &c.Err.Body)
			c.scrubBody(&c.Err.Body) // every member: a provider may echo a key into any of them
			c.Err.Body.Message = "provider " + c.Provider + ": " + c.Err.Body.Message
			c.CloseStream()
			return true, &c.Err
		}
		if !c.finished {
			c.finished = c.chunkFinishes()
		}
		c.observeChunk()
		return false, nil
	}
}

// chunkFinishes reports whether the chunk just decoded carries a finish reason.
func (c *Call) chunkFinishes() bool {
	if c.op == provider.OpTextStream {
		for i := range c.TextResp.Choices {
			if c.TextResp.Choices[i].FinishReason != "" {
				return true
			}
		}
		return false
	}
	for i := range c.Chunk.Choices {
		if c.Chunk.Choices[i].FinishReason != "" {
			return true
		}
	}
	return false
}

// nextEvent reads the next event with the framer of the provider's framing (its spec's
// stream member), kept with the call.
func (c *Call) nextEvent() (provider.Event, error) {
	p := c.cur.p
	return c.framers.get(p.info.Framing, p.framing.New).Next(c.br, c.maxEvent())
}

// framerSet holds a call's stream framers, one per framing it has read, for reuse.
type framerSet []namedFramer

type namedFramer struct {
	name provider.Framing
	f    provider.StreamFramer
}

// get returns the set's framer of name, made with newFramer the first time.
func (s *framerSet) get(name provider.Framing, newFramer func() provider.StreamFramer) provider.StreamFramer {
	for i := range *s {
		if (*s)[i].name == name {
			return (*s)[i].f
		}
	}
	f := newFramer()
	*s = append(*s, namedFramer{name: name, f: f})
	return f
}

// release drops the framers' buffers that grew over keep bytes.
func (s framerSet) release(keep int) {
	for _, nf := range s {
		nf.f.Release(keep)
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
		c.conn.limit.Store(c.cur.p.connLimit)
		c.conn = nil
	}
	c.resp.CloseBodyStream() //nolint:errcheck // closing: nothing to do about a failure
	c.adm.release()
	c.adm = nil
}
