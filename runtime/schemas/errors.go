package schemas

// ErrorResponse is OpenAI's error body: {"error":{"message","type","param","code"}}
// (https://platform.openai.com/docs/guides/error-codes).
//
//easyjson:json
type ErrorResponse struct {
	Error ErrorBody `json:"error"`
}

// ErrorBody is the error object inside an ErrorResponse.
//
//easyjson:json
type ErrorBody struct {
	Message string     `json:"message"`
	Type    string     `json:"type"`
	Param   NullString `json:"param"`
	Code    NullString `json:"code"`
}

// Error types used by the gateway, as in OpenAI's API.
const (
	ErrInvalidRequest = "invalid_request_error"
	ErrAuthentication = "authentication_error"
	ErrPermission     = "permission_error"
	ErrNotFound       = "not_found_error"
	ErrRateLimit      = "rate_limit_error"
	ErrServer         = "server_error"
	ErrUpstream       = "upstream_error"
	ErrTimeout        = "timeout_error"
)
