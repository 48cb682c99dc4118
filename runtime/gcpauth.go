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
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bifrost-gw/bifrost/runtime/config"
	"github.com/valyala/fasthttp"
)

// Google OAuth2 for service accounts
// (https://developers.google.com/identity/protocols/oauth2/service-account#httprest): the
// gateway signs a JWT with the account's RSA key (RS256), posts it to the account's token_uri
// with the JWT-bearer grant, and sends the access token it gets as "Authorization: Bearer".

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

// serviceAccount is the part of a service-account key file the authorizer reads.
type serviceAccount struct {
	Type         string `json:"type"`
	ClientEmail  string `json:"client_email"`
	PrivateKeyID string `json:"private_key_id"`
	PrivateKey   string `json:"private_key"`
	TokenURI     string `json:"token_uri"`
}

// gcpToken is an access token and when to stop using and to refresh it.
type gcpToken struct {
	header    string // "Bearer <token>"
	refreshAt time.Time
	expiry    time.Time
}

// gcpAuthorizer authorizes requests with access tokens of one service account. A token is
// fetched on first use and cached; once it is due for refresh, one request refreshes it
// (others keep the still-valid token meanwhile, and so does the refresher if the refresh
// fails); a request that finds no valid token waits for the one fetch under way.
type gcpAuthorizer struct {
	email, keyID, tokenURI string
	key                    *rsa.PrivateKey
	client                 *fasthttp.Client

	tok        atomic.Pointer[gcpToken]
	mu         sync.Mutex  // held while fetching a token
	refreshing atomic.Bool // a refresh of a still-valid token is under way
}

// newGCPAuthorizer makes the authorizer of a Vertex key: from vertex_key_config.auth_credentials
// (a service-account JSON) when given, else the key's value sent as an OAuth2 access token
// (a token obtained outside the gateway, e.g. `gcloud auth print-access-token`).
func newGCPAuthorizer(k *config.Key, dial fasthttp.DialFunc) (authorizer, error) {
	creds := ""
	if k.Vertex != nil {
		creds = k.Vertex.AuthCredentials
	}
	if creds == "" {
		if k.Value == "" {
			return nil, errors.New("vertex_key_config.auth_credentials (a service-account JSON) or value (an access token) is required")
		}
		return gcpAccessToken("Bearer " + k.Value), nil
	}
	var sa serviceAccount
	if err := json.Unmarshal([]byte(creds), &sa); err != nil {
		return nil, fmt.Errorf("vertex_key_config.auth_credentials is not a service-account JSON: %w", err)
	}
	if sa.Type != "" && sa.Type != "service_account" {
		return nil, fmt.Errorf("vertex_key_config.auth_credentials: type %q is not supported (service_account only)", sa.Type)
	}
	if sa.ClientEmail == "" || sa.PrivateKey == "" {
		return nil, errors.New("vertex_key_config.auth_credentials: client_email and private_key are required")
	}
	key, err := parseRSAKey(sa.PrivateKey)
	if err != nil {
		return nil, fmt.Errorf("vertex_key_config.auth_credentials: private_key: %w", err)
	}
	if sa.TokenURI == "" {
		sa.TokenURI = gcpDefaultTokenURI
	}
	if u, err := url.Parse(sa.TokenURI); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("vertex_key_config.auth_credentials: token_uri %q is not an http(s) URL", sa.TokenURI)
	}
	c := &fasthttp.Client{
		Name: "bifrost", Dial: dial, ReadTimeout: gcpTokenTimeout, WriteTimeout: gcpTokenTimeout,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &gcpAuthorizer{email: sa.ClientEmail, keyID: sa.PrivateKeyID, tokenURI: sa.TokenURI, key: key, client: c}, nil
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
	jwt, err := a.assertion(now)
	if err != nil {
		return nil, err
	}
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(a.tokenURI)
	req.Header.SetMethod(fasthttp.MethodPost)
	req.Header.SetContentType("application/x-www-form-urlencoded")
	req.SetBodyString("grant_type=" + url.QueryEscape("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + jwt)
	if err := a.client.DoTimeout(req, resp, gcpTokenTimeout); err != nil {
		return nil, fmt.Errorf("token endpoint %s: %w", a.tokenURI, err)
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
		return nil, fmt.Errorf("token endpoint %s answered %d: %s", a.tokenURI, status, msg)
	}
	if jerr != nil || body.AccessToken == "" || body.ExpiresIn <= 0 {
		return nil, fmt.Errorf("token endpoint %s answered without an access token and its lifetime", a.tokenURI)
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

// assertion returns the signed JWT of the JWT-bearer grant.
func (a *gcpAuthorizer) assertion(now time.Time) (string, error) {
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
