package runtime

import (
	"strconv"

	"github.com/bifrost-gw/bifrost/runtime/schemas"
)

// Error is a request's failure: the HTTP status to answer with and the OpenAI-shaped body.
// It never holds a key.
type Error struct {
	Status int
	Body   schemas.ErrorBody
	// Provider is the provider that failed, if any.
	Provider string
	// Retryable says the failure is of a class worth retrying or falling back on.
	Retryable bool
	// RetryAfterSec is the provider's Retry-After, in seconds, or 0.
	RetryAfterSec int
}

func (e *Error) Error() string {
	if e.Provider != "" {
		return e.Provider + ": " + e.Body.Message + " (HTTP " + strconv.Itoa(e.Status) + ")"
	}
	return e.Body.Message + " (HTTP " + strconv.Itoa(e.Status) + ")"
}

func (e *Error) set(status int, typ, code, param, msg string) *Error {
	*e = Error{Status: status, Body: schemas.ErrorBody{Message: msg, Type: typ, Code: schemas.NullString(code), Param: schemas.NullString(param)}}
	return e
}

// retryableStatus reports whether an upstream status is worth retrying or falling back on:
// request timeout, rate limit, server errors and Anthropic's overloaded (529).
func retryableStatus(status int) bool {
	switch status {
	case 408, 429, 500, 502, 503, 504, 529:
		return true
	}
	return false
}

// tooLarge is the error for a provider response over max_response_body_mb. fasthttp closed
// the connection rather than read the rest. It is final: the same request would most
// likely get the same answer.
func (c *Call) tooLarge(p *providerState) *Error {
	err := c.Err.set(502, schemas.ErrUpstream, "upstream_response_too_large", "",
		"provider "+p.name+" sent a response larger than the gateway's limit of "+sizeString(p.maxBody)+
			" (network_config.max_response_body_mb): it was not read further")
	err.Provider = p.name
	return err
}

// sizeString writes n bytes in the largest whole unit: "4 MiB", "512 KiB" or "100 bytes".
func sizeString(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	case n >= 1<<10 && n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + " KiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
