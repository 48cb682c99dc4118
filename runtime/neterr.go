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
// ("read tcp4 127.0.0.1:33646->127.0.0.1:19001: connection reset by peer"). ok is false
// when err is no network error (a malformed event stream, an event over a limit): its own
// text says more, and netMessage keeps it.
func netErrorWords(err error) (words string, ok bool) {
	var dnsErr *net.DNSError
	var recErr tls.RecordHeaderError
	var certErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var alert tls.AlertError
	var opErr *net.OpError
	var errno syscall.Errno
	switch {
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by provider", true
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by provider", true
	case errors.As(err, &dnsErr):
		return "cannot resolve provider host", true
	case errors.As(err, &recErr), errors.As(err, &certErr), errors.As(err, &authErr), errors.As(err, &hostErr),
		errors.As(err, &invalidErr), errors.As(err, &alert), strings.Contains(err.Error(), "tls: "):
		return "TLS handshake failed", true
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "provider host unreachable", true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, syscall.EPIPE),
		errors.Is(err, fasthttp.ErrConnectionClosed), errors.Is(err, net.ErrClosed):
		return "provider closed the connection", true
	case errors.As(err, &opErr), errors.As(err, &errno):
		return "connection to provider failed", true
	}
	return "", false
}

// netMessage is the text of err, a failure to reach a provider or to read its answer, for an
// error a client sees: plain words for a network error (logged in full at debug level),
// else err's own text without keys or addresses.
func (c *Call) netMessage(what, providerName string, err error) string {
	if words, ok := netErrorWords(err); ok {
		c.debugNetError(what, providerName, err)
		return words
	}
	return stripAddrs(c.scrub(err.Error()))
}

// stripAddrs replaces the IPv4 addresses and bracketed IPv6 addresses in s, with their
// ports, by "<address>": a last guard for an error that is not a network error yet quotes
// one.
func stripAddrs(s string) string {
	var b strings.Builder
	last := 0
	for i := 0; i < len(s); i++ {
		var end int
		var ok bool
		switch {
		case s[i] == '[':
			end, ok = ipv6End(s, i)
		case isDigit(s[i]) && (i == 0 || !isDigit(s[i-1]) && s[i-1] != '.'):
			end, ok = ipv4End(s, i)
		}
		if !ok {
			continue
		}
		if end < len(s) && s[end] == ':' && end+1 < len(s) && isDigit(s[end+1]) {
			end++
			for end < len(s) && isDigit(s[end]) {
				end++
			}
		}
		b.WriteString(s[last:i])
		b.WriteString("<address>")
		last, i = end, end-1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// ipv4End returns the end of the dotted quad that starts at s[i], if one does.
func ipv4End(s string, i int) (int, bool) {
	for part := 0; part < 4; part++ {
		if part > 0 {
			if i >= len(s) || s[i] != '.' {
				return 0, false
			}
			i++
		}
		n := 0
		for i < len(s) && isDigit(s[i]) && n < 3 {
			i++
			n++
		}
		if n == 0 {
			return 0, false
		}
	}
	if i < len(s) && (isDigit(s[i]) || s[i] == '.' && i+1 < len(s) && isDigit(s[i+1])) {
		return 0, false // a version number or a longer run of digits
	}
	return i, true
}

// ipv6End returns the end of the bracketed IPv6 address ("[::1]") that starts at s[i], if
// one does.
func ipv6End(s string, i int) (int, bool) {
	j := strings.IndexByte(s[i:], ']')
	if j < 3 || j > 48 {
		return 0, false
	}
	inner := s[i+1 : i+j]
	if strings.IndexByte(inner, ':') < 0 {
		return 0, false
	}
	for k := 0; k < len(inner); k++ {
		if c := inner[k]; !isHexDigit(c) && c != ':' && c != '.' && c != '%' {
			return 0, false
		}
	}
	return i + j + 1, true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// debugNetError logs a provider's network error in full, scrubbed of keys, at debug level.
func (c *Call) debugNetError(msg, providerName string, err error) {
	if c.log == nil || !c.log.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	c.log.LogAttrs(context.Background(), slog.LevelDebug, msg,
		slog.String("provider", providerName), slog.String("error", c.scrub(err.Error())))
}
