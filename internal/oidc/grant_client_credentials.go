package oidc

import (
	"context"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// clientCredentialsGrant is the client_credentials grant.
type clientCredentialsGrant struct{}

// Type implements Grant.
func (clientCredentialsGrant) Type() string { return "client_credentials" }

// EndUser implements Grant: M2M tokens need no end-user endpoints.
func (clientCredentialsGrant) EndUser() bool { return false }

func (clientCredentialsGrant) exchange(p *Provider, r *http.Request, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	return p.clientCredentials(r, params, ev)
}

// clientCredentials issues an M2M access token (RFC 6749 §4.4) for one
// resource (RFC 8707 "resource", or Auth0's "audience"). On Logto's face
// granted scopes are the requested ones that the app's M2M roles give on
// that resource; others are dropped silently, and no scope parameter means
// no scopes. A face with TokenRules.ClientGrants follows Auth0's client
// grants instead (clientGrantScope).
func (p *Provider) clientCredentials(r *http.Request, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	app, err := p.authenticateClient(r, params, ev, false)
	if err != nil {
		return nil, err
	}
	if app.Type != store.AppMachineToMachine {
		return nil, &Error{Status: http.StatusBadRequest, Code: "unauthorized_client", Description: "only machine-to-machine applications may use the client_credentials grant"}
	}
	jkt, err := tokenBinding(r.Context(), app)
	if err != nil {
		return nil, err
	}
	snap := p.cfg.Catalog.Load()
	rules := p.profile(r.Context()).Tokens
	org, err := p.appMembership(r.Context(), params, rules, app.ID)
	if err != nil {
		return nil, err
	}
	if org != nil && params.Get("resource") == "" {
		return p.organizationM2M(r, app, org, params, ev)
	}
	res, err := tokenResource(snap.ByIndicator, params, nil)
	if err != nil {
		if rules.ClientGrants && err.Description == msgUnknownResource {
			// Auth0 names the audience it does not know.
			return nil, accessDenied("Service not found: " + requestedIndicator(params))
		}
		return nil, err
	}
	if res == nil {
		if snap.Default == nil {
			if rules.ClientGrants {
				return nil, accessDenied("No audience parameter was provided, and no default audience has been configured")
			}
			return nil, errInvalidTarget("no resource requested and no default resource is set")
		}
		res = snap.Default
	}
	if snap.Signer == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "no signing key is available"}
	}
	ev.Resource = res.Indicator
	var scope string
	if rules.ClientGrants {
		if scope, err = clientGrantScope(snap.Authz, app.ID, res, params.Get("scope")); err != nil {
			return nil, err
		}
	} else {
		subject, orgID := authz.App(app.ID), ""
		if org != nil {
			subject.Membership, orgID = org, org.Organization
		}
		scope = strings.Join(authz.Grant(strings.Fields(params.Get("scope")), snap.Authz.Scopes(subject, orgID, res.ID)), " ")
	}
	jti := token.NewJTI()
	var extra map[string]any
	if p.cfg.Customizer != nil {
		var cerr *Error
		extra, cerr = p.cfg.Customizer.ClientCredentials(r.Context(), ClientCredentialsInput{
			JTI: jti, Audience: res.Indicator, Scope: scope, App: app.Application, Request: p.requestInfo(r, params),
		})
		if cerr != nil {
			return nil, cerr
		}
	}
	ttl := time.Duration(res.AccessTokenTTL) * time.Second
	access := token.Access{
		Issuer: p.issuer(r.Context()), Subject: app.ID, Audience: res.Indicator, ClientID: app.ID,
		Scope: scope, IssuedAt: p.cfg.Now(), TTL: ttl, Extra: extra, Confirmation: jkt,
	}
	if rules.ClientGrants {
		// Auth0's M2M shape; gty is set over anything a script gave.
		access.Subject, access.AuthorizedParty = authz.Auth0Subject(app.ID), app.ID
		access.Extra = maps.Clone(extra)
		if access.Extra == nil {
			access.Extra = map[string]any{}
		}
		access.Extra["gty"] = "client-credentials"
	}
	if res.PermissionsClaim {
		access.Extra = withPermissions(access.Extra, strings.Fields(scope))
	}
	if org != nil {
		access.Extra = withClaim(access.Extra, "organization_id", org.Organization)
	}
	at, _, serr := token.MintAccess(snap.Signer, access, jti)
	if serr != nil {
		p.cfg.Logger.Error("signing an access token failed", "client_id", app.ID, "err", serr)
		return nil, &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "could not issue the token"}
	}
	ev.Scope = scope
	return &tokenResponse{AccessToken: at, ExpiresIn: int64(res.AccessTokenTTL), TokenType: tokenType(jkt), Scope: scope}, nil
}

// clientGrantScope is the scope of an M2M token under Auth0's client
// grants: the app must hold a client grant for the resource
// (authz.Index.ClientGrant); no requested scope means every scope of the
// grant, and a requested scope outside it is refused, naming it, as Auth0
// does.
func clientGrantScope(ix *authz.Index, appID string, res *store.Resource, requested string) (string, *Error) {
	granted, ok := ix.ClientGrant(appID, res.ID)
	if !ok {
		return "", accessDenied(`Client is not authorized to access "` + res.Indicator + `". You need to create a "client-grant" associated to this API.`)
	}
	wanted := strings.Fields(requested)
	if len(wanted) == 0 {
		return strings.Join(granted.Names(), " "), nil
	}
	if missing := authz.Missing(wanted, granted); len(missing) > 0 {
		return "", accessDenied("Client has not been granted scopes: " + strings.Join(missing, ", "))
	}
	return strings.Join(authz.Grant(wanted, granted), " "), nil
}

// accessDenied is Auth0's refusal of a token request the client is not
// authorized for (403).
func accessDenied(desc string) *Error {
	return &Error{Status: http.StatusForbidden, Code: "access_denied", Description: desc}
}

// requestedIndicator is the resource or audience a token request names,
// shortened for an error message.
func requestedIndicator(params url.Values) string {
	ind := params.Get("resource")
	if ind == "" {
		ind = params.Get("audience")
	}
	if len(ind) > 200 {
		ind = ind[:200]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, ind)
}

// appMembership reads organization_id of a client_credentials request:
// the application's membership there (Logto's organization tokens for
// machine-to-machine members), or nil when none is named. Auth0's face
// has no such parameter and refuses it.
func (p *Provider) appMembership(ctx context.Context, params url.Values, rules TokenRules, appID string) (*authz.Membership, *Error) {
	orgID, err := requestedOrganization(params)
	if err != nil || orgID == "" {
		return nil, err
	}
	if rules.ClientGrants {
		return nil, errInvalidRequest("organization_id is not a parameter of this token endpoint")
	}
	return p.membership(ctx, orgID, store.HolderApplication, appID)
}

// organizationM2M issues Logto's organization token to a
// machine-to-machine member: for the organization's URN, with the
// requested scopes its organization roles grant.
func (p *Provider) organizationM2M(r *http.Request, app *catalog.App, org *authz.Membership, params url.Values, ev *TokenEvent) (*tokenResponse, *Error) {
	snap := p.cfg.Catalog.Load()
	if snap.Signer == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "no signing key is available"}
	}
	audience := authz.OrganizationAudience(org.Organization)
	scope := strings.Join(organizationTokenScope(org, store.HolderApplication, strings.Fields(params.Get("scope"))), " ")
	ev.Resource = audience
	jti := token.NewJTI()
	var extra map[string]any
	if p.cfg.Customizer != nil {
		var cerr *Error
		extra, cerr = p.cfg.Customizer.ClientCredentials(r.Context(), ClientCredentialsInput{
			JTI: jti, Audience: audience, Scope: scope, App: app.Application, Request: p.requestInfo(r, params),
		})
		if cerr != nil {
			return nil, cerr
		}
	}
	access := token.Access{Issuer: p.issuer(r.Context()), Subject: app.ID, Audience: audience, ClientID: app.ID,
		Scope: scope, IssuedAt: p.cfg.Now(), TTL: defaultUserTokenTTL * time.Second, Extra: extra}
	at, _, err := token.MintAccess(snap.Signer, access, jti)
	if err != nil {
		p.cfg.Logger.Error("signing an access token failed", "client_id", app.ID, "err", err)
		return nil, serverError()
	}
	ev.Scope = scope
	return &tokenResponse{AccessToken: at, ExpiresIn: defaultUserTokenTTL, TokenType: "Bearer", Scope: scope}, nil
}
