package runtime

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

// Google OAuth2 access tokens for Vertex AI, sent as "Authorization: Bearer": from a service
// account's JWT-bearer grant, an authorized user's refresh token, or the metadata server
// (see newGCPAuthorizer).

const (
	// gcpDefaultTokenURI is the token endpoint when the service-account JSON names none.
	gcpDefaultTokenURI = "https://oauth2.googleapis.com/token"
	// gcpScope is the scope the token is asked for; it covers Vertex AI.
	gcpScope = "https://www.googleapis.com/auth/cloud-platform"
	// gcpJWTLifetime is the lifetime of a signed assertion; Google accepts at most an hour.
	gcpJWTLifetime = time.Hour
	// gcpTokenTimeout bounds one token request.
	gcpTokenTimeout = 10 * time.Second
	// gcpSafety is taken off a token's lifetime for transit and clock skew: a token is used
	// only until expires_in minus this.
	gcpSafety = 30 * time.Second
	// gcpRefreshAhead is how long before that end a token is refreshed.
	gcpRefreshAhead = 5 * time.Minute
)

// credentialsFile is the part of a Google credentials JSON the authorizer reads: a
// service-account key file, or the "authorized_user" file that `gcloud auth
// application-default login` writes.
type credentialsFile struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	TokenURI     string `json:"token_uri"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// gcpToken is an access token and when to stop using and to refresh it.
type gcpToken struct {
	header    string // "Bearer <token>"
	refreshAt time.Time
	expiry    time.Time
}

// gcpGrant writes the request that gets a new access token; every grant's answer is
// {"access_token", "expires_in", "token_type"}.
type gcpGrant interface {
	request(req *fasthttp.Request, now time.Time) error
}

// gcpAuthorizer authorizes requests with the access tokens of one grant. A token is
// fetched on first use and cached; once it is due for refresh, one request refreshes it
// (others keep the still-valid token meanwhile, and so does the refresher if the refresh
// fails); a request that finds no valid token waits for the one fetch under way.
type gcpAuthorizer struct {
	grant    gcpGrant
	endpoint string // the token endpoint, for errors
	hint     string // added to fetch errors
	client   *fasthttp.Client

	tok        atomic.Pointer[gcpToken]
	mu         sync.Mutex  // held while fetching a token
	refreshing atomic.Bool // a refresh of a still-valid token is under way
}

// gcpMetadataPath is the metadata server's token path for the workload's service account
// (https://cloud.google.com/compute/docs/access/authenticate-workloads#applications).
const gcpMetadataPath = "/computeMetadata/v1/instance/service-accounts/default/token"

// newGCPAuthorizer makes the authorizer of a Vertex key, from the first of:
// vertex_key_config.auth_credentials (a credentials JSON); the key's value, sent as an
// OAuth2 access token (one obtained outside the gateway, e.g. `gcloud auth
// print-access-token`); else Google's application default credentials
// (https://cloud.google.com/docs/authentication/application-default-credentials): the file
// named by GOOGLE_APPLICATION_CREDENTIALS, gcloud's application-default file under $HOME,
// or the metadata server of the Google Cloud workload the gateway runs on (at
// GCE_METADATA_HOST when set). getenv reads the environment (os.Getenv when nil).
func newGCPAuthorizer(k *config.Key, dial fasthttp.DialFunc, getenv func(string) string) (authorizer, error) {
	creds, from := "", "vertex_key_config.auth_credentials"
	if k.Vertex != nil {
		creds = k.Vertex.AuthCredentials
	}
	if creds == "" && k.Value != "" {
		return gcpAccessToken("Bearer " + k.Value), nil
	}
	c := &fasthttp.Client{
		Name: "bifrost", Dial: dial, ReadTimeout: gcpTokenTimeout, WriteTimeout: gcpTokenTimeout,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}
	if creds == "" {
		if getenv == nil {
			getenv = os.Getenv
		}
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
			host := getenv("GCE_METADATA_HOST")
			if host == "" {
				host = "169.254.169.254"
			}
			u := "http://" + host + gcpMetadataPath
			return &gcpAuthorizer{grant: metadataGrant(u), endpoint: u, client: c,
				hint: " (no Vertex credentials in the key, GOOGLE_APPLICATION_CREDENTIALS unset: the metadata server is the last resort, found only on Google Cloud)"}, nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", from, err)
		}
		creds = string(b)
	}
	var f credentialsFile
	if err := json.Unmarshal([]byte(creds), &f); err != nil {
		return nil, fmt.Errorf("%s is not a credentials JSON: %w", from, err)
	}
	if f.TokenURI == "" {
		f.TokenURI = gcpDefaultTokenURI
	}
	if u, err := url.Parse(f.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s: token_uri %q is not an http(s) URL", from, f.TokenURI)
	}
	a := &gcpAuthorizer{endpoint: f.TokenURI, client: c}
	switch f.Type {
	case "", "service_account":
		if f.ClientEmail == "" || f.PrivateKey == "" {
			return nil, fmt.Errorf("%s: client_email and private_key are required", from)
		}
		key, err := parseRSAKey(f.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("%s: private_key: %w", from, err)
		}
		a.grant = &jwtGrant{email: f.ClientEmail, keyID: f.PrivateKeyID, tokenURI: f.TokenURI, key: key}
	case "authorized_user":
		if f.ClientID == "" || f.ClientSecret == "" || f.RefreshToken == "" {
			return nil, fmt.Errorf("%s: client_id, client_secret and refresh_token are required", from)
		}
		a.grant = &refreshGrant{clientID: f.ClientID, clientSecret: f.ClientSecret, refreshToken: f.RefreshToken, tokenURI: f.TokenURI}
	default:
		return nil, fmt.Errorf("%s: type %q is not supported (service_account or authorized_user)", from, f.Type)
	}
	return a, nil
}

func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// jwtGrant is a service account's JWT-bearer grant
// (https://developers.google.com/identity/protocols/oauth2/service-account#httprest): a JWT
// signed with the account's RSA key (RS256), posted to the account's token_uri.
type jwtGrant struct {
	email, keyID, tokenURI string
	key                    *rsa.PrivateKey
}

func (g *jwtGrant) request(req *fasthttp.Request, now time.Time) error {
	jwt, err := g.assertion(now)
	if err != nil {
		return err
	}
	req.SetRequestURI(g.tokenURI)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/x-www-form-urlencoded")
	req.SetBodyString("grant_type=" + url.QueryEscape("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + jwt)
	return nil
}

// refreshGrant is an authorized user's refresh-token grant
// (https://developers.google.com/identity/protocols/oauth2/web-server#offline).
type refreshGrant struct {
	clientID, clientSecret, refreshToken, tokenURI string
}

func (g *refreshGrant) request(req *fasthttp.Request, _ time.Time) error {
	req.SetRequestURI(g.tokenURI)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/x-www-form-urlencoded")
	args := fasthttp.AcquireArgs()
	defer fasthttp.ReleaseArgs(args)
	args.Set("grant_type", "refresh_token")
	args.Set("client_id", g.clientID)
	args.Set("client_secret", g.clientSecret)
	args.Set("refresh_token", g.refreshToken)
	req.SetBody(args.QueryString())
	return nil
}

// metadataGrant is the metadata server's token URL: a GET with "Metadata-Flavor: Google".
type metadataGrant string

func (g metadataGrant) request(req *fasthttp.Request, _ time.Time) error {
	req.SetRequestURI(string(g))
	req.Header.SetMethod(fasthttp.MethodGet)
	req.Header.Set("Metadata-Flavor", "Google")
	return nil
}

// parseRSAKey reads a PEM RSA private key, PKCS #8 (as Google issues them) or PKCS #1.
func parseRSAKey(p string) (*rsa.PrivateKey, error) {
	block, _ := pem.Decode([]byte(p))
	if block == nil {
		return nil, errors.New("no PEM block")
	}
	if k, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, errors.New("not an RSA key")
		}
		return rk, nil
	}
	k, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		return nil, errors.New("neither PKCS #8 nor PKCS #1")
	}
	return k, nil
}

// gcpAccessToken is an access token given in the config, sent as it is.
type gcpAccessToken string

func (a gcpAccessToken) authorize(req *fasthttp.Request, _ time.Time) error {
	req.Header.Set("Authorization", string(a))
	return nil
}

// authorize sets the Authorization header, fetching or refreshing the token as needed.
func (a *gcpAuthorizer) authorize(req *fasthttp.Request, now time.Time) error {
	t := a.tok.Load()
	switch {
	case t != nil && now.Before(t.refreshAt):
	case t != nil && now.Before(t.expiry):
		// Due for refresh but valid: one request refreshes, the others go on with it.
		if a.refreshing.CompareAndSwap(false, true) {
			a.mu.Lock()
			if cur := a.tok.Load(); cur == t {
				if nt, err := a.fetch(now); err == nil {
					t = nt
				}
			} else {
				t = cur
			}
			a.mu.Unlock()
			a.refreshing.Store(false)
		}
	default:
		a.mu.Lock()
		t = a.tok.Load()
		if t == nil || !now.Before(t.expiry) {
			var err error
			if t, err = a.fetch(now); err != nil {
				a.mu.Unlock()
				return err
			}
		}
		a.mu.Unlock()
	}
	req.Header.Set("Authorization", t.header)
	return nil
}

// fetch gets a new token and stores it; the caller holds mu.
func (a *gcpAuthorizer) fetch(now time.Time) (*gcpToken, error) {
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	if err := a.grant.request(req, now); err != nil {
		return nil, err
	}
	if err := a.client.DoTimeout(req, resp, gcpTokenTimeout); err != nil {
		return nil, fmt.Errorf("token endpoint %s: %w%s", a.endpoint, err, a.hint)
	}
	var body struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		TokenType   string `json:"token_type"`
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}
	jerr := json.Unmarshal(resp.Body(), &body)
	if status := resp.StatusCode(); status != fasthttp.StatusOK {
		msg := body.Error
		if body.Description != "" {
			msg += ": " + body.Description
		}
		if jerr != nil || msg == "" {
			msg = "an unreadable body"
		}
		return nil, fmt.Errorf("token endpoint %s answered %d: %s%s", a.endpoint, status, msg, a.hint)
	}
	if jerr != nil || body.AccessToken == "" || body.ExpiresIn <= 0 {
		return nil, fmt.Errorf("token endpoint %s answered without an access token and its lifetime", a.endpoint)
	}
	life := time.Duration(body.ExpiresIn) * time.Second
	use := life - gcpSafety
	if use <= 0 {
		use = life
	}
	ahead := gcpRefreshAhead
	if ahead > use/2 {
		ahead = use / 2
	}
	t := &gcpToken{header: "Bearer " + body.AccessToken, expiry: now.Add(use), refreshAt: now.Add(use - ahead)}
	a.tok.Store(t)
	return t, nil
}

// assertion returns the signed JWT of the grant.
func (a *jwtGrant) assertion(now time.Time) (string, error) {
	header := `{"alg":"RS256","typ":"JWT"`
	if a.keyID != "" {
		header += `,"kid":` + strconv.Quote(a.keyID)
	}
	header += "}"
	iat := now.Unix()
	claims, err := json.Marshal(map[string]any{
		"iss": a.email, "scope": gcpScope, "aud": a.tokenURI,
		"iat": iat, "exp": iat + int64(gcpJWTLifetime/time.Second),
	})
	if err != nil {
		return "", err
	}
	enc := base64.RawURLEncoding
	signed := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString(claims)
	sum := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, a.key, crypto.SHA256, sum[:])
	if err != nil {
		return "", fmt.Errorf("sign the token request: %w", err)
	}
	return signed + "." + enc.EncodeToString(sig), nil
}
