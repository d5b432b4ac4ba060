package compat_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// golang.org/x/oauth2's device flow (RFC 8628), unchanged: DeviceAuth at
// Logto's device authorization endpoint, DeviceAccessToken polling while
// a person (a cookie-jar client) enters the code at /device, signs in at
// the hosted page and allows the device.
func (e *env) xOAuth2Device(t *testing.T) {
	f := newFlow(t, "golang.org/x/oauth2 device flow")
	const username, password = "device_user", "device-correct-horse-1"
	app := e.srv.MustCall(t, "POST", "/api/applications", map[string]any{"name": "Device TV", "type": "Native",
		"customClientMetadata": map[string]any{"isDeviceFlow": true}}, 200)["id"].(string)
	e.srv.MustCall(t, "POST", "/api/users", map[string]any{"username": username, "password": password}, 200)
	cfg := &oauth2.Config{ClientID: app, Scopes: []string{"openid", "offline_access"},
		Endpoint: oauth2.Endpoint{DeviceAuthURL: e.srv.Issuer + "/device/auth", TokenURL: e.srv.Issuer + "/token", AuthStyle: oauth2.AuthStyleInParams}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	f.Step("DeviceAuth")
	da, err := cfg.DeviceAuth(ctx)
	f.check(err)
	if da.VerificationURI != e.srv.URL+"/device" || !regexp.MustCompile(`^[A-Z]{4}-[A-Z]{4}$`).MatchString(da.UserCode) {
		f.Fatalf("device authorization: %+v", da)
	}

	type result struct {
		tok *oauth2.Token
		err error
	}
	done := make(chan result, 1)
	go func() {
		tok, err := cfg.DeviceAccessToken(ctx, da)
		done <- result{tok, err}
	}()

	f.Step("the person allows the device at the page")
	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar}
	csrf := regexp.MustCompile(`name="csrf" value="([^"]*)"`)
	inter := regexp.MustCompile(`name="interaction" value="([^"]*)"`)
	page := func(res *http.Response, err error) string {
		f.check(err)
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			f.Fatalf("%s: %d %s", res.Request.URL, res.StatusCode, b)
		}
		return string(b)
	}
	field := func(re *regexp.Regexp, body string) string {
		m := re.FindStringSubmatch(body)
		if m == nil {
			f.Fatalf("no form field %s in %s", re, body)
		}
		return m[1]
	}
	body := page(browser.Get(da.VerificationURIComplete))
	body = page(browser.PostForm(e.srv.URL+"/device", url.Values{"csrf": {field(csrf, body)}, "user_code": {da.UserCode}}))
	body = page(browser.PostForm(e.srv.URL+"/sign-in", url.Values{"csrf": {field(csrf, body)}, "interaction": {field(inter, body)},
		"identifier": {username}, "password": {password}}))
	if !strings.Contains(body, "Allow Device TV on your device?") {
		f.Fatalf("no confirmation: %s", body)
	}
	body = page(browser.PostForm(e.srv.URL+"/device/decide", url.Values{"csrf": {field(csrf, body)}, "user_code": {da.UserCode},
		"decision": {"allow"}}))
	if !strings.Contains(body, "Device TV is allowed.") {
		f.Fatalf("not allowed: %s", body)
	}

	f.Step("DeviceAccessToken")
	r := <-done
	f.check(r.err)
	if r.tok.AccessToken == "" || r.tok.RefreshToken == "" || r.tok.Extra("id_token") == nil {
		f.Fatalf("token: %+v", r.tok)
	}
	e.verifyToken(f, r.tok.AccessToken, e.srv.Issuer+"/me")
}
