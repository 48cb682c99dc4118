package mocks

import (
	"strconv"

	"github.com/valyala/fasthttp"
)

// mockModel is one entry of the model list.
type mockModel struct {
	id      string
	created int64
}

// mockModels are the models GET /v1/models lists. Any other model name is
// accepted too: every route echoes the model it is asked for.
var mockModels = [...]mockModel{
	{"gpt-4o", 1715367049},
	{"gpt-4o-mini", 1721172741},
	{"gpt-4.1", 1744316542},
	{"gpt-3.5-turbo-instruct", 1692901427},
	{"text-embedding-3-small", 1705948997},
	{"text-embedding-3-large", 1705953180},
}

// modelCreated is the created time reported for a model not in mockModels.
const modelCreated = 1700000000

// appendModel appends one model object.
func appendModel(dst []byte, id string, created int64) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendJSONString(dst, id)
	dst = append(dst, `,"object":"model","created":`...)
	dst = strconv.AppendInt(dst, created, 10)
	return append(dst, `,"owned_by":"system"}`...)
}

// newModelList returns the body of GET /v1/models.
func newModelList() []byte {
	b := []byte(`{"object":"list","data":[`)
	for i, m := range mockModels {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendModel(b, m.id, m.created)
	}
	return append(b, "]}"...)
}

// serveModels answers GET /v1/models.
func (s *Server) serveModels(ctx *fasthttp.RequestCtx) {
	ctx.SetContentType(contentTypeJSON)
	ctx.Response.SetBody(s.modelList)
}

// serveModel answers GET /v1/models/{model}, for any model name.
func (s *Server) serveModel(ctx *fasthttp.RequestCtx, id []byte) {
	created := int64(modelCreated)
	for _, m := range mockModels {
		if m.id == string(id) {
			created = m.created
		}
	}
	ctx.SetContentType(contentTypeJSON)
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = appendModel(buf, string(id), created)
	ctx.Response.SwapBody(buf)
}
