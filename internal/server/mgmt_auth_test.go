package server_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/token"
)

// The Management API refuses every token this server did not issue for it,
// through the real verifier: 401 with an RFC 6750 challenge.
func TestManagementAPIRejectsBadTokens(t *testing.T) {
	ts := startServer(t)
	clk := fakeClock()
	ts.restartWith(func(cfg *server.Config) { cfg.Clock = clk })
	good := ts.managementToken()
	parts := strings.Split(good, ".")
	enc := base64.RawURLEncoding.EncodeToString
	var header map[string]any
	hb, _ := base64.RawURLEncoding.DecodeString(parts[0])
	_ = json.Unmarshal(hb, &header)
	var claims map[string]any
	cb, _ := base64.RawURLEncoding.DecodeString(parts[1])
	_ = json.Unmarshal(cb, &claims)

	withHeader := func(changes map[string]any) string {
		h := map[string]any{}
		for k, v := range header {
			h[k] = v
		}
		for k, v := range changes {
			h[k] = v
		}
		b, _ := json.Marshal(h)
		return enc(b)
	}
	withClaims := func(changes map[string]any) string {
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		for k, v := range changes {
			c[k] = v
		}
		b, _ := json.Marshal(c)
		return enc(b)
	}
	jwks := ts.do("GET", "/oidc/jwks", nil, nil).Body
	hsInput := withHeader(map[string]any{"alg": "HS256"}) + "." + parts[1]
	mac := hmac.New(sha256.New, jwks)
	mac.Write([]byte(hsInput))

	cases := map[string]string{
		"garbage":            "abc",
		"alg none":           withHeader(map[string]any{"alg": "none"}) + "." + parts[1] + ".",
		"HMAC keyed by JWKS": hsInput + "." + enc(mac.Sum(nil)),
		"tampered scope":     parts[0] + "." + withClaims(map[string]any{"scope": "all everything"}) + "." + parts[2],
		"tampered exp":       parts[0] + "." + withClaims(map[string]any{"exp": 1}) + "." + parts[2],
		"unknown kid":        withHeader(map[string]any{"kid": "nope"}) + "." + parts[1] + "." + parts[2],
		"signature cut":      parts[0] + "." + parts[1] + "." + parts[2][:20],
	}
	for name, tok := range cases {
		t.Run(name, func(t *testing.T) {
			r := ts.api(tok, "GET", "/api/applications", nil)
			if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Errorf("%d %q %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
			}
			if strings.Contains(string(r.Body), tok) && len(tok) > 8 {
				t.Error("the token is echoed")
			}
		})
	}
	r := ts.do("GET", "/api/applications", nil, nil)
	if r.Status != 401 || r.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no token: %d %q", r.Status, r.Header.Get("WWW-Authenticate"))
	}
	r = ts.do("GET", "/api/applications", http.Header{"Authorization": {"Bearer " + good}}, nil)
	if r.Status != 200 {
		t.Errorf("good token: %d", r.Status)
	}

	// The good token itself, once expired: accepted until the leeway has
	// passed, then refused as expired.
	exp := time.Unix(int64(claims["exp"].(float64)), 0)
	clk.Set(exp.Add(token.Leeway - time.Second))
	if r := ts.do("GET", "/api/applications", http.Header{"Authorization": {"Bearer " + good}}, nil); r.Status != 200 {
		t.Errorf("good token within the leeway: %d %s", r.Status, r.Body)
	}
	clk.Set(exp.Add(token.Leeway))
	r = ts.do("GET", "/api/applications", http.Header{"Authorization": {"Bearer " + good}}, nil)
	if www := r.Header.Get("WWW-Authenticate"); r.Status != 401 || !strings.Contains(www, `error="invalid_token"`) || !strings.Contains(www, "expired") {
		t.Errorf("expired token: %d %q %s", r.Status, www, r.Body)
	}
}
