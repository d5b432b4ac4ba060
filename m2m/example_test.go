package m2m_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/monban/monban/compat/monbantest"
	"github.com/monban/monban/m2m"
)

// localMonban starts a Monban in process with an API "https://shopping.api"
// (permissions read:products and write:products) and an M2M app holding a
// role with read:products, as the steps of docs/m2m.md would set it up. It
// stands in for a Monban you already run: replace its URL with yours (e.g.
// http://localhost:3001) and the App ID and App Secret with your app's.
func localMonban(env *monbantest.Env) (*monbantest.Server, monbantest.App) {
	srv := monbantest.Start(env, monbantest.Options{})
	return srv, srv.CreateAppWith(env, "Order sync", "Product reader", srv.CreateShop(env, 0), "read:products")
}

// An M2M app gets a token for an API. The first call asks the token
// endpoint; later calls get the same token until it nears its expiry.
func Example() {
	env := &monbantest.Env{}
	defer env.Close()
	monban, app := localMonban(env)

	ts, err := m2m.New(m2m.Config{
		Endpoint:  monban.URL, // the issuer is {Endpoint}/oidc
		AppID:     app.ID,
		AppSecret: app.Secret,
		Resource:  "https://shopping.api",
		Scopes:    []string{"read:products", "write:products"},
	})
	if err != nil {
		log.Fatal(err)
	}
	tok, err := ts.Token()
	if err != nil {
		log.Fatal(err)
	}
	// The app holds read:products only: the other scope is dropped.
	fmt.Println(tok.TokenType, tok.Extra("scope"))

	again, err := ts.Token()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("same token:", again.AccessToken == tok.AccessToken)
	// Output:
	// Bearer read:products
	// same token: true
}

// Client returns an *http.Client that sends the token with each request;
// here, to Monban's own Management API.
func ExampleTokenSource_Client() {
	env := &monbantest.Env{}
	defer env.Close()
	monban, _ := localMonban(env)

	ts, err := m2m.New(m2m.Config{
		Issuer:    monban.Issuer,
		AppID:     monbantest.AdminID, // an app with the "Management API access" role
		AppSecret: monbantest.AdminSecret,
		Resource:  monban.ManagementIndicator, // {endpoint}/api
		Scopes:    []string{"all"},
	})
	if err != nil {
		log.Fatal(err)
	}
	res, err := ts.Client(context.Background()).Get(monban.URL + "/api/applications?page=1") // paginated: with Total-Number
	if err != nil {
		log.Fatal(err)
	}
	defer res.Body.Close()
	fmt.Println(res.Status, res.Header.Get("Total-Number"), "applications")
	// Output: 200 OK 3 applications
}

// A failed token request is an *m2m.Error with the OAuth error code.
func ExampleError() {
	env := &monbantest.Env{}
	defer env.Close()
	monban, app := localMonban(env)

	ts, err := m2m.New(m2m.Config{
		Endpoint:  monban.URL,
		AppID:     app.ID,
		AppSecret: app.Secret,
		Resource:  "https://no-such.api",
	})
	if err != nil {
		log.Fatal(err)
	}
	_, err = ts.Token()
	var e *m2m.Error
	if errors.As(err, &e) {
		fmt.Println(e.Status, e.Code)
	}
	// Output: 400 invalid_target
}
