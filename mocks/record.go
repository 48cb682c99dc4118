package mocks

import (
	"sync"

	"github.com/valyala/fasthttp"
)

// RecordedRequest is a copy of a request the server received, kept when
// Config.Record is set.
type RecordedRequest struct {
	// Method is the HTTP method, such as "POST".
	Method string
	// Path is the request path, without the query string.
	Path string
	// Query is the raw query string, without the '?'.
	Query string
	// Header maps each header name, in canonical form ("Content-Type"),
	// to its value; repeated headers are joined with ", ".
	Header map[string]string
	// Body is a copy of the request body.
	Body []byte
}

// recorder keeps the last recordCapacity requests in a ring.
type recorder struct {
	mu   sync.Mutex
	ring [recordCapacity]RecordedRequest
	next int // index the next request is written to
	n    int // number of requests held, up to recordCapacity
}

func (r *recorder) add(ctx *fasthttp.RequestCtx) {
	req := RecordedRequest{
		Method: string(ctx.Method()),
		Path:   string(ctx.Path()),
		Query:  string(ctx.URI().QueryString()),
		Header: make(map[string]string),
		Body:   append([]byte{}, ctx.PostBody()...),
	}
	for k, v := range ctx.Request.Header.All() {
		key := string(k)
		if prev, ok := req.Header[key]; ok {
			req.Header[key] = prev + ", " + string(v)
		} else {
			req.Header[key] = string(v)
		}
	}
	r.mu.Lock()
	r.ring[r.next] = req
	r.next = (r.next + 1) % recordCapacity
	if r.n < recordCapacity {
		r.n++
	}
	r.mu.Unlock()
}

// Requests returns copies of the last 64 requests received, oldest first,
// or nil unless Config.Record is set.
func (s *Server) Requests() []RecordedRequest {
	r := &s.rec
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == 0 {
		return nil
	}
	out := make([]RecordedRequest, 0, r.n)
	start := (r.next - r.n + recordCapacity) % recordCapacity
	for i := 0; i < r.n; i++ {
		req := r.ring[(start+i)%recordCapacity]
		hdr := make(map[string]string, len(req.Header))
		for k, v := range req.Header {
			hdr[k] = v
		}
		req.Header = hdr
		req.Body = append([]byte{}, req.Body...)
		out = append(out, req)
	}
	return out
}
