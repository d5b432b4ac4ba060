// Command m2m-client is an M2M app that calls the shopping API
// (examples/shopping-api) with an access token from Monban, got and renewed
// by the m2m package: it lists the products, then adds one.
//
// The App ID and App Secret come from the environment (not flags, which
// show in process lists). Against a local Monban set up as in docs/m2m.md,
// with the shopping API running:
//
//	export APP_ID=… APP_SECRET=…   # the M2M app's credentials
//	go run ./examples/m2m-client -endpoint http://localhost:3001 -api http://127.0.0.1:8080
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/monban/monban/m2m"
)

// config is what the client needs.
type config struct {
	Endpoint  string // Monban's endpoint
	AppID     string
	AppSecret string
	Resource  string   // the API's indicator
	Scopes    []string // the permissions to ask for
	API       string   // the shopping API's base URL
}

func main() {
	var cfg config
	var scopes string
	flag.StringVar(&cfg.Endpoint, "endpoint", "http://localhost:3001", "Monban's endpoint (the issuer is {endpoint}/oidc)")
	flag.StringVar(&cfg.Resource, "resource", "https://shopping.api", "the API resource's indicator")
	flag.StringVar(&scopes, "scopes", "read:products write:products", "the permissions to ask for, space-separated")
	flag.StringVar(&cfg.API, "api", "http://127.0.0.1:8080", "the shopping API's base URL")
	flag.Parse()
	cfg.AppID, cfg.AppSecret = os.Getenv("APP_ID"), os.Getenv("APP_SECRET")
	cfg.Scopes = strings.Fields(scopes)
	if cfg.AppID == "" || cfg.AppSecret == "" {
		log.Fatal("set APP_ID and APP_SECRET to the M2M app's credentials")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, cfg, os.Stdout); err != nil {
		log.Fatal(err)
	}
}

// run lists the products and adds one, printing each answer.
func run(ctx context.Context, cfg config, out io.Writer) error {
	ts, err := m2m.New(m2m.Config{
		Endpoint:  cfg.Endpoint,
		AppID:     cfg.AppID,
		AppSecret: cfg.AppSecret,
		Resource:  cfg.Resource,
		Scopes:    cfg.Scopes,
	})
	if err != nil {
		return err
	}
	// The client adds a fresh token to each request; the token source asks
	// Monban for one only when the current one nears its expiry.
	client := ts.Client(ctx)

	for _, step := range []struct{ method, body string }{{"GET", ""}, {"POST", `{"name":"plum"}`}} {
		req, err := http.NewRequestWithContext(ctx, step.method, cfg.API+"/products", strings.NewReader(step.body))
		if err != nil {
			return err
		}
		if step.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		res, err := client.Do(req)
		if err != nil {
			return err // an *m2m.Error if Monban refused the token request
		}
		body, err := io.ReadAll(io.LimitReader(res.Body, 64<<10))
		res.Body.Close()
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s /products: %s %s", step.method, res.Status, body)
		if res.StatusCode >= 400 {
			fmt.Fprintf(out, "  (%s)\n", res.Header.Get("WWW-Authenticate"))
		}
	}
	return nil
}
