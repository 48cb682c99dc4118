package grpcapi

import (
	pb "github.com/bifrost-gw/bifrost/proto/bifrost/v1"
	"github.com/bifrost-gw/bifrost/runtime/schemas"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// code returns the gRPC status code of an error the HTTP API answers with status and
// body: the codes of https://grpc.io/docs/guides/status-codes/ that match HTTP's meaning,
// ResourceExhausted for a request over the size limit, and NotFound for an unknown model or provider (which HTTP, as OpenAI, answers with 400,
// or 403 and 404 from a provider).
func code(httpStatus int, body *schemas.ErrorBody) codes.Code {
	switch body.Code {
	case "unknown_model", "unknown_provider", "model_not_found":
		return codes.NotFound
	case "insufficient_quota", "request_too_large":
		return codes.ResourceExhausted
	}
	switch httpStatus {
	case 400, 405, 409, 413, 415, 422, 431:
		return codes.InvalidArgument
	case 401:
		return codes.Unauthenticated
	case 402, 403:
		return codes.PermissionDenied
	case 404:
		return codes.NotFound
	case 408, 504:
		return codes.DeadlineExceeded
	case 429:
		return codes.ResourceExhausted
	case 499:
		return codes.Canceled
	case 501:
		return codes.Unimplemented
	case 502, 503, 529:
		return codes.Unavailable
	}
	if httpStatus >= 400 && httpStatus < 500 {
		return codes.FailedPrecondition
	}
	return codes.Internal
}

// statusError is the gRPC status of an error the HTTP API answers with httpStatus and
// body: the code (see code), the message, and an ErrorInfo detail with the error's type,
// code and param, the HTTP status and Retry-After.
func statusError(httpStatus int, body *schemas.ErrorBody, retryAfterSec int) error {
	st := status.New(code(httpStatus, body), body.Message)
	info := &pb.ErrorInfo{Type: body.Type, Code: string(body.Code), Param: string(body.Param),
		HttpStatus: int32(httpStatus), RetryAfterSeconds: int32(retryAfterSec)}
	if d, err := st.WithDetails(info); err == nil {
		st = d
	}
	return st.Err()
}

// newError is statusError for an error the service makes itself.
func newError(httpStatus int, typ, errCode, msg string) error {
	return statusError(httpStatus, &schemas.ErrorBody{Message: msg, Type: typ, Code: schemas.NullString(errCode)}, 0)
}
