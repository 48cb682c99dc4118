package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/bifrost-gw/bifrost/runtime/framing/eventstream"
	"github.com/valyala/fasthttp"
)

// TestNetErrorWords checks the plain words each kind of network error gets, and that other
// errors keep their own text, without addresses.
func TestNetErrorWords(t *testing.T) {
	addr := &net.TCPAddr{IP: net.IPv4(10, 1, 2, 3), Port: 19001}
	op := func(opName string, err error) error {
		return &net.OpError{Op: opName, Net: "tcp4", Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 33646}, Addr: addr, Err: err}
	}
	for _, tc := range []struct {
		name  string
		err   error
		words string
	}{
		{"reset", op("read", os.NewSyscallError("read", syscall.ECONNRESET)), "connection reset by provider"},
		{"refused, wrapped by fasthttp", fmt.Errorf("error when dialing 10.1.2.3:19001: %w", op("dial", os.NewSyscallError("connect", syscall.ECONNREFUSED))), "connection refused by provider"},
		{"DNS", op("dial", &net.DNSError{Err: "no such host", Name: "api.example.com", Server: "10.0.0.53:53", IsNotFound: true}), "cannot resolve provider host"},
		{"bad certificate", &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}, "TLS handshake failed"},
		{"not TLS", tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}, "TLS handshake failed"},
		{"TLS alert", op("remote error", tls.AlertError(40)), "TLS handshake failed"},
		{"unreachable", op("dial", os.NewSyscallError("connect", syscall.EHOSTUNREACH)), "provider host unreachable"},
		{"closed", fasthttp.ErrConnectionClosed, "provider closed the connection"},
		{"cut body", fmt.Errorf("cannot read the body: %w", io.ErrUnexpectedEOF), "provider closed the connection"},
		{"broken pipe", op("write", os.NewSyscallError("write", syscall.EPIPE)), "provider closed the connection"},
		{"other network error", op("read", errors.New("something odd")), "connection to provider failed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			words, ok := netErrorWords(tc.err)
			if !ok || words != tc.words {
				t.Errorf("netErrorWords(%q) = %q, %v; want %q", tc.err, words, ok, tc.words)
			}
		})
	}
	var c Call
	if got := c.netMessage("x", "p", fmt.Errorf("%w: prelude CRC 0000, want 1234", eventstream.ErrMalformed)); got != "malformed AWS event stream: prelude CRC 0000, want 1234" {
		t.Errorf("a malformed stream: %q, want its own text", got)
	}
	if got := c.netMessage("x", "p", errors.New("proxy 10.0.0.1:3128 said no to [::1]:80 at 192.168.1.1, v1.2.3.4.5")); strings.Contains(got, "10.0.0.1") || strings.Contains(got, "3128") || strings.Contains(got, "192.168") || strings.Contains(got, "::1") || !strings.Contains(got, "v1.2.3.4.5") {
		t.Errorf("an error quoting addresses: %q", got)
	}
}
