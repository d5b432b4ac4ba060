package protect_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/m2m"
	"github.com/monban/monban/protect"
)

// localMonban starts a Monban in process with an API "https://shopping.api"
// (permissions read:products and write:products) and an M2M app holding a
// role with read:products only, as the steps of docs/m2m.md would set it up.
// It stands in for a Monban you already run: use its issuer (e.g.
// http://localhost:3001/oidc) instead.
func localMonban(env *monbantest.Env) (*monbantest.Server, monbantest.App) {
	srv := monbantest.Start(env, monbantest.Options{})
	return srv, srv.CreateAppWith(env, "Stats", "Product reader", srv.CreateShop(env, 0), "read:products")
}

// An API with two routes, each needing its own permission. A client with
// read:products may list products but not add one.
func Example() {
	env := &monbantest.Env{}
	defer env.Close()
	monban, app := localMonban(env)

	auth, err := protect.New(protect.Config{
		Issuer:   monban.Issuer,          // e.g. http://localhost:3001/oidc
		Audience: "https://shopping.api", // the API resource's indicator
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /products", auth.RequireScopes("read:products")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, `["apple","pear"]`) })))
	mux.Handle("POST /products", auth.RequireScopes("write:products")(http.HandlerFunc(
		func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusCreated) })))
	api := httptest.NewServer(mux)
	defer api.Close()

	// A client of the API, with the m2m package.
	ts, err := m2m.New(m2m.Config{
		Endpoint: monban.URL, AppID: app.ID, AppSecret: app.Secret,
		Resource: "https://shopping.api", Scopes: []string{"read:products", "write:products"},
	})
	if err != nil {
		log.Fatal(err)
	}
	client := ts.Client(context.Background())

	res, err := client.Get(api.URL + "/products")
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println("GET", res.StatusCode)

	res, err = client.Post(api.URL+"/products", "application/json", strings.NewReader(`"plum"`))
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println("POST", res.StatusCode, res.Header.Get("WWW-Authenticate"))

	res, err = http.Get(api.URL + "/products") // no token
	if err != nil {
		log.Fatal(err)
	}
	res.Body.Close()
	fmt.Println("GET without a token", res.StatusCode, res.Header.Get("WWW-Authenticate"))
	// Output:
	// GET 200
	// POST 403 Bearer realm="https://shopping.api", error="insufficient_scope", error_description="the token lacks the scope write:products", scope="write:products"
	// GET without a token 401 Bearer realm="https://shopping.api"
}

// A handler reads who called it, and with which permissions.
func ExampleClaimsFrom() {
	env := &monbantest.Env{}
	defer env.Close()
	monban, app := localMonban(env)

	auth, err := protect.New(protect.Config{Issuer: monban.Issuer, Audience: "https://shopping.api"})
	if err != nil {
		log.Fatal(err)
	}
	h := auth.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := protect.ClaimsFrom(r.Context())
		fmt.Println("app:", c.ClientID == app.ID, "scopes:", c.Scopes, "aud:", c.Audience)
		fmt.Println("raw scope claim:", c.Raw()["scope"])
	}))

	tok := monban.Token(env, app, "https://shopping.api", "read:products")["access_token"].(string)
	req := httptest.NewRequest("GET", "/products", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(httptest.NewRecorder(), req)
	// Output:
	// app: true scopes: [read:products] aud: [https://shopping.api]
	// raw scope claim: read:products
}

// Verify checks a token outside of HTTP (a gRPC interceptor, a message
// queue consumer).
func ExampleVerifier_Verify() {
	env := &monbantest.Env{}
	defer env.Close()
	monban, app := localMonban(env)

	auth, err := protect.New(protect.Config{Issuer: monban.Issuer, Audience: "https://shopping.api"})
	if err != nil {
		log.Fatal(err)
	}
	tok := monban.Token(env, app, "https://shopping.api", "read:products")["access_token"].(string)
	claims, err := auth.Verify(context.Background(), tok)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(claims.HasScope("read:products"), claims.HasScope("write:products"))

	_, err = auth.Verify(context.Background(), tok[:len(tok)-4]+"AAAA")
	fmt.Println(err)
	// Output:
	// true false
	// protect: invalid token: bad signature
}
