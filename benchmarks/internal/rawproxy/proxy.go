// Package rawproxy is a byte-forwarding reverse proxy on fasthttp: it
// copies each request to one upstream and the answer back, with no JSON
// work at all. It is the floor any gateway can reach, measured with the
// same load and the same mock as the gateways.
package rawproxy

import (
	"bufio"
	"bytes"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/valyala/fasthttp"
)

// Proxy forwards every request to Upstream.
type Proxy struct {
	client *fasthttp.HostClient
}

// New returns a proxy to upstream, an http:// base URL such as
// "http://127.0.0.1:9001".
func New(upstream string) (*Proxy, error) {
	return NewWithDial(upstream, nil)
}

// NewWithDial is New with the upstream connections made by dial (nil: TCP), for a proxy
// measured in one process with an in-memory upstream.
func NewWithDial(upstream string, dial fasthttp.DialFunc) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	return &Proxy{client: &fasthttp.HostClient{
		Dial:                dial,
		Addr:                u.Host,
		MaxConns:            20000,
		ReadTimeout:         60 * time.Second,
		WriteTimeout:        60 * time.Second,
		MaxIdleConnDuration: time.Minute,
		StreamResponseBody:  true,
	}}, nil
}

var eventStream = []byte("text/event-stream")

// Handle forwards one request. Streams (text/event-stream) are relayed as
// they arrive, flushed after each read.
func (p *Proxy) Handle(ctx *fasthttp.RequestCtx) {
	req := &ctx.Request
	req.Header.Del(fasthttp.HeaderConnection)
	resp := fasthttp.AcquireResponse()
	if err := p.client.Do(req, resp); err != nil {
		fasthttp.ReleaseResponse(resp)
		ctx.Error("rawproxy: "+err.Error(), fasthttp.StatusBadGateway)
		return
	}
	resp.Header.CopyTo(&ctx.Response.Header)
	ctx.Response.Header.Del(fasthttp.HeaderConnection)
	if !bytes.HasPrefix(resp.Header.ContentType(), eventStream) {
		ctx.Response.SetBody(resp.Body())
		fasthttp.ReleaseResponse(resp)
		return
	}
	body := resp.BodyStream()
	ctx.SetBodyStreamWriter(func(w *bufio.Writer) {
		defer fasthttp.ReleaseResponse(resp)
		defer resp.CloseBodyStream() //nolint:errcheck
		buf := make([]byte, 16<<10)
		for {
			n, err := body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil || w.Flush() != nil {
					return
				}
			}
			if err != nil {
				return // io.EOF or a broken upstream: end the stream
			}
		}
	})
}

// Serve serves the proxy on ln until it is closed.
func (p *Proxy) Serve(ln net.Listener) error {
	s := &fasthttp.Server{
		Handler:               p.Handle,
		Name:                  "rawproxy",
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		MaxRequestBodySize:    64 << 20,
		ReadTimeout:           60 * time.Second,
	}
	err := s.Serve(ln)
	if err != nil && strings.Contains(err.Error(), "use of closed") {
		return nil
	}
	return err
}
