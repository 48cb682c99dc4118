package mocks

import (
	"github.com/valyala/fasthttp"
)

// apiError is an error answered in OpenAI's format:
//
//	{"error":{"message":...,"type":...,"param":...,"code":...}}
//
// An empty param or code is written as null.
type apiError struct {
	status  int
	message string
	typ     string
	param   string
	code    string
}

func (e *apiError) Error() string { return e.message }

const (
	typeInvalidRequest = "invalid_request_error"
	typeServerError    = "server_error"
)

// invalidJSON is the 400 for a body that is not valid JSON.
func invalidJSON(detail string) *apiError {
	msg := "We could not parse the JSON body of your request. The OpenAI API expects a JSON payload, but what was sent was not valid JSON."
	if detail != "" {
		msg += " " + detail
	}
	return &apiError{status: fasthttp.StatusBadRequest, message: msg, typ: typeInvalidRequest}
}

// invalidParam is a 400 about one request parameter.
func invalidParam(param, message string) *apiError {
	return &apiError{
		status:  fasthttp.StatusBadRequest,
		message: message,
		typ:     typeInvalidRequest,
		param:   param,
		code:    "invalid_value",
	}
}

// missingParam is the 400 for a required parameter that is absent.
func missingParam(param string) *apiError {
	return &apiError{
		status:  fasthttp.StatusBadRequest,
		message: "Missing required parameter: '" + param + "'.",
		typ:     typeInvalidRequest,
		param:   param,
		code:    "missing_required_parameter",
	}
}

// statusError returns the error answered for an injected failure with
// the given status code. It allocates nothing.
func statusError(status int) apiError {
	e := apiError{status: status, typ: typeInvalidRequest}
	switch status {
	case fasthttp.StatusUnauthorized:
		e.message = "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
		e.code = "invalid_api_key"
	case fasthttp.StatusTooManyRequests:
		e.message = "Rate limit reached for requests. Please try again in 1s. (injected by bifrost-mock)"
		e.typ = "requests"
		e.code = "rate_limit_exceeded"
	case fasthttp.StatusInternalServerError:
		e.message = "The server had an error while processing your request. Sorry about that! (injected by bifrost-mock)"
		e.typ = typeServerError
	case fasthttp.StatusServiceUnavailable:
		e.message = "The engine is currently overloaded, please try again later. (injected by bifrost-mock)"
		e.typ = typeServerError
	default:
		e.message = "The mock provider injected this failure. (injected by bifrost-mock)"
		if status >= 500 {
			e.typ = typeServerError
		}
	}
	return e
}

// writeError answers ctx with e. A 429 also gets "Retry-After: 1".
func writeError(ctx *fasthttp.RequestCtx, e *apiError) {
	ctx.SetStatusCode(e.status)
	ctx.SetContentType(contentTypeJSON)
	if e.status == fasthttp.StatusTooManyRequests {
		ctx.Response.Header.Set("Retry-After", "1")
	}
	buf := ctx.Response.SwapBody(nil)[:0]
	buf = append(buf, `{"error":{"message":`...)
	buf = appendJSONString(buf, e.message)
	buf = append(buf, `,"type":`...)
	buf = appendJSONString(buf, e.typ)
	buf = append(buf, `,"param":`...)
	buf = appendNullableString(buf, e.param)
	buf = append(buf, `,"code":`...)
	buf = appendNullableString(buf, e.code)
	buf = append(buf, "}}"...)
	ctx.Response.SwapBody(buf)
}

// appendNullableString appends s as a JSON string, or null when s is empty.
func appendNullableString(dst []byte, s string) []byte {
	if s == "" {
		return append(dst, "null"...)
	}
	return appendJSONString(dst, s)
}
