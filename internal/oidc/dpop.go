package oidc

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/replay"
)

// dpopKey is the context key of the thumbprint of the DPoP key a token
// request proved it holds.
type dpopKey struct{}

// withDPoP returns ctx carrying jkt, the proven key's thumbprint.
func withDPoP(ctx context.Context, jkt string) context.Context {
	return context.WithValue(ctx, dpopKey{}, jkt)
}

// dpopJKT returns the thumbprint of the key the token request proved it
// holds, or "" without a DPoP proof.
func dpopJKT(ctx context.Context) string {
	jkt, _ := ctx.Value(dpopKey{}).(string)
	return jkt
}

// errDPoPRequired refuses a bearer token request of an app that must use
// DPoP.
func errDPoPRequired() *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_dpop_proof", Description: "this application's tokens must be bound to a DPoP key: send a DPoP proof"}
}

// tokenBinding returns the key an app's access token is bound to: the
// proven one, or "" for a bearer token unless the app requires DPoP.
func tokenBinding(ctx context.Context, app *catalog.App) (string, *Error) {
	jkt := dpopJKT(ctx)
	if jkt == "" && app.RequireDPoP {
		return "", errDPoPRequired()
	}
	return jkt, nil
}

// tokenType is the token_type of an access token bound to jkt.
func tokenType(jkt string) string {
	if jkt != "" {
		return "DPoP"
	}
	return "Bearer"
}

// dpopProof checks the DPoP header of a request (RFC 9449 §4.3), sent with
// accessToken ("" at the token endpoint): nil when there is none, or DPoP
// is not offered. Its jti is recorded, so that it is accepted once.
func (p *Provider) dpopProof(r *http.Request, accessToken string) (*dpop.Proof, *Error) {
	values := r.Header.Values("DPoP")
	if len(values) == 0 || !p.senderBound() {
		return nil, nil
	}
	if len(values) > 1 {
		return nil, dpopError("more than one DPoP header")
	}
	want := dpop.Expect{Method: r.Method, URL: p.requestURL(r), AccessToken: accessToken}
	if p.cfg.DPoPNonce {
		want.Nonce = p.validNonce
	}
	proof, err := dpop.Check(values[0], want, p.cfg.Now())
	var de *dpop.Error
	switch {
	case errors.Is(err, dpop.ErrNonce):
		return nil, &Error{Status: http.StatusBadRequest, Code: "use_dpop_nonce", Description: "a DPoP proof with the server's nonce is required", Nonce: p.nonce()}
	case errors.As(err, &de):
		return nil, dpopError(de.Desc)
	case err != nil:
		return nil, dpopError("invalid DPoP proof")
	}
	switch err := p.cfg.Replay.UseOnce(r.Context(), proof.ReplayID(), proof.Until); {
	case errors.Is(err, replay.ErrReplayed):
		return nil, dpopError("the DPoP proof was used before")
	case err != nil:
		p.cfg.Logger.Error("recording a DPoP proof's jti failed", "err", err)
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "the DPoP proof cannot be checked now"}
	}
	return &proof, nil
}

func dpopError(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_dpop_proof", Description: desc}
}

// checkDPoPJKT reads dpop_jkt at the authorization endpoint (RFC 9449
// §10): the thumbprint (RFC 7638, SHA-256, base64url) of the DPoP key the
// code is bound to; the code exchange then needs a proof of that key.
// Where DPoP is not offered, it is refused: a client that asks for a
// binding must not believe it has one.
func checkDPoPJKT(c *authContext) *authError {
	if !c.params.Has("dpop_jkt") {
		return nil
	}
	if !c.dpop {
		return redirectError("invalid_request", "dpop_jkt is not supported: DPoP is not offered")
	}
	jkt := c.params.Get("dpop_jkt")
	if !validThumbprint(jkt) {
		return redirectError("invalid_request", "dpop_jkt must be the base64url SHA-256 thumbprint of a key (RFC 7638)")
	}
	c.req.dpopJKT = jkt
	return nil
}

// validThumbprint reports whether s has the form of a base64url-encoded
// SHA-256 thumbprint.
func validThumbprint(s string) bool {
	b, err := base64.RawURLEncoding.DecodeString(s)
	return err == nil && len(b) == 32
}

// checkCodeBinding refuses the exchange of a code bound to a DPoP key
// (dpop_jkt) without a proof of that key.
func checkCodeBinding(ctx context.Context, codeJKT string) *Error {
	if codeJKT == "" {
		return nil
	}
	jkt := dpopJKT(ctx)
	if jkt == "" {
		return dpopError("the authorization code is bound to a DPoP key (dpop_jkt): send a DPoP proof of that key")
	}
	if subtle.ConstantTimeCompare([]byte(jkt), []byte(codeJKT)) != 1 {
		return invalidGrant("the DPoP proof's key is not the one the authorization code is bound to (dpop_jkt)")
	}
	return nil
}

// pushedBinding binds a pushed request to the key of the DPoP proof sent
// with it (RFC 9449 §10.1): its thumbprint becomes the request's
// dpop_jkt, which, when the request names one too, must be the same.
func (p *Provider) pushedBinding(r *http.Request, params url.Values) *Error {
	proof, err := p.dpopProof(r, "")
	if err != nil || proof == nil {
		return err
	}
	if params.Has("dpop_jkt") && params.Get("dpop_jkt") != proof.JKT {
		return dpopError("dpop_jkt is not the thumbprint of the DPoP proof's key")
	}
	params.Set("dpop_jkt", proof.JKT)
	return nil
}

// requestURL is the public URL a request was sent to, without its query:
// the endpoint's base (the face's token endpoint URL less its path) and
// the request's path. It is what a proof's htu must name.
func (p *Provider) requestURL(r *http.Request) string {
	f := p.profile(r.Context())
	base := f.Token.URL
	if len(f.Token.Paths) > 0 {
		base = strings.TrimSuffix(base, f.Token.Paths[0])
	}
	return base + r.URL.EscapedPath()
}

// Server-provided nonces (RFC 9449 §8) are made without state, so that
// every instance takes the others': the minute they were made and a keyed
// hash of it under the server's hashing key. A nonce is taken during the
// minute after it was made and the next.
const nonceStep = time.Minute

func (p *Provider) nonceAt(step int64) string {
	s := strconv.FormatInt(step, 36)
	mac := p.cfg.Hasher.Hash("dpop-nonce:" + s)
	return s + "." + base64.RawURLEncoding.EncodeToString(mac[:16])
}

// nonce returns the current nonce.
func (p *Provider) nonce() string {
	return p.nonceAt(p.cfg.Now().Unix() / int64(nonceStep/time.Second))
}

// validNonce reports whether n is the current or the previous nonce.
func (p *Provider) validNonce(n string) bool {
	step := p.cfg.Now().Unix() / int64(nonceStep/time.Second)
	for _, s := range []int64{step, step - 1} {
		if subtle.ConstantTimeCompare([]byte(n), []byte(p.nonceAt(s))) == 1 {
			return true
		}
	}
	return false
}
