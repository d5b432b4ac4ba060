// Package compat is Monban's compatibility suite: its tests start a real
// Monban and drive it with OAuth 2.0 and OpenID Connect clients that were
// written elsewhere (golang.org/x/oauth2, coreos/go-oidc, go-jose, Node's
// openid-client and jose, the fetch code of Logto's guide, curl as Logto's
// and Auth0's documentation show it), plus Monban's own m2m and protect
// packages end to end. See docs/compat.md.
package compat
