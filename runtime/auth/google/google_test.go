package google

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// tokenServer is an in-memory OAuth2 token endpoint that checks the JWT-bearer grant against
// the service account's public key.
type tokenServer struct {
	t        *testing.T
	pub      *rsa.PublicKey
	ln       *fasthttputil.InmemoryListener
	requests atomic.Int64
	fail     atomic.Bool  // answer 400 invalid_grant
	expires  atomic.Int64 // expires_in of the tokens issued
	delay    time.Duration
	mu       sync.Mutex
	claims   map[string]any
	header   map[string]any
}

func newTokenServer(t *testing.T, pub *rsa.PublicKey) *tokenServer {
	ts := &tokenServer{t: t, pub: pub, ln: fasthttputil.NewInmemoryListener()}
	ts.expires.Store(3599)
	go (&fasthttp.Server{Handler: ts.handle}).Serve(ts.ln) //nolint:errcheck // ends with the listener
	t.Cleanup(func() { ts.ln.Close() })
	return ts
}

func (ts *tokenServer) dial(string) (net.Conn, error) { return ts.ln.Dial() }

func (ts *tokenServer) handle(ctx *fasthttp.RequestCtx) {
	n := ts.requests.Add(1)
	time.Sleep(ts.delay) // the token endpoint's own latency (a peer's, not a timer of ours)
	if ts.fail.Load() {
		ctx.SetStatusCode(400)
		ctx.SetBodyString(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
		return
	}
	args := ctx.PostArgs()
	if string(args.Peek("grant_type")) != "urn:ietf:params:oauth:grant-type:jwt-bearer" || string(ctx.Request.Header.ContentType()) != "application/x-www-form-urlencoded" {
		ctx.SetStatusCode(400)
		ctx.SetBodyString(`{"error":"unsupported_grant_type"}`)
		return
	}
	parts := strings.Split(string(args.Peek("assertion")), ".")
	if len(parts) != 3 {
		ctx.SetStatusCode(400)
		return
	}
	sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if err := rsa.VerifyPKCS1v15(ts.pub, crypto.SHA256, sum[:], sig); err != nil {
		ctx.SetStatusCode(400)
		ctx.SetBodyString(`{"error":"invalid_grant","error_description":"Invalid JWT Signature."}`)
		return
	}
	h, _ := base64.RawURLEncoding.DecodeString(parts[0])
	c, _ := base64.RawURLEncoding.DecodeString(parts[1])
	ts.mu.Lock()
	json.Unmarshal(h, &ts.header) //nolint:errcheck // checked by the test
	json.Unmarshal(c, &ts.claims) //nolint:errcheck // checked by the test
	ts.mu.Unlock()
	ctx.SetContentType("application/json")
	ctx.SetBodyString(`{"access_token":"ya29.t` + strconv.Itoa(int(n)) + `","expires_in":` + strconv.Itoa(int(ts.expires.Load())) + `,"token_type":"Bearer"}`)
}

// serviceAccountJSON makes a service-account key file for a fresh RSA key.
func serviceAccountJSON(t *testing.T, tokenURI string) (string, *rsa.PrivateKey) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(map[string]string{
		"type": "service_account", "project_id": "my-project", "private_key_id": "kid-1",
		"private_key":  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})),
		"client_email": "gateway@my-project.iam.gserviceaccount.com", "token_uri": tokenURI,
	})
	return string(b), key
}

// metadataURLPath is the metadata server's token path.
const metadataURLPath = "/computeMetadata/v1/" + metadataTokenPath

func vertexKey(creds string, dial fasthttp.DialFunc, getenv func(string) string) Config {
	return Config{Credentials: creds, From: "vertex_key_config.auth_credentials", Dial: dial, Getenv: getenv}
}

func newTestGCP(t *testing.T) (*Authorizer, *tokenServer) {
	t.Helper()
	creds, key := serviceAccountJSON(t, "http://oauth2.test/token")
	ts := newTokenServer(t, &key.PublicKey)
	a, err := New(vertexKey(creds, ts.dial, nil))
	if err != nil {
		t.Fatal(err)
	}
	return a.(*Authorizer), ts
}

func authHeader(t *testing.T, a provider.Authorizer, now time.Time) string {
	t.Helper()
	var req fasthttp.Request
	if err := a.Authorize(&req, now); err != nil {
		t.Fatal(err)
	}
	return string(req.Header.Peek("Authorization"))
}

func TestGCPTokenFetchedOnceAndCached(t *testing.T) {
	a, ts := newTestGCP(t)
	now := time.Now()
	for i := 0; i < 50; i++ {
		if got := authHeader(t, a, now.Add(time.Duration(i)*time.Minute/2)); got != "Bearer ya29.t1" {
			t.Fatalf("header %q", got)
		}
	}
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("%d token requests, want 1", n)
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.header["alg"] != "RS256" || ts.header["kid"] != "kid-1" || ts.header["typ"] != "JWT" {
		t.Errorf("JWT header %v", ts.header)
	}
	c := ts.claims
	if c["iss"] != "gateway@my-project.iam.gserviceaccount.com" || c["aud"] != "http://oauth2.test/token" ||
		c["scope"] != "https://www.googleapis.com/auth/cloud-platform" || c["exp"].(float64)-c["iat"].(float64) != 3600 {
		t.Errorf("JWT claims %v", c)
	}
}

// TestGCPTokenRefreshedBeforeExpiry: a token within the token source's early-expiry window
// (10 s for oauth2's reuse source) is refreshed on use; a failed refresh is the request's.
func TestGCPTokenRefreshedBeforeExpiry(t *testing.T) {
	a, ts := newTestGCP(t)
	ts.expires.Store(5) // inside the window from the start: every use refreshes
	if got := authHeader(t, a, time.Now()); got != "Bearer ya29.t1" {
		t.Fatalf("first token: %q", got)
	}
	if got := authHeader(t, a, time.Now()); got != "Bearer ya29.t2" {
		t.Fatalf("refreshed token: %q", got)
	}
	ts.fail.Store(true)
	var req fasthttp.Request
	err := a.Authorize(&req, time.Now())
	if err == nil || !strings.Contains(err.Error(), "invalid_grant") || !strings.Contains(err.Error(), "Invalid JWT Signature.") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), "PRIVATE") {
		t.Fatal("the error shows key material")
	}
}

func TestGCPTokenSingleFlight(t *testing.T) {
	a, ts := newTestGCP(t)
	ts.delay = 20 * time.Millisecond
	now := time.Now()
	run := func(at time.Time) map[string]int {
		var wg sync.WaitGroup
		var mu sync.Mutex
		seen := map[string]int{}
		for i := 0; i < 32; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var req fasthttp.Request
				if err := a.Authorize(&req, at); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				seen[string(req.Header.Peek("Authorization"))]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return seen
	}
	if seen := run(now); len(seen) != 1 || seen["Bearer ya29.t1"] != 32 || ts.requests.Load() != 1 {
		t.Fatalf("first use: %v after %d token requests, want one fetch shared by all", seen, ts.requests.Load())
	}
}

func TestGCPAuthorizerConfig(t *testing.T) {
	a, err := New(Config{AccessToken: "ya29.static"})
	if err != nil {
		t.Fatal(err)
	}
	if got := authHeader(t, a, time.Now()); got != "Bearer ya29.static" {
		t.Fatalf("static token header %q", got)
	}
	for _, tc := range []struct {
		creds string
		want  string
	}{
		{"{", "vertex_key_config.auth_credentials is not a credentials JSON"},
		{`{"type":"external_account"}`, `type "external_account" is not supported (service_account or authorized_user)`},
		{`{"type":"authorized_user","client_id":"c"}`, "client_id, client_secret and refresh_token are required"},
		{`{"client_email":"a@b","private_key":"nope"}`, "private_key: no PEM block"},
	} {
		if _, err := New(vertexKey(tc.creds, nil, func(string) string { return "" })); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", err, tc.want)
		}
	}
}

// TestGCPApplicationDefaultCredentials checks each source of Google's application default
// credentials that a Vertex key without credentials of its own falls back to, in order: the
// GOOGLE_APPLICATION_CREDENTIALS file (a service account, or an authorized user's refresh
// token), gcloud's file under $HOME, then the metadata server (at GCE_METADATA_HOST).
func TestGCPApplicationDefaultCredentials(t *testing.T) {
	var mu sync.Mutex
	var got []string // one line per token request: method, path, and what identifies the grant
	ln := fasthttputil.NewInmemoryListener()
	go (&fasthttp.Server{Handler: func(ctx *fasthttp.RequestCtx) {
		line := string(ctx.Method()) + " " + string(ctx.Path())
		switch args := ctx.PostArgs(); {
		case string(ctx.Path()) == metadataURLPath:
			line += " Metadata-Flavor=" + string(ctx.Request.Header.Peek("Metadata-Flavor"))
		case string(args.Peek("grant_type")) == "refresh_token":
			line += " refresh_token=" + string(args.Peek("refresh_token")) + " client_id=" + string(args.Peek("client_id")) +
				" client_secret=" + string(args.Peek("client_secret"))
		default:
			line += " grant_type=" + string(args.Peek("grant_type"))
		}
		mu.Lock()
		got = append(got, line)
		mu.Unlock()
		ctx.SetContentType("application/json")
		ctx.SetBodyString(`{"access_token":"ya29.adc","expires_in":3599,"token_type":"Bearer"}`)
	}}).Serve(ln) //nolint:errcheck // ends with the listener
	t.Cleanup(func() { ln.Close() })
	dial := func(string) (net.Conn, error) { return ln.Dial() }

	dir := t.TempDir()
	saFile := filepath.Join(dir, "sa.json")
	sa, _ := serviceAccountJSON(t, "http://oauth2.test/token")
	userFile := filepath.Join(dir, "user.json")
	user := `{"type":"authorized_user","client_id":"cid.apps.googleusercontent.com","client_secret":"csecret","refresh_token":"1//rt","token_uri":"http://oauth2.test/token"}`
	home := t.TempDir()
	gcloudFile := filepath.Join(home, ".config", "gcloud", "application_default_credentials.json")
	for _, f := range []struct{ path, body string }{{saFile, sa}, {userFile, user}, {gcloudFile, user}} {
		if err := os.MkdirAll(filepath.Dir(f.path), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f.path, []byte(f.body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	const refresh = "POST /token refresh_token=1//rt client_id=cid.apps.googleusercontent.com client_secret=csecret"
	for _, tc := range []struct {
		name string
		env  map[string]string
		want string // the token request; "" when building fails with wantErr
		err  string
	}{
		{"GOOGLE_APPLICATION_CREDENTIALS, service account", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": saFile, "HOME": home},
			"POST /token grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer", ""},
		{"GOOGLE_APPLICATION_CREDENTIALS, authorized user", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": userFile}, refresh, ""},
		{"gcloud's file under HOME", map[string]string{"HOME": home}, refresh, ""},
		{"metadata server", map[string]string{"HOME": t.TempDir(), "GCE_METADATA_HOST": "metadata.test"},
			"GET " + metadataURLPath + " Metadata-Flavor=Google", ""},
		{"unreadable GOOGLE_APPLICATION_CREDENTIALS", map[string]string{"GOOGLE_APPLICATION_CREDENTIALS": filepath.Join(dir, "missing.json")},
			"", "the GOOGLE_APPLICATION_CREDENTIALS file: open " + filepath.Join(dir, "missing.json")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			mu.Lock()
			got = nil
			mu.Unlock()
			a, err := New(Config{Dial: dial, Getenv: func(k string) string { return tc.env[k] }})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if h := authHeader(t, a, time.Now()); h != "Bearer ya29.adc" {
				t.Errorf("Authorization %q", h)
			}
			authHeader(t, a, time.Now()) // cached: no second request
			mu.Lock()
			defer mu.Unlock()
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("token requests %q, want [%q]", got, tc.want)
			}
		})
	}
}

// TestGCPMetadataUnreachable checks that a key without credentials, outside Google Cloud,
// fails its requests with an error that says where credentials were looked for.
func TestGCPMetadataUnreachable(t *testing.T) {
	a, err := New(Config{Dial: func(string) (net.Conn, error) { return nil, errors.New("connection refused") },
		Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	var req fasthttp.Request
	err = a.Authorize(&req, time.Now())
	if err == nil || !strings.Contains(err.Error(), "http://169.254.169.254"+metadataURLPath) || !strings.Contains(err.Error(), "GOOGLE_APPLICATION_CREDENTIALS unset") {
		t.Errorf("err = %v", err)
	}
}
