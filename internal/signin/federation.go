package signin

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/federation"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// CallbackPath is where upstream providers send the browser back, below
// Path: {Endpoint}/sign-in/callback/{connectorId} is the redirect URI to
// register at a provider.
const CallbackPath = Path + "/callback/"

// CallbackURL is the redirect URI of connectorID at the pages of
// endpoint.
func CallbackURL(endpoint, connectorID string) string {
	return endpoint + CallbackPath + url.PathEscape(connectorID)
}

// startTrip sends the browser of v to the provider p of connectorID (of
// kind): the interaction records the trip (its state names the
// interaction), then the browser goes to p's authorization endpoint. On
// failure it has answered.
func (s *Pages) startTrip(w http.ResponseWriter, r *http.Request, v *view, kind federation.Kind, connectorID string, p federation.Provider) {
	if err := s.begin(r, v.it, interaction.EventSignIn, interaction.ActFederationStarted); err != nil {
		s.interactionError(w, r, v.exp, "starting a sign-in over", err)
		return
	}
	pending := federation.NewPending(v.it.ID)
	to, err := p.AuthURL(r.Context(), pending)
	if err != nil {
		s.tripFailed(w, r, v, "reaching an identity provider failed", err)
		return
	}
	rec := store.Verification{ID: randid.ID(), Type: string(kind), ConnectorID: connectorID,
		Trip: &store.Trip{State: pending.State, Nonce: pending.Nonce, Verifier: pending.Verifier}}
	if err := v.it.FederationStarted(rec); err != nil {
		s.interactionError(w, r, v.exp, "a federated sign-in", err)
		return
	}
	if !s.save(w, r, v) {
		return
	}
	s.report(r, audit.Interaction{Key: audit.VerificationKey(string(v.it.Event), string(kind), "Create"), ClientID: v.it.ClientID})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// resumeTrip opens the interaction the state of a provider's callback
// names, for this browser, and its pending trip, which must be to
// connectorID (of kind). The trip is used up: whatever the callback
// proves, it cannot be presented again. On failure it has answered and
// returns nil.
func (s *Pages) resumeTrip(w http.ResponseWriter, r *http.Request, kind federation.Kind, connectorID, state string) (*view, federation.Pending) {
	v := s.open(w, r, federation.InteractionOf(state))
	if v == nil {
		return nil, federation.Pending{}
	}
	rec, ok := v.it.Trip()
	if !ok || rec.Type != string(kind) || rec.ConnectorID != connectorID {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_federation")
		return nil, federation.Pending{}
	}
	p := federation.Pending{State: rec.Trip.State, Nonce: rec.Trip.Nonce, Verifier: rec.Trip.Verifier}
	if !p.Matches(state) {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_federation")
		return nil, federation.Pending{}
	}
	// The trip is spent before the provider is asked: a replayed or
	// raced callback finds none.
	if err := v.it.Choose(interaction.EventSignIn); err != nil {
		s.interactionError(w, r, v.exp, "a federated sign-in", err)
		return nil, federation.Pending{}
	}
	if err := v.it.FederationStarted(store.Verification{ID: rec.ID, Type: rec.Type, ConnectorID: rec.ConnectorID, Trip: &store.Trip{}}); err != nil {
		s.interactionError(w, r, v.exp, "a federated sign-in", err)
		return nil, federation.Pending{}
	}
	if !s.save(w, r, v) {
		return nil, federation.Pending{}
	}
	return v, p
}

// exchange redeems the callback cb of trip p at provider prov and hands
// the identity to federated; on failure it has answered.
func (s *Pages) exchange(w http.ResponseWriter, r *http.Request, v *view, prov federation.Provider, p federation.Pending, cb federation.Callback) {
	id, err := prov.Exchange(r.Context(), p, cb)
	if err != nil {
		s.tripFailed(w, r, v, "an identity provider's callback failed", err)
		return
	}
	s.federated(w, r, v, id)
}

// tripFailed answers a trip that could not start or whose callback did
// not prove an identity: the sign-in screen, with why.
func (s *Pages) tripFailed(w http.ResponseWriter, r *http.Request, v *view, what string, err error) {
	status, key := http.StatusBadRequest, "err_federation"
	switch {
	case errors.Is(err, federation.ErrDenied):
		key = "err_federation_denied"
	case errors.Is(err, federation.ErrUpstream), errors.Is(err, federation.ErrConfig):
		status, key = http.StatusBadGateway, "err_federation_unavailable"
		s.cfg.Logger.Warn(what, "err", err)
	default:
		s.cfg.Logger.Info(what, "err", err)
	}
	s.show(w, r, v, status, "signin", func(p *page) { p.Error = p.T(key) })
}

// federated is the one place an identity proved by an upstream provider
// signs in: to the account that has it; or, when its e-mail address is
// verified by the provider and an account has the address, to that
// account once the person confirms the link; or to a new account when
// sign-up is open. Every path ends in finish.
func (s *Pages) federated(w http.ResponseWriter, r *http.Request, v *view, id federation.Identity) {
	up := directory.Upstream{Target: id.Target, ExternalID: id.ExternalID, Email: id.Email, EmailVerified: id.EmailVerified,
		Name: id.Name, Picture: id.Picture, Details: id.UserInfo()}
	rec := interaction.FederatedRecord(randid.ID(), string(id.Kind), id.ConnectorID, id.Target, id.UserInfo(), id.Issuer)
	ctx := context.WithoutCancel(r.Context())
	outcome, user, err := s.cfg.Directory.ResolveUpstream(ctx, up)
	if err != nil {
		s.federationRefused(w, r, v, "resolving an upstream identity failed", err)
		return
	}
	switch outcome {
	case directory.OutcomeSignIn:
		if user.IsSuspended {
			s.show(w, r, v, http.StatusForbidden, "signin", func(p *page) { p.Error = p.T("err_suspended") })
			return
		}
		if err := s.cfg.Directory.RefreshUpstream(ctx, user.ID, up); err != nil {
			s.cfg.Logger.Warn("refreshing an identity's details failed", "user_id", user.ID, "err", err)
		}
		if err := v.it.Federated(rec, user.ID); err != nil {
			s.interactionError(w, r, v.exp, "a federated sign-in", err)
			return
		}
		s.finish(w, r, v, &user)
	case directory.OutcomeLink:
		if err := v.it.LinkOffered(rec, user.ID); err != nil {
			s.interactionError(w, r, v.exp, "a federated sign-in", err)
			return
		}
		if !s.save(w, r, v) {
			return
		}
		s.redirectToScreen(w, r, v, "")
	default:
		if !v.screens.FederatedSignUp {
			s.show(w, r, v, http.StatusForbidden, "signin", func(p *page) { p.Error = p.T("err_federation_no_account") })
			return
		}
		user, err := s.cfg.Directory.RegisterUpstream(ctx, up)
		if err != nil {
			s.federationRefused(w, r, v, "creating a user from an upstream identity failed", err)
			return
		}
		if err := v.it.FederatedRegistered(rec, user.ID); err != nil {
			s.interactionError(w, r, v.exp, "a federated sign-up", err)
			return
		}
		s.finish(w, r, v, &user)
	}
}

// federationRefused answers a directory refusal of an upstream identity.
func (s *Pages) federationRefused(w http.ResponseWriter, r *http.Request, v *view, what string, err error) {
	var de *directory.Error
	switch {
	case errors.As(err, &de) && de.Kind == directory.Conflict:
		// Another tab made the account or took the identity meanwhile.
		s.show(w, r, v, http.StatusConflict, "signin", func(p *page) { p.Error = p.T("err_federation_conflict") })
	case errors.As(err, &de):
		s.show(w, r, v, http.StatusBadRequest, "signin", func(p *page) { p.Error = p.T("err_federation") })
	default:
		s.busy(w, r, v, "signin", what, err)
	}
}

// serveLink is the answer to the offer to link an identity to the account
// with its verified e-mail address: "link" links it and signs in to the
// account; anything else declines, and the sign-in starts over.
func (s *Pages) serveLink(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "link", "decision")
	if v == nil {
		return
	}
	accountID, rec, ok := v.it.LinkTarget()
	if !ok {
		s.errorPage(w, v.lang, v.exp, http.StatusBadRequest, "err_used")
		return
	}
	if f.Get("decision") != "link" {
		if err := v.it.Choose(interaction.EventSignIn); err != nil {
			s.interactionError(w, r, v.exp, "declining a link", err)
			return
		}
		if s.save(w, r, v) {
			s.redirectToScreen(w, r, v, "signin")
		}
		return
	}
	up := linkedUpstream(rec)
	user, err := s.cfg.Directory.LinkUpstream(context.WithoutCancel(r.Context()), accountID, up)
	if err != nil {
		s.federationRefused(w, r, v, "linking an identity failed", err)
		return
	}
	if user.IsSuspended {
		s.show(w, r, v, http.StatusForbidden, "signin", func(p *page) { p.Error = p.T("err_suspended") })
		return
	}
	if err := v.it.Linked(); err != nil {
		s.interactionError(w, r, v.exp, "linking an identity", err)
		return
	}
	s.finish(w, r, v, &user)
}

// linkedUpstream is the identity of the record of a link offered (its
// userInfo, in Logto's shape): a link is offered only for an address the
// provider verified.
func linkedUpstream(rec store.Verification) directory.Upstream {
	info := rec.UserInfo
	str := func(k string) string { s, _ := info[k].(string); return s }
	return directory.Upstream{Target: rec.Target, ExternalID: str("id"), Email: str("email"), EmailVerified: true,
		Name: str("name"), Picture: str("avatar"), Details: info}
}

// SocialConnectors is what the pages need of the social connectors.
type SocialConnectors interface {
	// Buttons are the social connectors of targets, in that order; a
	// target without a connector is left out.
	Buttons(ctx context.Context, targets []string) ([]SocialButton, error)
	// Provider is the upstream provider of the social connector id,
	// calling back to callbackURL, and its button. ErrNoProvider: no
	// social connector has the id.
	Provider(ctx context.Context, id, callbackURL string) (federation.Provider, SocialButton, error)
}

// ErrNoProvider: no connector has the id.
var ErrNoProvider = federation.ErrNoProvider

// socialButtons are the buttons of the experience's social connectors;
// a failure is logged and shows none.
func (s *Pages) socialButtons(ctx context.Context, exp Experience) []SocialButton {
	if s.cfg.Social == nil || len(exp.SocialTargets) == 0 {
		return nil
	}
	bs, err := s.cfg.Social.Buttons(ctx, exp.SocialTargets)
	if err != nil {
		s.cfg.Logger.Warn("reading the social connectors failed", "err", err)
		return nil
	}
	return bs
}

// socialProvider is the provider of the social connector id, when the
// experience offers it.
func (s *Pages) socialProvider(ctx context.Context, v *view, id string) (federation.Provider, SocialButton, error) {
	if s.cfg.Social == nil || id == "" || len(id) > 128 {
		return nil, SocialButton{}, ErrNoProvider
	}
	p, b, err := s.cfg.Social.Provider(ctx, id, CallbackURL(s.cfg.Endpoint, id))
	if err != nil {
		return nil, SocialButton{}, err
	}
	if !slices.Contains(v.exp.SocialTargets, b.Target) {
		return nil, SocialButton{}, ErrNoProvider
	}
	return p, b, nil
}

// providerName is the name of the provider of a link offered: its
// button's, else its target.
func (s *Pages) providerName(v *view, p *page, rec store.Verification) string {
	if rec.Type == string(federation.Social) {
		for _, b := range v.screens.Social {
			if b.ConnectorID == rec.ConnectorID {
				return p.SocialName(b)
			}
		}
	}
	return rec.Target
}

// serveSocial sends the browser to the social connector it chose.
func (s *Pages) serveSocial(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "signin", "connector_id")
	if v == nil {
		return
	}
	prov, _, err := s.socialProvider(r.Context(), v, f.Get("connector_id"))
	switch {
	case errors.Is(err, ErrNoProvider):
		s.show(w, r, v, http.StatusBadRequest, "signin", func(p *page) { p.Error = p.T("err_method_disabled") })
		return
	case err != nil:
		s.tripFailed(w, r, v, "reading a social connector failed", err)
		return
	}
	s.startTrip(w, r, v, federation.Social, f.Get("connector_id"), prov)
}

// serveCallback is a social provider's answer, in the query.
func (s *Pages) serveCallback(w http.ResponseWriter, r *http.Request) {
	params, err := url.ParseQuery(r.URL.RawQuery)
	s.callback(w, r, params, err)
}

// serveCallbackPost is a social provider's answer posted by the browser
// (response_mode=form_post, as Apple's). The pages' cookies are not sent
// with another site's post, so the answer is sent on to serveCallback
// as a same-site navigation, which carries them.
func (s *Pages) serveCallbackPost(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBodyBytes)
	if err := r.ParseForm(); err != nil {
		exp := s.experience(r.Context())
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return
	}
	q := url.Values{}
	for _, k := range []string{"code", "state", "iss", "error", "error_description", "user"} {
		if vs, ok := r.PostForm[k]; ok {
			q[k] = vs
		}
	}
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, CallbackURL(s.cfg.Endpoint, r.PathValue("connector"))+"?"+q.Encode(), http.StatusSeeOther)
}

// resumeCallback reads an OpenID Connect or OAuth 2.0 provider's answer
// (params, perr the error of reading them) at the callback of connector
// r.PathValue("connector") and resumes the interaction whose trip of kind
// it answers; v is nil once the browser has been answered.
func (s *Pages) resumeCallback(w http.ResponseWriter, r *http.Request, kind federation.Kind, params url.Values, perr error) (
	v *view, pending federation.Pending, cb federation.Callback) {
	cb, err := federation.ParseCallback(params)
	if perr != nil || err != nil {
		exp := s.experience(r.Context())
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return nil, federation.Pending{}, cb
	}
	v, pending = s.resumeTrip(w, r, kind, r.PathValue("connector"), cb.State)
	return v, pending, cb
}

// callback checks a social provider's answer against the interaction's
// trip and signs in with the identity it proves.
func (s *Pages) callback(w http.ResponseWriter, r *http.Request, params url.Values, perr error) {
	v, pending, cb := s.resumeCallback(w, r, federation.Social, params, perr)
	if v == nil {
		return
	}
	prov, _, err := s.socialProvider(r.Context(), v, r.PathValue("connector"))
	if err != nil {
		s.tripFailed(w, r, v, "reading a social connector failed", err)
		return
	}
	s.exchange(w, r, v, prov, pending, cb)
}
