//go:build !race

package sigv4

import (
	"testing"

	"github.com/valyala/fasthttp"
)

func TestSigV4Allocs(t *testing.T) {
	if testing.CoverMode() != "" {
		t.Skip("coverage instrumentation allocates")
	}
	s := New("AKID", "secret", "token-1", "us-east-1", "bedrock")
	var req fasthttp.Request
	req.SetRequestURI("https://bedrock-runtime.us-east-1.amazonaws.com/model/amazon.nova-lite-v1%3A0/converse")
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.SetBodyString(`{"messages":[]}`)
	if err := s.Authorize(&req, vecTime); err != nil {
		t.Fatal(err)
	}
	if n := testing.AllocsPerRun(100, func() { s.Authorize(&req, vecTime) }); n != 0 { //nolint:errcheck // checked above
		t.Errorf("allocs per signature = %v, want 0", n)
	}
}
