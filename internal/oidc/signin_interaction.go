package oidc

import (
	"context"
	"errors"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/store"
)

// Messages of the pages for an interaction that cannot go on.
const (
	msgInteractionUnknown = "This sign-in is unknown here, or was started in another browser."
	msgInteractionExpired = "This sign-in has expired."
	msgInteractionUsed    = "This sign-in was already completed."
)

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
	binding := p.browserSecret(w, r, p.interactionCookieName())
	// Not cancelled with the request: a half-started sign-in helps no one.
	it, err := p.interactions().Start(context.WithoutCancel(r.Context()), req.app.ID, p.issuer(r.Context()), req.params, binding)
	if err != nil {
		p.cfg.Logger.Error("storing a sign-in interaction failed", "client_id", req.app.ID, "err", err)
		p.failAuth(w, r, req, redirectError("server_error", "could not start the sign-in"))
		return nil
	}
	return it
}

// resumeInteraction reads the interaction id for this browser (the one
// holding the interaction cookie it was started with). An unknown,
// foreign, expired or completed one gets an error page, and nil.
func (p *Provider) resumeInteraction(w http.ResponseWriter, r *http.Request, id string) *interaction.Interaction {
	var binding string
	if c, err := r.Cookie(p.interactionCookieName()); err == nil {
		binding = c.Value
	}
	it, err := p.interactions().Resume(r.Context(), id, binding)
	if err != nil {
		p.interactionErrorPage(w, "reading a sign-in interaction failed", err)
		return nil
	}
	return it
}

// interactionErrorPage answers an interaction that cannot go on: a page
// that says why, or, when the store failed, that the service is busy.
func (p *Provider) interactionErrorPage(w http.ResponseWriter, what string, err error) {
	switch {
	case errors.Is(err, interaction.ErrUnknown):
		p.errorPage(w, http.StatusBadRequest, msgInteractionUnknown)
	case errors.Is(err, interaction.ErrExpired):
		p.errorPage(w, http.StatusBadRequest, msgInteractionExpired)
	case errors.Is(err, interaction.ErrUsed), errors.Is(err, interaction.ErrConflict):
		p.errorPage(w, http.StatusBadRequest, msgInteractionUsed)
	default:
		if !errors.Is(err, store.ErrUnavailable) {
			p.cfg.Logger.Error(what, "err", err)
		}
		w.Header().Set("Retry-After", "5")
		p.errorPage(w, http.StatusServiceUnavailable, msgBusy)
	}
}

// recordFailure saves a wrong password (or unknown account) in the
// interaction. The count is a record, not a limit (the back-off is), so
// a failure to save it, or another tab's save first, changes no answer.
func (p *Provider) recordFailure(r *http.Request, it *interaction.Interaction, identifier string) {
	if err := it.Identify(identifier); err != nil {
		return
	}
	if err := it.PasswordFailed(); err != nil {
		return
	}
	err := p.interactions().Save(context.WithoutCancel(r.Context()), it)
	if err != nil && !errors.Is(err, interaction.ErrConflict) && !errors.Is(err, interaction.ErrUnknown) {
		p.cfg.Logger.Warn("recording a failed sign-in attempt failed", "err", err)
	}
}

// completeInteraction takes the interaction through the identify and
// password steps to done for user and saves it, which claims it: another
// tab holding the same interaction can no longer complete it. On failure
// it has answered and returns false.
func (p *Provider) completeInteraction(w http.ResponseWriter, r *http.Request, it *interaction.Interaction, identifier string, user *store.User) bool {
	err := it.Identify(identifier)
	if err == nil {
		err = it.PasswordVerified(user.ID)
	}
	if err == nil {
		err = p.interactions().Save(context.WithoutCancel(r.Context()), it)
	}
	if err != nil {
		p.interactionErrorPage(w, "completing a sign-in interaction failed", err)
		return false
	}
	return true
}

// consumeInteraction deletes a completed interaction once its request has
// been answered. A leftover is done, so it cannot be resumed, and the
// prune loop removes it when it expires.
func (p *Provider) consumeInteraction(r *http.Request, it *interaction.Interaction) {
	if err := p.interactions().Consume(context.WithoutCancel(r.Context()), it); err != nil {
		p.cfg.Logger.Warn("deleting a completed sign-in interaction failed", "err", err)
	}
}

// signInURL is the sign-in page of an interaction.
func (p *Provider) signInURL(it *interaction.Interaction) string {
	return p.u.Endpoint + "/sign-in?" + url.Values{"interaction": {it.ID}}.Encode()
}
