package server

import (
	"strings"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// models answers GET /v1/models with every configured provider's models as provider/model
// ids. Providers that fail to answer are left out and named in the X-Bifrost-Models-Errors
// header; when all fail the request fails with 502.
func (s *Server) models(ctx *fasthttp.RequestCtx) {
	list, errs := s.engine.ListModels()
	if len(errs) > 0 {
		var failed []string
		for _, e := range errs {
			failed = append(failed, e.Provider)
		}
		ctx.Response.Header.Set("X-Bifrost-Models-Errors", strings.Join(failed, ","))
		if len(list.Data) == 0 {
			body := schemas.ErrorResponse{Error: errs[0].Body}
			writeErrorBody(ctx, 502, &body)
			return
		}
	}
	var w jwriter.Writer
	list.MarshalEasyJSON(&w)
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
}
