package oidc

import (
	"context"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/store"
)

// SignInPath is the hosted sign-in pages' path, to which the
// authorization endpoint sends a browser with the interaction's id.
const SignInPath = "/sign-in"

// The hosted pages (internal/signin) drive an interaction from the
// authorization request to its end. The provider offers them three narrow
// calls, and nothing else of its internals: Begin (a link to the pages
// carrying an authorization request), Check (the stored request still
// holds; the application's name) and Complete (the account is proved:
// start the session and resume the request).

// interactions are the sign-ins in progress at the hosted pages. They
// live in the store, whose prune loop removes the expired ones.
func (p *Provider) interactions() *interaction.Manager {
	return interaction.NewManager(p.u.Store, interaction.DefaultTTL, p.cfg.Now)
}

// startInteraction stores the checked request req as a new interaction,
// bound to this browser by its interaction cookie (set here if it has
// none). On failure it has answered and returns nil.
func (p *Provider) startInteraction(w http.ResponseWriter, r *http.Request, req *authRequest) *interaction.Interaction {
	// One value serves every interaction of the browser, so that tabs do
	// not undo each other.
	binding := p.u.cookies.Secret(w, r, browser.InteractionCookie)
	// Not cancelled with the request: a half-started sign-in helps no one.
	it, err := p.interactions().Start(context.WithoutCancel(r.Context()), req.app.ID, p.issuer(r.Context()), req.params, binding)
	if err != nil {
		p.cfg.Logger.Error("storing a sign-in interaction failed", "client_id", req.app.ID, "err", err)
		p.failAuth(w, r, req, redirectError("server_error", "could not start the sign-in"))
		return nil
	}
	if p.cfg.InteractionAudit != nil {
		p.cfg.InteractionAudit(r.Context(), audit.Interaction{Key: audit.KeyCreate, ClientID: req.app.ID})
		p.cfg.InteractionAudit(r.Context(), audit.Interaction{Key: audit.EventKey(string(it.Event), "Create"), ClientID: req.app.ID})
	}
	return it
}

// signInURL is the sign-in page of an interaction.
func (p *Provider) signInURL(it *interaction.Interaction) string {
	return p.u.Endpoint + SignInPath + "?" + url.Values{"interaction": {it.ID}}.Encode()
}

// Begin checks the authorization request params (a link to the sign-in
// page from before interactions) as the provider's own authorization
// endpoint would, and starts an interaction for it. On failure it has
// answered and returns nil.
func (p *Provider) Begin(w http.ResponseWriter, r *http.Request, params url.Values) *interaction.Interaction {
	req, aerr := p.parseAuthRequest(&p.face, params)
	if aerr != nil {
		p.failAuth(w, r, req, aerr)
		return nil
	}
	return p.startInteraction(w, r, req)
}

// Check checks the stored authorization request of it again, on the face
// that started it (the application may have been deleted or changed
// since): it returns the application's name, or false when the request
// no longer holds, after answering as the authorization endpoint would.
func (p *Provider) Check(w http.ResponseWriter, r *http.Request, it *interaction.Interaction) (string, bool) {
	r = p.onFace(r, p.faceOf(it.Issuer))
	if isDevice(it) {
		return p.checkDevice(w, r, it)
	}
	req, aerr := p.parseCheckedRequest(p.profile(r.Context()), it.Request)
	if aerr != nil {
		p.failAuth(w, r, req, aerr)
		return "", false
	}
	return req.app.Name, true
}

// Complete ends interaction it, done (claimed) for user: it starts the
// browser's session with the interaction's verification records,
// resumes the authorization request on the face that started it (a
// redirect with a code, or with an error), and consumes the interaction.
// It reports whether the session started and the code was issued. A
// device sign-in (BeginDevice) is sent back to the device verification
// page instead, which asks to allow the device.
func (p *Provider) Complete(w http.ResponseWriter, r *http.Request, it *interaction.Interaction, user *store.User) bool {
	r = p.onFace(r, p.faceOf(it.Issuer))
	defer p.consumeInteraction(r, it)
	if isDevice(it) {
		return p.completeDevice(w, r, it, user)
	}
	req, aerr := p.parseCheckedRequest(p.profile(r.Context()), it.Request)
	if aerr != nil {
		p.failAuth(w, r, req, aerr)
		return false
	}
	sess, ok := p.startSession(w, r, user, it.SignInRecord(), req.app.ID)
	if !ok {
		p.failAuth(w, r, req, redirectError("server_error", "could not complete the sign-in"))
		return false
	}
	return p.issueCode(w, r, req, sess, user)
}

// consumeInteraction deletes a completed interaction once its request has
// been answered. A leftover is done, so it cannot be resumed, and the
// prune loop removes it when it expires.
func (p *Provider) consumeInteraction(r *http.Request, it *interaction.Interaction) {
	if err := p.interactions().Consume(context.WithoutCancel(r.Context()), it); err != nil {
		p.cfg.Logger.Warn("deleting a completed sign-in interaction failed", "err", err)
	}
}
