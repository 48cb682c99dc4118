// Package google authorizes requests to Google Cloud APIs (Vertex AI) with OAuth2 access
// tokens, as the auth scheme "google_oauth". Credentials and token refresh are
// golang.org/x/oauth2/google's: a service account's JWT-bearer grant, an authorized user's
// refresh token, and the metadata server of the Google Cloud workload the gateway runs on
// (through cloud.google.com/go/compute/metadata). The package adds the order in which the
// sources are tried, errors that name where credentials were looked for, and a cached header
// so that authorizing a request with a valid token allocates nothing.
package google

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"cloud.google.com/go/compute/metadata"
	"github.com/bifrost-gw/bifrost/runtime/provider"
	"github.com/valyala/fasthttp"
	"golang.org/x/oauth2"
	googleoauth "golang.org/x/oauth2/google"
)

const (
	// Scope is the scope tokens are asked for; it covers Vertex AI.
	Scope = "https://www.googleapis.com/auth/cloud-platform"
	// tokenTimeout bounds one token request.
	tokenTimeout = 10 * time.Second
	// metadataEarly is how long before its expiry a metadata-server token is refreshed, as
	// google.ComputeTokenSource does (the server caches tokens for at least 4 minutes).
	metadataEarly = 225 * time.Second
	// metadataTokenPath is the metadata server's token path for the workload's service
	// account (https://cloud.google.com/compute/docs/access/authenticate-workloads#applications),
	// below http://$GCE_METADATA_HOST/computeMetadata/v1/.
	metadataTokenPath = "instance/service-accounts/default/token"
)

// Config says where a key's credentials are.
type Config struct {
	// Credentials is a credentials JSON (a service-account key or an authorized user's
	// file); From names it in errors, e.g. "<type>_key_config.auth_credentials".
	Credentials, From string
	// AccessToken, used when Credentials is empty, is an access token obtained outside the
	// gateway (`gcloud auth print-access-token`), sent as it is.
	AccessToken string
	// Dial, when not nil, connects to token endpoints (tests reach in-memory servers).
	Dial fasthttp.DialFunc
	// Getenv reads the environment (os.Getenv when nil).
	Getenv func(string) string
}

// New returns the authorizer of c, from the first of: c.Credentials; c.AccessToken; else
// Google's application default credentials
// (https://cloud.google.com/docs/authentication/application-default-credentials): the file
// named by GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default file under $HOME,
// or the metadata server (at GCE_METADATA_HOST when set).
func New(c Config) (provider.Authorizer, error) {
	if c.Credentials == "" && c.AccessToken != "" {
		return Static("Bearer " + c.AccessToken), nil
	}
	getenv := c.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	ctx := context.WithValue(context.Background(), oauth2.HTTPClient, httpClient(c.Dial))
	creds, from := c.Credentials, c.From
	if creds == "" {
		path := getenv("GOOGLE_APPLICATION_CREDENTIALS")
		from = "the GOOGLE_APPLICATION_CREDENTIALS file"
		if path == "" {
			if home := getenv("HOME"); home != "" {
				if p := filepath.Join(home, ".config", "gcloud", "application_default_credentials.json"); fileExists(p) {
					path, from = p, "gcloud's application-default credentials"
				}
			}
		}
		if path == "" {
			return metadataAuthorizer(ctx, getenv), nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
		creds = string(b)
	}
	tokenURI, err := check(creds, from)
	if err != nil {
		return nil, err
	}
	gc, err := googleoauth.CredentialsFromJSONWithParams(ctx, []byte(creds), googleoauth.CredentialsParams{Scopes: []string{Scope}})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from, err)
	}
	return &Authorizer{ts: gc.TokenSource, endpoint: tokenURI}, nil
}

// credentialsFile is the part of a credentials JSON that check reads.
type credentialsFile struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKey   string `json:"private_key"`
	TokenURI     string `json:"token_uri"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// check reads what a credentials JSON must hold, so that a bad one fails when the config is
// loaded rather than at the first request, and returns its token endpoint.
func check(creds, from string) (string, error) {
	var f credentialsFile
	if err := json.Unmarshal([]byte(creds), &f); err != nil {
		return "", fmt.Errorf("%s is not a credentials JSON: %w", from, err)
	}
	if f.TokenURI == "" {
		f.TokenURI = googleoauth.Endpoint.TokenURL
	}
	if u, err := url.Parse(f.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%s: token_uri %q is not an http(s) URL", from, f.TokenURI)
	}
	switch f.Type {
	case "", "service_account":
		if f.ClientEmail == "" || f.PrivateKey == "" {
			return "", fmt.Errorf("%s: client_email and private_key are required", from)
		}
		if b, _ := pem.Decode([]byte(f.PrivateKey)); b == nil {
			return "", fmt.Errorf("%s: private_key: no PEM block", from)
		}
	case "authorized_user":
		if f.ClientID == "" || f.ClientSecret == "" || f.RefreshToken == "" {
			return "", fmt.Errorf("%s: client_id, client_secret and refresh_token are required", from)
		}
	default:
		return "", fmt.Errorf("%s: type %q is not supported (service_account or authorized_user)", from, f.Type)
	}
	return f.TokenURI, nil
}

// metadataAuthorizer gets tokens from the metadata server, through the metadata package
// (which reads GCE_METADATA_HOST itself).
func metadataAuthorizer(ctx context.Context, getenv func(string) string) *Authorizer {
	host := getenv("GCE_METADATA_HOST")
	if host == "" {
		host = "169.254.169.254"
	}
	hc, _ := ctx.Value(oauth2.HTTPClient).(*http.Client)
	src := metadataSource{client: metadata.NewClient(hc)}
	return &Authorizer{ts: oauth2.ReuseTokenSourceWithExpiry(nil, src, metadataEarly),
		endpoint: "http://" + host + "/computeMetadata/v1/" + metadataTokenPath,
		hint:     " (no Google credentials in the key, GOOGLE_APPLICATION_CREDENTIALS unset: the metadata server is the last resort, found only on Google Cloud)"}
}

// metadataSource is the metadata server's token, as google.ComputeTokenSource gets it but
// with the Authorizer's HTTP client and without its probe for Google Compute Engine.
type metadataSource struct{ client *metadata.Client }

func (s metadataSource) Token() (*oauth2.Token, error) {
	ctx, cancel := context.WithTimeout(context.Background(), tokenTimeout)
	defer cancel()
	body, err := s.client.GetWithContext(ctx, metadataTokenPath+"?scopes="+url.QueryEscape(Scope))
	if err != nil {
		return nil, err
	}
	var t struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type"`
	}
	if err := json.NewDecoder(strings.NewReader(body)).Decode(&t); err != nil || t.AccessToken == "" || t.ExpiresIn <= 0 {
		return nil, fmt.Errorf("the metadata server answered without an access token and its lifetime")
	}
	return &oauth2.Token{AccessToken: t.AccessToken, TokenType: t.TokenType,
		Expiry: time.Now().Add(time.Duration(t.ExpiresIn) * time.Second)}, nil
}

// Authorizer authorizes requests with the tokens of one token source, which caches a token
// and refreshes it shortly before it expires (oauth2.ReuseTokenSource); concurrent requests
// that find no valid token wait for the one fetch under way.
type Authorizer struct {
	ts       oauth2.TokenSource
	endpoint string // the token endpoint, for errors
	hint     string // added to fetch errors
	header   atomic.Pointer[header]
}

var _ provider.Authorizer = (*Authorizer)(nil)

// header is the Authorization value of one token.
type header struct {
	tok   *oauth2.Token
	value string
}

// Authorize sets the Authorization header, fetching or refreshing the token as needed. The
// token source keeps its own clock: now is not used.
func (a *Authorizer) Authorize(req *fasthttp.Request, _ time.Time) error {
	t, err := a.ts.Token()
	if err != nil {
		return fmt.Errorf("token endpoint %s: %w%s", a.endpoint, err, a.hint)
	}
	h := a.header.Load()
	if h == nil || h.tok != t {
		h = &header{tok: t, value: "Bearer " + t.AccessToken}
		a.header.Store(h)
	}
	req.Header.Set(fasthttp.HeaderAuthorization, h.value)
	return nil
}

// Static is an Authorization header value given in the config, sent as it is.
type Static string

// Authorize sets the Authorization header.
func (s Static) Authorize(req *fasthttp.Request, _ time.Time) error {
	req.Header.Set(fasthttp.HeaderAuthorization, string(s))
	return nil
}

// httpClient is the client of token requests: dial, when not nil, replaces TCP.
func httpClient(dial fasthttp.DialFunc) *http.Client {
	tr := &http.Transport{Proxy: http.ProxyFromEnvironment, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout: tokenTimeout, MaxIdleConnsPerHost: 1}
	if dial != nil {
		tr.Proxy = nil
		tr.DialContext = func(_ context.Context, _, addr string) (net.Conn, error) { return dial(addr) }
	}
	return &http.Client{Transport: tr, Timeout: tokenTimeout}
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}
