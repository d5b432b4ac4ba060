package server_test

import (
	"context"
	"encoding/base64"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
)

// BenchmarkTokenClientCredentials measures the whole token handler stack
// (middleware, parameter parsing, client authentication, scope resolution,
// signing, encoding) in process, without the network.
func BenchmarkTokenClientCredentials(b *testing.B) {
	ctx := context.Background()
	srv, err := server.New(ctx, server.Config{
		Addr:                "127.0.0.1:0",
		Endpoint:            "http://localhost:3001",
		DatabaseURL:         "sqlite://" + filepath.Join(b.TempDir(), "monban.db"),
		ManagementIndicator: "http://localhost:3001/api",
		BootstrapAppID:      bootID,
		BootstrapAppSecret:  bootSecret,
		Logger:              slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	body := "grant_type=client_credentials&resource=" + url.QueryEscape("http://localhost:3001/api") + "&scope=all"
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(bootID+":"+bootSecret))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := httptest.NewRequest("POST", "/oidc/token", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Authorization", auth)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
	})
}
