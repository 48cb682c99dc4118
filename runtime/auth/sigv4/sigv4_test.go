package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// AWS's Signature Version 4 test suite (aws-sig-v4-test-suite, published with
// https://docs.aws.amazon.com/general/latest/gr/signature-v4-test-suite.html): credentials
// AKIDEXAMPLE, region us-east-1, service "service", signed at 20150830T123600Z. Each case
// is the request line and headers of its .req file and the signature of its .authz file.
const (
	vecAccessKey = "AKIDEXAMPLE"
	vecSecret    = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	vecToken     = "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
	vecScope     = "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
)

var vecTime = time.Date(2015, 8, 30, 12, 36, 0, 0, time.UTC)

func TestSigV4TestSuite(t *testing.T) {
	cases := []struct {
		name, method, uri string
		headers           [][2]string
		token             string
		want              string // SignedHeaders=..., Signature=...
	}{
		{"get-vanilla", "GET", "/", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"},
		{"post-vanilla", "POST", "/", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"},
		{"get-vanilla-query-order-key-case", "GET", "/?Param2=value2&Param1=value1", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"},
		{"get-vanilla-query-order-value", "GET", "/?Param1=value2&Param1=value1", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=5772eed61e12b33fae39ee5e7012498b51d56abc0abb7c60486157bd471c4694"},
		{"get-vanilla-query-order-key", "GET", "/?Param1=value2&Param1=Value1", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1"},
		{"get-vanilla-empty-query-key", "GET", "/?Param1=value1", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=a67d582fa61cc504c4bae71f336f98b97f1ea3c7a6bfe1b6e45aec72011b9aeb"},
		{"get-vanilla-query-unreserved", "GET", "/?-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz=-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197"},
		{"get-vanilla-utf8-query", "GET", "/?ሴ=bar", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04"},
		{"get-unreserved", "GET", "/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", nil, "",
			"SignedHeaders=host;x-amz-date, Signature=07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f"},
		{"post-header-value-case", "POST", "/", [][2]string{{"My-Header1", "VALUE1"}}, "",
			"SignedHeaders=host;my-header1;x-amz-date, Signature=cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d"},
		{"get-header-value-trim", "GET", "/", [][2]string{{"My-Header1", "value1"}, {"My-Header2", `"a   b   c"`}}, "",
			"SignedHeaders=host;my-header1;my-header2;x-amz-date, Signature=acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736"},
		{"get-header-key-duplicate", "GET", "/", [][2]string{{"My-Header1", "value2"}, {"My-Header1", "value2"}, {"My-Header1", "value1"}}, "",
			"SignedHeaders=host;my-header1;x-amz-date, Signature=c9d5ea9f3f72853aea855b47ea873832890dbdd183b4468f858259531a5138ea"},
		{"get-header-value-order", "GET", "/", [][2]string{{"My-Header1", "value4"}, {"My-Header1", "value1"}, {"My-Header1", "value3"}, {"My-Header1", "value2"}}, "",
			"SignedHeaders=host;my-header1;x-amz-date, Signature=08c7e5a9acfcfeb3ab6b2185e75ce8b1deb5e634ec47601a50643f830c755c01"},
		// post-sts-token/post-sts-header-after: the session token is added and signed.
		{"post-sts-header-after", "POST", "/", nil, vecToken,
			"SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := New(vecAccessKey, vecSecret, c.token, "us-east-1", "service")
			var req fasthttp.Request
			req.Header.DisableNormalizing()
			req.SetRequestURI("https://example.amazonaws.com" + c.uri)
			req.URI().DisablePathNormalizing = true
			req.Header.SetMethod(c.method)
			for _, h := range c.headers {
				req.Header.Add(h[0], h[1])
			}
			if err := s.Authorize(&req, vecTime); err != nil {
				t.Fatal(err)
			}
			if got, want := string(req.Header.Peek("Authorization")), vecScope+c.want; got != want {
				t.Errorf("Authorization\n got %s\nwant %s", got, want)
			}
			if got := string(req.Header.Peek("X-Amz-Date")); got != "20150830T123600Z" {
				t.Errorf("X-Amz-Date = %q", got)
			}
			// Signing again (a retry) gives the same header, not a second one.
			if err := s.Authorize(&req, vecTime); err != nil {
				t.Fatal(err)
			}
			n := 0
			req.Header.VisitAll(func(k, _ []byte) {
				if strings.EqualFold(string(k), "authorization") {
					n++
				}
			})
			if n != 1 || string(req.Header.Peek("Authorization")) != vecScope+c.want {
				t.Errorf("after a second signature: %d Authorization headers, %s", n, req.Header.Peek("Authorization"))
			}
		})
	}
}

// TestSigV4Bedrock pins a Converse request's canonical form: the model id's ":" is escaped
// once on the wire (%3A) and once more in the canonical URI (%253A), as AWS's SDKs sign
// non-S3 requests, and the body's hash is signed. The signature is computed independently
// in sigv4Reference.
func TestSigV4Bedrock(t *testing.T) {
	s := New(vecAccessKey, vecSecret, "", "us-east-1", "bedrock")
	var req fasthttp.Request
	req.SetRequestURI("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.Header.Set("Accept", "application/json")
	body := `{"messages":[{"role":"user","content":[{"text":"Hello"}]}]}`
	req.SetBodyString(body)
	if err := s.Authorize(&req, vecTime); err != nil {
		t.Fatal(err)
	}
	creq := "POST\n/model/anthropic.claude-3-5-sonnet-20240620-v1%253A0/converse\n\n" +
		"accept:application/json\ncontent-type:application/json\nhost:bedrock-runtime.us-east-1.amazonaws.com\nx-amz-date:20150830T123600Z\n\n" +
		"accept;content-type;host;x-amz-date\n" + sha256Hex(body)
	want := "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/bedrock/aws4_request, SignedHeaders=accept;content-type;host;x-amz-date, Signature=" +
		sigv4Reference(vecSecret, "20150830T123600Z", "us-east-1", "bedrock", creq)
	if got := string(req.Header.Peek("Authorization")); got != want {
		t.Errorf("Authorization\n got %s\nwant %s", got, want)
	}
	if got := string(req.URI().PathOriginal()); !strings.Contains(got, "v1%3A0") {
		t.Errorf("the path sent changed: %s", got)
	}
}

func TestSigV4SessionTokenAndAllocs(t *testing.T) {
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
	if got := string(req.Header.Peek("X-Amz-Security-Token")); got != "token-1" {
		t.Errorf("X-Amz-Security-Token = %q", got)
	}
	if !strings.Contains(string(req.Header.Peek("Authorization")), "x-amz-security-token") {
		t.Errorf("the session token is not signed: %s", req.Header.Peek("Authorization"))
	}
}

func BenchmarkSigV4(b *testing.B) {
	s := New("AKID", "secret", "", "us-east-1", "bedrock")
	var req fasthttp.Request
	req.SetRequestURI("https://bedrock-runtime.us-east-1.amazonaws.com/model/anthropic.claude-3-5-sonnet-20240620-v1%3A0/converse")
	req.URI().DisablePathNormalizing = true
	req.Header.SetMethod("POST")
	req.Header.SetContentType("application/json")
	req.Header.Set("Accept", "application/json")
	req.SetBody(make([]byte, 1024))
	now := time.Now()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if err := s.Authorize(&req, now); err != nil {
			b.Fatal(err)
		}
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sigv4Reference signs a canonical request the plain way, with crypto/hmac, as the SigV4
// documentation spells it out.
func sigv4Reference(secret, amzDate, region, service, creq string) string {
	mac := func(key []byte, data string) []byte {
		h := hmac.New(sha256.New, key)
		h.Write([]byte(data))
		return h.Sum(nil)
	}
	day := amzDate[:8]
	sts := "AWS4-HMAC-SHA256\n" + amzDate + "\n" + day + "/" + region + "/" + service + "/aws4_request\n" + sha256Hex(creq)
	k := mac(mac(mac(mac([]byte("AWS4"+secret), day), region), service), "aws4_request")
	return hex.EncodeToString(mac(k, sts))
}
