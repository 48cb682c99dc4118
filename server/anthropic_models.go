package server

import (
	"strings"
	"time"

	"github.com/bifrost-gw/bifrost/adapters/anthropic"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// anthropicModels answers GET /anthropic/v1/models with every configured provider's models
// in Anthropic's list shape (https://docs.anthropic.com/en/api/models-list): ids are
// provider/model, as the Messages endpoint takes them, display_name is the id and
// created_at the provider's creation time (the Unix epoch when it gives none). The list
// is whole: has_more is false and paging parameters are ignored. With id set it answers
// GET /anthropic/v1/models/{id} with that model, or 404. Providers that fail are named in
// X-Bifrost-Models-Errors, as on /v1/models; when all fail the request fails with 502.
func (s *Server) anthropicModels(ctx *fasthttp.RequestCtx, id string) {
	list, errs := s.engine.ListModels()
	if len(errs) > 0 {
		var failed []string
		for _, e := range errs {
			failed = append(failed, e.Provider)
		}
		ctx.Response.Header.Set("X-Bifrost-Models-Errors", strings.Join(failed, ","))
		if len(list.Data) == 0 {
			writeAnthropicError(ctx, 502, "api_error", errs[0].Body.Message)
			return
		}
	}
	out := anthropic.ModelList{Data: make([]anthropic.ModelInfo, 0, len(list.Data))}
	for _, m := range list.Data {
		if id != "" && m.ID != id {
			continue
		}
		out.Data = append(out.Data, anthropic.ModelInfo{Type: "model", ID: m.ID, DisplayName: m.ID,
			CreatedAt: time.Unix(m.Created, 0).UTC().Format(time.RFC3339)})
	}
	var w jwriter.Writer
	switch {
	case id != "" && len(out.Data) == 0:
		writeAnthropicError(ctx, 404, "not_found_error", "model "+id+" is not served by this gateway")
		return
	case id != "":
		out.Data[0].MarshalEasyJSON(&w)
	default:
		if n := len(out.Data); n > 0 {
			out.FirstID, out.LastID = out.Data[0].ID, out.Data[n-1].ID
		}
		out.MarshalEasyJSON(&w)
	}
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
}
