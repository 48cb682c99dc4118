// Package sigv4 signs HTTP requests with AWS Signature Version 4
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html).
//
// The signer is hand-written on purpose, not the AWS SDK's (aws-sdk-go-v2's v4.Signer): it
// signs a fasthttp request in place and allocates nothing in steady state (the derived key is
// cached per day, the canonical request is built in pooled scratch buffers), where the SDK
// builds a net/http request and allocates per signature. It is tested against AWS's published
// Signature Version 4 test suite (sigv4_test.go) and asserts zero allocations per signature
// (alloc_test.go).
package sigv4

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// AWS Signature Version 4 (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-create-signed-request.html),
// checked against AWS's published test suite (sigv4_test.go). The request is signed as the
// runtime sends it: the path exactly as written on the wire (the client does not normalize
// paths), every header but the few that proxies or the client rewrite, and the SHA-256 of the
// body. Signing allocates nothing in steady state: the derived key is cached per day and the
// canonical request is built in pooled scratch buffers.

// sigv4Skip lists the headers that are not signed (as AWS's SDKs skip them): the client
// sets or changes them after signing, or proxies may.
var sigv4Skip = [...]string{"authorization", "user-agent", "content-length", "connection", "expect",
	"transfer-encoding", "x-amzn-trace-id"}

// Signer signs requests with one set of AWS credentials for one region and service.
type Signer struct {
	accessKey, secret, token, region, service string
	key                                       atomic.Pointer[sigKey]
	scratch                                   sync.Pool // *sigScratch
}

// sigKey is the signing key derived for one day (yyyymmdd).
type sigKey struct {
	day [8]byte
	key [32]byte
}

// sigScratch holds the buffers of one signature.
type sigScratch struct {
	hdrs  []sigHeader
	names []byte // lower-cased header names
	query []byte // encoded query parameters
	qs    []sigParam
	buf   []byte // the canonical request, then the HMAC input, then the header value
}

type sigHeader struct {
	name  []byte // lower-case, in names
	value []byte // as sent, borrowed from the request
}

type sigParam struct{ k0, k1, v1 int } // key query[k0:k1], value query[k1:v1]

// New returns the signer of one set of AWS credentials (session token optional) for
// region and service (e.g. "bedrock").
func New(accessKey, secret, token, region, service string) *Signer {
	s := &Signer{accessKey: accessKey, secret: secret, token: token, region: region, service: service}
	s.scratch.New = func() any { return &sigScratch{buf: make([]byte, 0, 2048)} }
	return s
}

// signingKey returns the key for day (yyyymmdd), deriving it when the day changed:
// HMAC(HMAC(HMAC(HMAC("AWS4"+secret, day), region), service), "aws4_request").
func (s *Signer) signingKey(day []byte) *[32]byte {
	if k := s.key.Load(); k != nil && string(k.day[:]) == string(day) {
		return &k.key
	}
	mac := func(key, data []byte) []byte {
		h := hmac.New(sha256.New, key)
		h.Write(data)
		return h.Sum(nil)
	}
	k := &sigKey{}
	copy(k.day[:], day)
	d := mac([]byte("AWS4"+s.secret), k.day[:])
	d = mac(d, []byte(s.region))
	d = mac(d, []byte(s.service))
	copy(k.key[:], mac(d, []byte("aws4_request")))
	s.key.Store(k)
	return &k.key
}

// Authorize signs req as sent at now: it sets X-Amz-Date, X-Amz-Security-Token (with a
// session token) and Authorization. The body must be final.
func (s *Signer) Authorize(req *fasthttp.Request, now time.Time) error {
	var date [16]byte
	amzDate := now.UTC().AppendFormat(date[:0], "20060102T150405Z")
	req.Header.Del(fasthttp.HeaderAuthorization)
	req.Header.SetBytesV("X-Amz-Date", amzDate)
	if s.token != "" {
		req.Header.Set("X-Amz-Security-Token", s.token)
	}
	sc := s.scratch.Get().(*sigScratch)
	defer s.scratch.Put(sc)
	if err := sc.collect(req); err != nil {
		return err
	}
	// Canonical request: method, URI, query, headers, signed headers, payload hash.
	b := append(sc.buf[:0], req.Header.Method()...)
	b = append(b, '\n')
	path := req.URI().PathOriginal()
	if len(path) == 0 {
		b = append(b, '/')
	}
	for _, c := range path {
		if c == '/' || unreserved(c) {
			b = append(b, c)
		} else {
			b = appendPct(b, c)
		}
	}
	b = append(b, '\n')
	b = sc.appendQuery(b, req.URI().QueryString())
	b = append(b, '\n')
	b = sc.appendHeaders(b, true)
	b = append(b, '\n')
	signedAt := len(b)
	b = sc.appendHeaders(b, false)
	signedEnd := len(b)
	b = append(b, '\n')
	sum := sha256.Sum256(req.Body())
	b = hex.AppendEncode(b, sum[:])
	creq := sha256.Sum256(b)

	// String to sign, after the 64-byte HMAC pad: the canonical request is no longer needed,
	// but its signed-headers list is, so the HMAC input goes after it.
	key := s.signingKey(amzDate[:8])
	in := len(b)
	var pad [64]byte
	for i := range pad {
		pad[i] = 0x36
		if i < len(key) {
			pad[i] ^= key[i]
		}
	}
	b = append(b, pad[:]...)
	b = append(b, "AWS4-HMAC-SHA256\n"...)
	b = append(b, amzDate...)
	b = append(b, '\n')
	b = s.appendScope(b, amzDate[:8])
	b = append(b, '\n')
	b = hex.AppendEncode(b, creq[:])
	inner := sha256.Sum256(b[in:])
	var outer [96]byte
	for i := 0; i < 64; i++ {
		outer[i] = pad[i] ^ 0x36 ^ 0x5c
	}
	copy(outer[64:], inner[:])
	sig := sha256.Sum256(outer[:])

	b = s.appendAuthorization(b[:in], amzDate[:8], b[signedAt:signedEnd], sig[:])
	req.Header.SetBytesV(fasthttp.HeaderAuthorization, b[in:])
	sc.buf = b
	return nil
}

// appendAuthorization appends the Authorization header's value to b: the credential scope of
// day, the signed header names and the signature. signed may be part of b before len(b)
// (the canonical request's), never past it.
func (s *Signer) appendAuthorization(b, day, signed, sig []byte) []byte {
	b = append(b, "AWS4-HMAC-SHA256 Credential="...)
	b = append(b, s.accessKey...)
	b = append(b, '/')
	b = s.appendScope(b, day)
	b = append(b, ", SignedHeaders="...)
	b = append(b, signed...)
	b = append(b, ", Signature="...)
	return hex.AppendEncode(b, sig)
}

// appendScope appends the credential scope: day/region/service/aws4_request.
func (s *Signer) appendScope(b, day []byte) []byte {
	b = append(b, day...)
	b = append(b, '/')
	b = append(b, s.region...)
	b = append(b, '/')
	b = append(b, s.service...)
	return append(b, "/aws4_request"...)
}

// collect gathers the headers to sign, sorted by lower-case name (stably, so repeated
// headers keep their order), with the host the client will send.
func (sc *sigScratch) collect(req *fasthttp.Request) error {
	sc.hdrs, sc.names = sc.hdrs[:0], sc.names[:0]
	host := req.Header.Host()
	if len(host) == 0 {
		host = req.URI().Host()
	}
	if len(host) == 0 {
		return errors.New("sigv4: the request has no host")
	}
	sc.add([]byte("host"), host)
	req.Header.VisitAll(func(k, v []byte) {
		sc.add(k, v)
	})
	// Names point into sc.names, which may have moved while growing: fix them up.
	off := 0
	for i := range sc.hdrs {
		n := len(sc.hdrs[i].name)
		sc.hdrs[i].name = sc.names[off : off+n]
		off += n
	}
	for i := 1; i < len(sc.hdrs); i++ {
		for j := i; j > 0 && string(sc.hdrs[j].name) < string(sc.hdrs[j-1].name); j-- {
			sc.hdrs[j], sc.hdrs[j-1] = sc.hdrs[j-1], sc.hdrs[j]
		}
	}
	return nil
}

// add records a header unless it is one that is not signed (or the host, added first).
func (sc *sigScratch) add(k, v []byte) {
	start := len(sc.names)
	for _, c := range k {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		sc.names = append(sc.names, c)
	}
	name := sc.names[start:]
	if len(sc.hdrs) > 0 && string(name) == "host" {
		sc.names = sc.names[:start]
		return
	}
	for _, s := range sigv4Skip {
		if string(name) == s {
			sc.names = sc.names[:start]
			return
		}
	}
	sc.hdrs = append(sc.hdrs, sigHeader{name: name, value: v})
}

// appendHeaders appends the canonical headers ("name:value\n", values of a repeated name
// joined with ",", spaces trimmed and runs of spaces folded), or with names only the signed
// headers list ("a;b;c").
func (sc *sigScratch) appendHeaders(b []byte, values bool) []byte {
	for i, h := range sc.hdrs {
		same := i > 0 && string(sc.hdrs[i-1].name) == string(h.name)
		switch {
		case !values && same:
			continue
		case !values:
			if i > 0 {
				b = append(b, ';')
			}
			b = append(b, h.name...)
			continue
		case same:
			b = append(b[:len(b)-1], ',') // replace the previous line's "\n"
		default:
			b = append(b, h.name...)
			b = append(b, ':')
		}
		b = appendTrimmed(b, h.value)
		b = append(b, '\n')
	}
	return b
}

// appendTrimmed appends v without leading and trailing spaces and with runs of spaces folded
// into one.
func appendTrimmed(b, v []byte) []byte {
	space := false
	start := len(b)
	for _, c := range v {
		if c == ' ' || c == '\t' {
			space = true
			continue
		}
		if space && len(b) > start {
			b = append(b, ' ')
		}
		space = false
		b = append(b, c)
	}
	return b
}

// appendQuery appends the canonical query string: each name and value URI-encoded (after
// decoding what the URL encoded), sorted by name then value, joined with "&".
func (sc *sigScratch) appendQuery(b, q []byte) []byte {
	sc.query, sc.qs = sc.query[:0], sc.qs[:0]
	for len(q) > 0 {
		var kv []byte
		if i := indexByte(q, '&'); i >= 0 {
			kv, q = q[:i], q[i+1:]
		} else {
			kv, q = q, nil
		}
		if len(kv) == 0 {
			continue
		}
		k, v := kv, []byte(nil)
		if i := indexByte(kv, '='); i >= 0 {
			k, v = kv[:i], kv[i+1:]
		}
		p := sigParam{k0: len(sc.query)}
		sc.query = appendURIEncoded(sc.query, k)
		p.k1 = len(sc.query)
		sc.query = appendURIEncoded(sc.query, v)
		p.v1 = len(sc.query)
		sc.qs = append(sc.qs, p)
	}
	less := func(a, b sigParam) bool {
		ka, kb := string(sc.query[a.k0:a.k1]), string(sc.query[b.k0:b.k1])
		if ka != kb {
			return ka < kb
		}
		return string(sc.query[a.k1:a.v1]) < string(sc.query[b.k1:b.v1])
	}
	for i := 1; i < len(sc.qs); i++ {
		for j := i; j > 0 && less(sc.qs[j], sc.qs[j-1]); j-- {
			sc.qs[j], sc.qs[j-1] = sc.qs[j-1], sc.qs[j]
		}
	}
	for i, p := range sc.qs {
		if i > 0 {
			b = append(b, '&')
		}
		b = append(b, sc.query[p.k0:p.k1]...)
		b = append(b, '=')
		b = append(b, sc.query[p.k1:p.v1]...)
	}
	return b
}

// appendURIEncoded decodes the percent-escapes (and "+") of a query component and appends
// it URI-encoded as SigV4 wants: unreserved bytes as they are, every other byte as %XX.
func appendURIEncoded(b, s []byte) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '%' && i+2 < len(s) && isHexDigit(s[i+1]) && isHexDigit(s[i+2]):
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		case c == '+':
			c = ' '
		}
		if unreserved(c) {
			b = append(b, c)
		} else {
			b = appendPct(b, c)
		}
	}
	return b
}

func appendPct(b []byte, c byte) []byte {
	const hexDigits = "0123456789ABCDEF"
	return append(b, '%', hexDigits[c>>4], hexDigits[c&15])
}

func isHexDigit(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	default:
		return c - '0'
	}
}

func indexByte(b []byte, c byte) int {
	for i, x := range b {
		if x == c {
			return i
		}
	}
	return -1
}

// String describes the signer without its secrets.
func (s *Signer) String() string {
	return "sigv4(" + s.region + ", " + s.service + ")"
}

// unreserved reports whether c may appear in a path segment as it is (RFC 3986, section
// 2.3); everything else is percent-encoded in the canonical URI.
func unreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
