package oidc

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// postForm posts form to url and decodes the JSON answer.
func postForm(t testing.TB, url string, form url.Values) (*http.Response, map[string]any) {
	t.Helper()
	res, err := http.Post(url, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	must(t, err)
	defer res.Body.Close()
	var m map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&m))
	return res, m
}

// getJSON gets url and decodes the JSON answer.
func getJSON(t testing.TB, url string) (*http.Response, map[string]any) {
	t.Helper()
	res, err := http.Get(url)
	must(t, err)
	defer res.Body.Close()
	var m map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&m))
	return res, m
}
