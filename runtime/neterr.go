package runtime

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"syscall"

	"github.com/valyala/fasthttp"
)

// netErrorWords says in plain words what went wrong on the connection to a provider, for an
// error a client sees: never the addresses and ports that the Go error carries
// ("read tcp4 127.0.0.1:33646->127.0.0.1:19001: connection reset by peer"). The full error
// goes to the debug log only (Options.Logger).
func netErrorWords(err error) string {
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var alert tls.AlertError
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by provider"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by provider"
	case errors.As(err, &dnsErr):
		return "cannot resolve provider host"
	case errors.As(err, &recErr), errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &alert), strings.Contains(err.Error(), "tls: "):
		return "TLS handshake failed"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "provider host unreachable"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE),
		errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, net.ErrClosed):
		return "provider closed the connection"
	}
	return "connection to provider failed"
}

// debugNetError logs a provider's network error in full, scrubbed of keys, at debug level.
func (c *Call) debugNetError(msg, providerName string, err error) {
	if c.log == nil || !c.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	c.log.LogAttrs(context.Background(), slog.LevelDebug, msg,
		slog.String("provider", providerName), slog.String("error", c.scrub(err.Error())))
}
