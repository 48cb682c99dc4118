package server

import (
	"github.com/bifrost-gw/bifrost/responses"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// storedResponse returns the stored response id. When there is none it answers with the
// provider that may have stored it (forwardLookup; 404 when none has it), or 503 when the
// store fails.
func (s *Server) storedResponse(ctx *fasthttp.RequestCtx, id string) (responses.Record, bool) {
	rec, ok, err := s.responseStore().Get(ctx, id)
	if err != nil {
		writeError(ctx, 503, schemas.ErrServer, "store_unavailable", "", "the response store is unavailable: "+err.Error())
		return rec, false
	}
	if !ok {
		s.forwardLookup(ctx, id)
		return rec, false
	}
	return rec, true
}

// getResponse answers GET /v1/responses/{id}.
func (s *Server) getResponse(ctx *fasthttp.RequestCtx, id string) {
	rec, ok := s.storedResponse(ctx, id)
	if !ok {
		return
	}
	ctx.SetContentType("application/json")
	ctx.SetBody(rec.Response)
}

// deleteResponse answers DELETE /v1/responses/{id}.
func (s *Server) deleteResponse(ctx *fasthttp.RequestCtx, id string) {
	ok, err := s.responseStore().Delete(ctx, id)
	if err != nil {
		writeError(ctx, 503, schemas.ErrServer, "store_unavailable", "", "the response store is unavailable: "+err.Error())
		return
	}
	if !ok {
		s.forwardLookup(ctx, id)
		return
	}
	var w jwriter.Writer
	w.RawString(`{"id":`)
	w.String(id)
	w.RawString(`,"object":"response.deleted","deleted":true}`)
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
}

// inputItems answers GET /v1/responses/{id}/input_items: one page of the request's input
// items (responses_items.go).
func (s *Server) inputItems(ctx *fasthttp.RequestCtx, id string) {
	rec, ok := s.storedResponse(ctx, id)
	if !ok {
		return
	}
	q, ok := parseItemsQuery(ctx)
	if !ok {
		return
	}
	items, err := responses.SplitItems(rec.Input)
	if err != nil {
		writeError(ctx, 500, schemas.ErrServer, "store_corrupt", "", "the stored input does not decode: "+err.Error())
		return
	}
	var w jwriter.Writer
	writeItemsPage(&w, items, id, q)
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
}
