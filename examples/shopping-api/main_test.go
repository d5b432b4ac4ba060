package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/m2m"
	"github.com/monban/monban/protect"
)

// The guide's flow against a real Monban: an app with both permissions
// lists and adds products; an app with read:products only may list but not
// add; requests without a valid token are refused.
func TestShoppingAPI(t *testing.T) {
	monban := monbantest.Start(t, monbantest.Options{})
	res := monban.CreateShop(t, 0)
	writer := monban.CreateAppWith(t, "Order sync", "Shop client", res, "read:products", "write:products")
	reader := monban.CreateAppWith(t, "Stats", "Shop reader", res, "read:products")

	auth, err := protect.New(protect.Config{Issuer: monban.Issuer, Audience: "https://shopping.api"})
	if err != nil {
		t.Fatal(err)
	}
	api := httptest.NewServer(newHandler(auth))
	defer api.Close()

	client := func(app monbantest.App) *http.Client {
		ts, err := m2m.New(m2m.Config{Endpoint: monban.URL, AppID: app.ID, AppSecret: app.Secret,
			Resource: "https://shopping.api", Scopes: []string{"read:products", "write:products"}})
		if err != nil {
			t.Fatal(err)
		}
		return ts.Client(context.Background())
	}
	do := func(c *http.Client, method, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, api.URL+"/products", strings.NewReader(body))
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}

	w := client(writer)
	if status, body := do(w, "POST", `{"name":"plum"}`); status != 201 || !strings.Contains(body, writer.ID) {
		t.Fatalf("POST with write:products: %d %s", status, body)
	}
	status, body := do(w, "GET", "")
	var list []product
	if status != 200 || json.Unmarshal([]byte(body), &list) != nil || len(list) != 3 || list[2].Name != "plum" {
		t.Fatalf("GET: %d %s", status, body)
	}
	r := client(reader)
	if status, body := do(r, "GET", ""); status != 200 {
		t.Fatalf("GET with read:products: %d %s", status, body)
	}
	if status, body := do(r, "POST", `{"name":"fig"}`); status != 403 || !strings.Contains(body, "insufficient_scope") {
		t.Fatalf("POST without write:products: %d %s", status, body)
	}
	if status, _ := do(http.DefaultClient, "GET", ""); status != 401 {
		t.Fatalf("GET without a token: %d", status)
	}
	if status, body := do(w, "POST", `{}`); status != 400 {
		t.Fatalf("POST without a name: %d %s", status, body)
	}
}
