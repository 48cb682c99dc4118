package server

import (
	"bytes"
	"errors"
	"io"
	"net"
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"github.com/mailru/easyjson/jlexer"
	"github.com/mailru/easyjson/jwriter"
	"github.com/valyala/fasthttp"
)

// writeError answers with OpenAI's error body.
func writeError(ctx *fasthttp.RequestCtx, status int, typ, code, param, msg string) {
	body := schemas.ErrorResponse{Error: schemas.ErrorBody{Message: msg, Type: typ, Code: schemas.NullString(code), Param: schemas.NullString(param)}}
	writeErrorBody(ctx, status, &body)
}

func writeErrorBody(ctx *fasthttp.RequestCtx, status int, body *schemas.ErrorResponse) {
	var w jwriter.Writer
	body.MarshalEasyJSON(&w)
	ctx.Response.Reset()
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	w.DumpTo(ctx) //nolint:errcheck // writing to the response buffer cannot fail
}

// decodeError describes a request body that does not decode, with the byte offset.
func decodeError(ctx *fasthttp.RequestCtx, err error, size int) {
	msg := "invalid JSON in request body"
	var le *jlexer.LexerError
	switch {
	case errors.As(err, &le):
		msg += ": " + le.Reason + " at byte offset " + strconv.Itoa(le.Offset)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		msg += ": unexpected end of input at byte offset " + strconv.Itoa(size)
	default:
		msg += ": " + err.Error()
	}
	writeError(ctx, 400, schemas.ErrInvalidRequest, "invalid_json", "", msg)
}

// writeBadRequest answers requests fasthttp itself rejects, in OpenAI's error shape: a body
// over the limit (413), headers over the read buffer (431), a slow request (408), anything
// else that does not parse as HTTP (400).
func writeBadRequest(ctx *fasthttp.RequestCtx, err error) {
	var small *fasthttp.ErrSmallBuffer
	var netErr *net.OpError
	if bytes.HasPrefix(ctx.Path(), anthropicPrefix) {
		// The headers parsed far enough to show the route: answer in its format.
		switch {
		case errors.Is(err, fasthttp.ErrBodyTooLarge):
			writeAnthropicError(ctx, 413, "request_too_large", "request body is larger than the gateway's limit (client.max_request_body_size_mb)")
		case errors.As(err, &netErr) && netErr.Timeout():
			writeAnthropicError(ctx, 408, "invalid_request_error", "the request was not received in time")
		default:
			writeAnthropicError(ctx, 400, "invalid_request_error", "malformed HTTP request")
		}
		return
	}
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		writeError(ctx, 413, schemas.ErrInvalidRequest, "request_too_large", "", "request body is larger than the gateway's limit (client.max_request_body_size_mb)")
	case errors.As(err, &small):
		writeError(ctx, 431, schemas.ErrInvalidRequest, "headers_too_large", "", "request headers are larger than the gateway's limit")
	case errors.As(err, &netErr) && netErr.Timeout():
		writeError(ctx, 408, schemas.ErrInvalidRequest, "request_timeout", "", "the request was not received in time")
	default:
		writeError(ctx, 400, schemas.ErrInvalidRequest, "bad_request", "", "malformed HTTP request")
	}
}
