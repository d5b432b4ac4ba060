package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/protect"
)

// run against a real Monban and a small API with the shopping API's routes.
func TestRun(t *testing.T) {
	monban := monbantest.Start(t, monbantest.Options{})
	reader := monban.CreateAppWith(t, "Stats", "Shop reader", monban.CreateShop(t, 0), "read:products")

	auth, err := protect.New(protect.Config{Issuer: monban.Issuer, Audience: "https://shopping.api"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /products", auth.RequireScopes("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, `[{"name":"apple"}]`)
	})))
	mux.Handle("POST /products", auth.RequireScopes("write:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	api := httptest.NewServer(mux)
	defer api.Close()

	var out strings.Builder
	err = run(context.Background(), config{Endpoint: monban.URL, AppID: reader.ID, AppSecret: reader.Secret,
		Resource: "https://shopping.api", Scopes: []string{"read:products", "write:products"}, API: api.URL}, &out)
	if err != nil {
		t.Fatal(err)
	}
	want := "GET /products: 200 OK [{\"name\":\"apple\"}]\nPOST /products: 403 Forbidden"
	if !strings.HasPrefix(out.String(), want) || !strings.Contains(out.String(), `error="insufficient_scope"`) {
		t.Errorf("output:\n%s\nwant it to start with:\n%s", out.String(), want)
	}

	// Wrong credentials: the token request's error comes back.
	err = run(context.Background(), config{Endpoint: monban.URL, AppID: reader.ID, AppSecret: "wrong",
		Resource: "https://shopping.api", API: api.URL}, &out)
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("wrong secret: %v", err)
	}
}
