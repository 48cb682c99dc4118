package runtime

import "testing"

// TestResponsesNeedsPassthrough: a native Responses call without the client's body is
// refused, not sent with an empty body.
func TestResponsesNeedsPassthrough(t *testing.T) {
	var c Call
	for _, err := range []*Error{(&Engine{}).Responses(&c, "openai/m", "", nil), (&Engine{}).ResponsesStream(&c, "openai/m", "", nil)} {
		if err == nil || err.Status != 500 || err.Body.Code != "not_passthrough" {
			t.Errorf("got %+v", err)
		}
	}
}
