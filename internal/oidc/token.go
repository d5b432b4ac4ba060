package oidc

import (
	"context"
	"net/http"
	"time"

	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/httpjson"
)

// tokenResponse is a successful token response (RFC 6749 §5.1).
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	TokenType   string `json:"token_type"`
	Scope       string `json:"scope"`
	// User grants only.
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	// Token exchange only (RFC 8693 §2.2.1).
	IssuedTokenType string `json:"issued_token_type,omitempty"`
}

// TokenEvent is the outcome of one token request, for audit logs and
// metrics. It never holds a secret or a token.
type TokenEvent struct {
	Grant    string // grant_type as sent (bounded), or "" when unreadable
	ClientID string // the authenticated client, or the claimed one on failure
	UserID   string // the user the token is for, if any
	Resource string // the resource indicator of the access token
	Scope    string // granted scopes
	Error    string // OAuth error code; "" on success
	Status   int
	Duration time.Duration
}

// Observer is told about every token request once it is answered. It runs
// on the request's goroutine, so it must not block.
type Observer func(ctx context.Context, ev *TokenEvent)

// serveToken is the token endpoint: it reads the parameters and hands them
// to the grant the registry names (grants).
func (p *Provider) serveToken(w http.ResponseWriter, r *http.Request) {
	ev := &TokenEvent{}
	if p.cfg.Observer != nil {
		start := time.Now()
		defer func() {
			ev.Duration = time.Since(start)
			p.cfg.Observer(r.Context(), ev)
		}()
	}
	p.cors(w, r)
	params, perr := tokenParams(w, r)
	if perr != nil {
		ev.Error, ev.Status = perr.Code, perr.Status
		p.writeError(w, r, perr)
		return
	}
	var resp *tokenResponse
	var err *Error
	gt := params.Get("grant_type")
	ev.Grant = safeName(gt)
	switch g := p.grant(p.profile(r.Context()), gt); {
	case gt == "":
		err = errInvalidRequest("missing grant_type")
	case g == nil:
		err = &Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "grant_type " + safeName(gt) + " is not supported"}
	default:
		ev.Grant = g.Type()
		var proof *dpop.Proof
		if proof, err = p.dpopProof(r, ""); err == nil {
			if proof != nil {
				r = r.WithContext(withDPoP(r.Context(), proof.JKT))
			}
			resp, err = g.exchange(p, r, params, ev)
		}
	}
	if err != nil {
		ev.Error, ev.Status = err.Code, err.Status
		p.writeError(w, r, err)
		return
	}
	ev.Status = http.StatusOK
	h := w.Header()
	h["Content-Type"], h["Cache-Control"], h["Pragma"] = tokenContentType, tokenCacheControl, tokenPragma
	if p.cfg.DPoPNonce && resp.TokenType == "DPoP" {
		h.Set("DPoP-Nonce", p.nonce())
	}
	_ = httpjson.Encode(w, resp)
}

// The token response's fixed header values (RFC 6749 §5.1), shared by every
// response rather than allocated for each: they are set whole, never
// appended to or written into.
var (
	tokenContentType  = []string{"application/json"}
	tokenCacheControl = []string{"no-store"}
	tokenPragma       = []string{"no-cache"}
)
