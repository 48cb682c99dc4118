package runtime_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"math/big"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/mocks"
	"github.com/bifrost-gw/bifrost/runtime"
)

// TestClientGoneCancelsUpstream checks the weak spot of issue 10: a client that leaves
// while its request waits for the provider's answer has the upstream request cancelled at
// once, not held until the attempt's deadline (5 s here), over plain TCP and over TLS. The provider accepts and never
// answers; the client leaves after 100 ms. The engine answers 499 client_closed_request
// within a second, the mock sees the connection closed, no retry goes out (max_retries 2),
// and the breaker does not count it as a provider failure: the next request (a healthy
// answer) still goes through.
func TestClientGoneCancelsUpstream(t *testing.T) {
	for _, tc := range []struct {
		name        string
		stream, tls bool
	}{{"plain", false, false}, {"stream waiting for its headers", true, false}, {"plain over TLS", false, true}} {
		stream := tc.stream
		t.Run(tc.name, func(t *testing.T) {
			lc := newLeakCheck()
			hang := mocks.Config{Fault: mocks.FaultHang, FaultCount: 1}
			var up *upstream
			scheme, tlsOpt := "http", ""
			if tc.tls {
				up, scheme, tlsOpt = serveMockTLS(t, hang), "https", `,"insecure_skip_verify":true`
			} else {
				up = serveMock(t, hang)
			}
			// A breaker that opens on one failure: the cancelled attempt must not be one.
			prov := `{"keys":[{"name":"k","value":"` + rigKey + `","models":["*"],"weight":1}],
				"circuit_breaker":{"min_requests":1,"failure_ratio":0.5},
				"network_config":{"base_url":"` + scheme + `://` + up.addr + `","max_retries":2,"retry_backoff_initial":10,"retry_backoff_max":20` + tlsOpt + `}}`
			e := newEngine(t, `{"providers":{"openai":`+prov+`}}`, timeouts{total: 5 * time.Second}, runtime.Options{})
			var gone atomic.Bool
			time.AfterFunc(100*time.Millisecond, func() { gone.Store(true) })
			c := e.AcquireCall()
			c.Gone = gone.Load
			if err := decodeChat(c, chatBody(model, stream)); err != nil {
				t.Fatal(err)
			}
			t0 := time.Now()
			var err *runtime.Error
			if stream {
				err = e.ChatCompletionStream(c)
			} else {
				err = e.ChatCompletion(c)
			}
			took := time.Since(t0)
			if err == nil || err.Status != 499 || string(err.Body.Code) != "client_closed_request" {
				t.Errorf("%+v, want 499 client_closed_request", err)
			}
			if c.Attempts != 1 || up.requests() != 1 {
				t.Errorf("%d attempts, %d requests at the provider; want 1", c.Attempts, up.requests())
			}
			e.ReleaseCall(c)
			if took > time.Second {
				t.Errorf("the request ended %v after it started, want within a second of the client leaving", took)
			}
			if !eventually(func() bool { return up.ln.open.Load() == 0 }) {
				t.Errorf("the provider's connection is still open")
			}
			c, err = rigChat(t, e, chatBody(model, false), func() bool { return false })
			if err != nil {
				t.Errorf("the next request: %v", err)
			}
			e.ReleaseCall(c)
			lc.done(t, e, up)
			if !t.Failed() {
				t.Logf("client left after 100ms: upstream cancelled, 499 after %v", took.Round(time.Millisecond))
			}
		})
	}
}

// serveMockTLS starts a mock with cfg behind TLS, with a self-signed certificate, on a fresh
// 127.0.0.1 port.
func serveMockTLS(t *testing.T, cfg mocks.Config) *upstream {
	t.Helper()
	cfg.RequireKey = rigKey
	m, err := mocks.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: ln}
	u := &upstream{m: m, ln: counted, addr: ln.Addr().String()}
	tl := tls.NewListener(counted, &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}})
	go m.Serve(tl) //nolint:errcheck // ends with Close
	t.Cleanup(u.close)
	return u
}
