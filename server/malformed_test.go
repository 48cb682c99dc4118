package server

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
)

// TestMalformedRequestQuotesNoCredential sends requests whose head fasthttp cannot parse,
// carrying credentials, over a real socket to the production server settings: fasthttp
// quotes a malformed head in its error ("contents: ...") unless told not to, and that text
// reaches the log and the 400's message.
func TestMalformedRequestQuotesNoCredential(t *testing.T) {
	const secret = "sk-malformed-head-secret-0123456789"
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	g := newGateway(t, "", mocks.Config{}, log)
	hs := g.srv.NewHTTPServer(1 << 20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go hs.Serve(ln)                     //nolint:errcheck // ends at Shutdown
	t.Cleanup(func() { hs.Shutdown() }) //nolint:errcheck
	for _, head := range []string{
		"POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + secret + "\r\nbad header line\r\n\r\n",
		"POST /v1/chat/completions HTTP/1.1\r\nx-api-key: " + secret + "\r\n\r\n", // HTTP/1.1 without Host
		"GARBAGE\x00 / HTTP/1.1\r\nHost: x\r\nx-bf-provider-key: " + secret + "\r\n\r\n",
	} {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		c.SetDeadline(time.Now().Add(5 * time.Second)) //nolint:errcheck
		if _, err := io.WriteString(c, head); err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(c)
		c.Close()
		if !bytes.HasPrefix(answer, []byte("HTTP/1.1 4")) {
			t.Errorf("%q: want a 4xx, got %q", head, answer)
		}
		if bytes.Contains(answer, []byte(secret)) || bytes.Contains(answer, []byte(secret[3:])) {
			t.Errorf("%q: the answer quotes the credential: %q", head, answer)
		}
	}
	hs.Shutdown() //nolint:errcheck
	if s := logs.String(); strings.Contains(s, secret[3:]) {
		t.Errorf("the log quotes the credential:\n%s", s)
	}
}
