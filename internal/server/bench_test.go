package server_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/ratelimit"
	"github.com/monban/monban/internal/server"
)

const (
	trivialScript = `const getCustomJwtClaims = async () => ({ tier: 'gold' });`
	contextScript = `const getCustomJwtClaims = async ({ token, context }) => ({
  appName: context.application.name, appType: context.application.type, aud: token.aud, scopes: (token.scope || '').split(' ').length });`
	// Reads the jti, unique to each token: it runs at every issuance, where
	// the two scripts above are answered from their first run's result.
	jtiScript = `const getCustomJwtClaims = async ({ token }) => ({ tier: 'gold', ref: token.jti.slice(0, 8) });`
)

// benchTokenEndpoint measures the whole token handler stack (middleware,
// parameter parsing, client authentication, scope resolution, the custom
// claims script when one is saved, signing, encoding) in process, without
// the network.
func benchTokenEndpoint(b *testing.B, script, wantClaim string) {
	srv, err := server.New(context.Background(), server.Config{
		Addr:                "127.0.0.1:0",
		Endpoint:            "http://localhost:3001",
		DatabaseURL:         "sqlite://" + filepath.Join(b.TempDir(), "monban.db"),
		ManagementIndicator: "http://localhost:3001/api",
		BootstrapAppID:      bootID,
		BootstrapAppSecret:  bootSecret,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
		// The limits run (their cost is measured) but never refuse.
		RateLimits: &server.RateLimits{
			TokenClient: ratelimit.Rule{Rate: 1e9, Burst: 1e9},
			TokenIP:     ratelimit.Rule{Rate: 1e9, Burst: 1e9},
		},
		// Room for a slow first run, so that the benchmarks also work under
		// an instruction counter (valgrind --tool=callgrind).
		ScriptLimits: claims.Limits{Timeout: time.Minute},
	})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	body := "grant_type=client_credentials&resource=" + url.QueryEscape("http://localhost:3001/api") + "&scope=all"
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(bootID+":"+bootSecret))
	token := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Authorization", auth)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if script != "" {
		var tok struct {
			AccessToken string `json:"access_token"`
		}
		_ = json.Unmarshal(token().Body.Bytes(), &tok)
		cfg, _ := json.Marshal(map[string]string{"script": script})
		req := httptest.NewRequest("PUT", "/api/configs/jwt-customizer/client-credentials", bytes.NewReader(cfg))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			b.Fatalf("saving the script: %d %s", rec.Code, rec.Body)
		}
		// The script must have run: its claim is in the token.
		rec = token()
		if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.AccessToken == "" {
			b.Fatalf("token with script: %s", rec.Body)
		}
		payload, _ := base64.RawURLEncoding.DecodeString(strings.Split(tok.AccessToken, ".")[1])
		if !bytes.Contains(payload, []byte(wantClaim)) {
			b.Fatalf("the token lacks %s: %s", wantClaim, payload)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := token(); rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}

func BenchmarkTokenClientCredentials(b *testing.B) { benchTokenEndpoint(b, "", "") }

func BenchmarkTokenClientCredentialsTrivialScript(b *testing.B) {
	benchTokenEndpoint(b, trivialScript, `"tier":"gold"`)
}

func BenchmarkTokenClientCredentialsContextScript(b *testing.B) {
	benchTokenEndpoint(b, contextScript, `"appType":"MachineToMachine"`)
}

func BenchmarkTokenClientCredentialsJTIScript(b *testing.B) {
	benchTokenEndpoint(b, jtiScript, `"ref":"`)
}
