package server

import (
	"bytes"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/valyala/fasthttp"
)

// Requests about a response the gateway does not hold. A natively forwarded response is
// stored by the provider that answered it (unless "store": false), not by the gateway, so
// GET /v1/responses/{id}, DELETE /v1/responses/{id} and GET .../input_items of an id that
// is not in the gateway's store go to the providers that serve the Responses API natively
// (runtime.Engine.ResponsesLookup: each in name order until one answers anything but 404),
// with the client's query (input_items' after, limit, order, include), and the provider's
// answer comes back as it sent it. Where no provider serves it natively, the answer is the
// gateway's own 404.

// forwardLookup answers the request in ctx, about response id, with the answer of the
// provider that stored it.
func (s *Server) forwardLookup(ctx *fasthttp.RequestCtx, id string) {
	path := ctx.Path()
	i := bytes.Index(path, responsesPrefix)
	if i < 0 {
		writeError(ctx, 404, schemas.ErrInvalidRequest, "not_found", "", "not found")
		return
	}
	suffix := append([]byte(nil), path[i+len(responsesPrefix):]...)
	if q := ctx.URI().QueryString(); len(q) > 0 {
		suffix = append(append(suffix, '?'), q...)
	}
	method := fasthttp.MethodGet
	if ctx.IsDelete() {
		method = fasthttp.MethodDelete
	}
	c := s.engine.AcquireCall()
	defer s.engine.ReleaseCall(c)
	if err := s.engine.ResponsesLookup(c, method, string(suffix)); err != nil {
		if c.Provider == "" { // no provider serves the Responses API natively
			writeError(ctx, 404, schemas.ErrInvalidRequest, "not_found", "", "Response with id '"+id+"' not found.")
			return
		}
		writeErrorBody(ctx, err.Status, &schemas.ErrorResponse{Error: err.Body})
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(c.PassedAnswer()) // copied into the response
}
