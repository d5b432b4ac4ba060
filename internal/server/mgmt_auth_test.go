package server_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/sealed"
	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/store/sqlite"
	"github.com/monban/monban/internal/store/storetest"
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

// resign signs claims with the server's current key, read from its
// database, as the server would sign them.
func resign(t *testing.T, ts *testServer, claims map[string]any) string {
	t.Helper()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, ts.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	key, err := sealed.LoadKeyFile(filepath.Join(filepath.Dir(ts.dbPath), server.SecretKeyFileName))
	if err != nil {
		t.Fatal(err)
	}
	storetest.Unlock(t, st, key)
	stored, err := st.ListSigningKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range stored {
		if k.Status != store.KeyCurrent {
			continue
		}
		key, err := keys.Parse(k)
		if err != nil {
			t.Fatal(err)
		}
		payload, err := json.Marshal(claims)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := token.NewSigner(key).Sign(token.TypeAccessToken, payload)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	t.Fatal("no current signing key")
	return ""
}

// Tokens properly signed with the server's own key but outside their
// validity window are refused through the API: exp, nbf and iat are
// checked (with token.Leeway for clock skew), not only the signature.
func TestManagementAPIChecksTokenTimes(t *testing.T) {
	ts := startServer(t)
	good := ts.managementToken()
	cb, err := base64.RawURLEncoding.DecodeString(strings.Split(good, ".")[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(cb, &claims); err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	late := int64((token.Leeway + 5*time.Minute) / time.Second)
	with := func(changes map[string]any) map[string]any {
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		for k, v := range changes {
			if v == nil {
				delete(c, k)
			} else {
				c[k] = v
			}
		}
		return c
	}
	// The same claims, re-signed, are accepted: what follows fails for its
	// times alone.
	if r := ts.api(resign(t, ts, with(nil)), "GET", "/api/applications", nil); r.Status != 200 {
		t.Fatalf("re-signed good token: %d %s", r.Status, r.Body)
	}
	// Within the leeway is still accepted.
	if r := ts.api(resign(t, ts, with(map[string]any{"exp": now - 5})), "GET", "/api/applications", nil); r.Status != 200 {
		t.Fatalf("expired 5 s ago (within leeway): %d %s", r.Status, r.Body)
	}
	for name, tc := range map[string]struct {
		claims map[string]any
		desc   string
	}{
		"expired":              {map[string]any{"iat": now - 2*late, "exp": now - late}, "expired"},
		"no exp":               {map[string]any{"exp": nil}, "no exp"},
		"not valid yet":        {map[string]any{"nbf": now + late}, "not valid yet"},
		"issued in the future": {map[string]any{"iat": now + late, "exp": now + 2*late}, "issued in the future"},
	} {
		t.Run(name, func(t *testing.T) {
			r := ts.api(resign(t, ts, with(tc.claims)), "GET", "/api/applications", nil)
			if r.Status != 401 || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
				t.Fatalf("%d %q %s", r.Status, r.Header.Get("WWW-Authenticate"), r.Body)
			}
			if m := r.json(t); !strings.Contains(fmt.Sprint(m["error_description"]), tc.desc) {
				t.Errorf("error_description %q, want it to say %q", m["error_description"], tc.desc)
			}
		})
	}
}
