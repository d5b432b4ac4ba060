package signin

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/monban/monban/internal/federation"
	"github.com/monban/monban/internal/sso"
	"github.com/monban/monban/internal/store"
)

// Enterprise single sign-on at the pages (Logto's SSO connectors): an
// e-mail address whose domain an SSO connector claims goes to that
// connector's provider, when the experience turns single sign-on on; an
// authorization request's connection parameter (Auth0's) names one
// directly. A SAML provider posts its answer to the ACS, an OIDC provider
// sends the browser back to SSOCallbackPath; both end in federated.

// SSOCallbackPath is where OIDC-based SSO providers send the browser
// back: {Endpoint}/sign-in/sso/callback/{connectorId} is the redirect URI
// to register at the provider.
const SSOCallbackPath = Path + "/sso/callback/"

// samlAnswerPath is where the ACS sends a SAML answer on, as a same-site
// navigation that carries the pages' cookies.
const samlAnswerPath = Path + "/sso/saml/"

// SSOCallbackURL is the redirect URI of the OIDC SSO connector
// connectorID at the pages of endpoint.
func SSOCallbackURL(endpoint, connectorID string) string {
	return endpoint + SSOCallbackPath + url.PathEscape(connectorID)
}

// IsSSOPath reports whether path is the SAML ACS or the SP metadata
// (served beside the pages), for the per-address limit.
func IsSSOPath(path string) bool {
	return strings.HasPrefix(path, sso.ACSPath("")) || strings.HasPrefix(path, "/enterprise-sso/")
}

// registerSSO mounts the SSO routes.
func (s *Pages) registerSSO(mux *http.ServeMux) {
	if s.cfg.SSO == nil {
		return
	}
	mux.HandleFunc("POST "+Path+"/sso", s.serveSSO)
	mux.HandleFunc(Path+"/sso", methodNotAllowed("POST"))
	mux.HandleFunc("GET "+SSOCallbackPath+"{connector}", s.serveSSOCallback)
	mux.HandleFunc("GET "+samlAnswerPath+"{connector}", s.serveSAMLAnswer)
	mux.HandleFunc("POST "+sso.ACSPath("{connector}"), s.serveACS)
	mux.HandleFunc("GET /enterprise-sso/{connector}", s.serveSPMetadata)
}

// ssoConnectorFor is the SSO connector the e-mail address's domain goes
// to (the oldest, when several claim it); false when none does or single
// sign-on is off.
func (s *Pages) ssoConnectorFor(r *http.Request, v *view, email string) (store.SSOConnector, bool) {
	if s.cfg.SSO == nil || !v.exp.SingleSignOn || !strings.Contains(email, "@") {
		return store.SSOConnector{}, false
	}
	list, err := s.cfg.SSO.ForEmail(r.Context(), email)
	if err != nil {
		s.cfg.Logger.Warn("reading the SSO connectors failed", "err", err)
		return store.SSOConnector{}, false
	}
	if len(list) == 0 {
		return store.SSOConnector{}, false
	}
	return list[0], true
}

// startSSO sends the browser of v to connector c's provider.
func (s *Pages) startSSO(w http.ResponseWriter, r *http.Request, v *view, c store.SSOConnector) {
	prov, err := s.cfg.SSO.Provider(r.Context(), c, SSOCallbackURL(s.cfg.Endpoint, c.ID))
	if err != nil {
		s.tripFailed(w, r, v, "reading an SSO connector failed", err)
		return
	}
	s.startTrip(w, r, v, federation.EnterpriseSso, c.ID, prov)
}

// serveSSO is the single sign-on form: an e-mail address whose domain a
// connector claims goes to its provider.
func (s *Pages) serveSSO(w http.ResponseWriter, r *http.Request) {
	f, v := s.form(w, r, "signin", "email")
	if v == nil {
		return
	}
	email := strings.TrimSpace(f.Get("email"))
	c, ok := s.ssoConnectorFor(r, v, email)
	if !ok {
		s.show(w, r, v, http.StatusBadRequest, "signin", func(p *page) {
			p.Error = p.T("err_sso_no_connector")
			p.Values = map[string]string{"identifier": email}
		})
		return
	}
	s.startSSO(w, r, v, c)
}

// connectionSSO starts the sign-in at the SSO connector the authorization
// request's connection parameter names (Auth0's); false when it names
// none (the database connection, or nothing).
func (s *Pages) connectionSSO(w http.ResponseWriter, r *http.Request, v *view) bool {
	name := v.it.Request.Get("connection")
	if s.cfg.SSO == nil || name == "" {
		return false
	}
	c, ok, err := s.cfg.SSO.ByName(r.Context(), name)
	if err != nil {
		s.busy(w, r, v, "signin", "reading the SSO connectors failed", err)
		return true
	}
	if !ok {
		return false
	}
	s.startSSO(w, r, v, c)
	return true
}

// serveSSOCallback is an OIDC SSO provider's answer, in the query.
func (s *Pages) serveSSOCallback(w http.ResponseWriter, r *http.Request) {
	params, perr := url.ParseQuery(r.URL.RawQuery)
	v, pending, cb := s.resumeCallback(w, r, federation.EnterpriseSso, params, perr)
	if v == nil {
		return
	}
	connectorID := r.PathValue("connector")
	c, err := s.cfg.SSO.Connector(r.Context(), connectorID)
	if err != nil {
		s.tripFailed(w, r, v, "reading an SSO connector failed", ssoTripError(err))
		return
	}
	prov, err := s.cfg.SSO.Provider(r.Context(), c, SSOCallbackURL(s.cfg.Endpoint, connectorID))
	if err != nil {
		s.tripFailed(w, r, v, "reading an SSO connector failed", err)
		return
	}
	s.exchange(w, r, v, prov, pending, cb)
}

// maxSAMLForm bounds the ACS's form: a SAMLResponse and a RelayState.
const maxSAMLForm = 300 << 10

// serveACS is the SAML assertion consumer service (HTTP-POST binding).
// The pages' cookies are not sent with another site's post, so the answer
// is sent on to serveSAMLAnswer as a same-site navigation, which carries
// them; nothing is checked or kept here.
func (s *Pages) serveACS(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSAMLForm)
	if err := r.ParseForm(); err != nil || len(r.PostForm["SAMLResponse"]) != 1 || len(r.PostForm["RelayState"]) != 1 {
		exp := s.experience(r.Context())
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return
	}
	q := url.Values{"SAMLResponse": r.PostForm["SAMLResponse"], "RelayState": r.PostForm["RelayState"]}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Referrer-Policy", "no-referrer")
	http.Redirect(w, r, s.cfg.Endpoint+samlAnswerPath+url.PathEscape(r.PathValue("connector"))+"?"+q.Encode(), http.StatusSeeOther)
}

// serveSAMLAnswer checks a SAML answer against the interaction's trip
// (its RelayState is the trip's state, and it must answer the trip's
// request) and signs in with the identity it proves.
func (s *Pages) serveSAMLAnswer(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	params, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil || len(params["SAMLResponse"]) != 1 || len(params["RelayState"]) != 1 {
		exp := s.experience(r.Context())
		s.errorPage(w, exp.chooseLanguage("", r), exp, http.StatusBadRequest, "err_malformed")
		return
	}
	connectorID := r.PathValue("connector")
	v, pending := s.resumeTrip(w, r, federation.EnterpriseSso, connectorID, params.Get("RelayState"))
	if v == nil {
		return
	}
	c, err := s.cfg.SSO.Connector(r.Context(), connectorID)
	if err != nil {
		s.tripFailed(w, r, v, "reading an SSO connector failed", ssoTripError(err))
		return
	}
	id, err := s.cfg.SSO.Assert(r.Context(), c, pending, params.Get("SAMLResponse"))
	if err != nil {
		s.tripFailed(w, r, v, "a SAML answer was refused", err)
		return
	}
	s.federated(w, r, v, id)
}

// serveSPMetadata is the SAML SP metadata of a connector, at its entity
// id.
func (s *Pages) serveSPMetadata(w http.ResponseWriter, r *http.Request) {
	doc, err := s.cfg.SSO.SPMetadata(r.Context(), r.PathValue("connector"))
	var se *sso.Error
	switch {
	case errors.As(err, &se) && se.Kind == sso.NotFound:
		http.NotFound(w, r)
		return
	case err != nil:
		s.cfg.Logger.Error("making SP metadata failed", "err", err)
		http.Error(w, "service unavailable", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, _ = w.Write(doc)
}

// ssoTripError is a connector gone during a trip: its configuration no
// longer works.
func ssoTripError(err error) error {
	var se *sso.Error
	if errors.As(err, &se) {
		return errors.Join(federation.ErrConfig, err)
	}
	return err
}
