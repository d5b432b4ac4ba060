// Command shopping-api is the API of Logto's machine-to-machine guide, an
// API resource "https://shopping.api", guarded by the protect package:
//
//	GET  /products  needs the permission read:products
//	POST /products  needs the permission write:products
//
// Tokens are checked against the issuer's published keys; a request without
// a valid token gets 401, one whose token lacks the permission gets 403.
//
// Against a local Monban set up as in docs/m2m.md (the resource
// https://shopping.api with both permissions, an M2M role and app):
//
//	go run ./cmd/monban serve &
//	go run ./examples/shopping-api -issuer http://localhost:3001/oidc -audience https://shopping.api -addr 127.0.0.1:8080
//
// then call it with examples/m2m-client, or with curl and a token:
//
//	curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/products
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/monban/monban/protect"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8080", "listen address")
	issuer := flag.String("issuer", "http://localhost:3001/oidc", "the token issuer: {Monban endpoint}/oidc")
	audience := flag.String("audience", "https://shopping.api", "this API's resource indicator")
	flag.Parse()

	auth, err := protect.New(protect.Config{Issuer: *issuer, Audience: *audience})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Optional: fail early if the issuer cannot be reached.
	if err := auth.Refresh(ctx); err != nil {
		log.Printf("warning: %v (tokens will be checked once the keys can be fetched)", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("shopping API listening on http://%s\n", ln.Addr())
	srv := &http.Server{Handler: newHandler(auth), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdown)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}

// product is one item of the shop.
type product struct {
	Name    string `json:"name"`
	AddedBy string `json:"addedBy,omitempty"` // the App ID of the app that added it
}

// newHandler is the API: an in-memory list of products.
func newHandler(auth *protect.Verifier) http.Handler {
	var mu sync.Mutex
	products := []product{{Name: "apple"}, {Name: "pear"}}

	mux := http.NewServeMux()
	mux.Handle("GET /products", auth.RequireScopes("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		list := append([]product(nil), products...)
		mu.Unlock()
		writeJSON(w, http.StatusOK, list)
	})))
	mux.Handle("POST /products", auth.RequireScopes("write:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p product
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096)).Decode(&p); err != nil || p.Name == "" {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": `the body must be {"name": "…"}`})
			return
		}
		p.AddedBy = protect.ClaimsFrom(r.Context()).ClientID
		mu.Lock()
		products = append(products, p)
		mu.Unlock()
		writeJSON(w, http.StatusCreated, p)
	})))
	return mux
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
