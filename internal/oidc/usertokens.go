package oidc

import (
	"context"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/interaction"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// AccessTokenInput describes a user access token being issued, for a
// Customizer: the claims it carries (jti, aud, scope, client_id, sub), the
// grant and grant type it comes from, and the user, their roles, the
// application and the sign-in behind it.
type AccessTokenInput struct {
	JTI       string
	Audience  string
	Scope     string
	ClientID  string
	AccountID string // the user id
	GrantID   string
	GrantType string // authorization_code, refresh_token, password or token exchange's URN
	User      *store.User
	Roles     []store.Role // every role the user holds
	// Organizations are the user's organizations, with the roles it
	// holds in each.
	Organizations []store.MemberOrganization
	App           store.Application
	// SignIn is how the user signed in for the grant.
	SignIn store.SignInRecord
	// Request is the token request.
	Request RequestInfo
	// IDToken: an ID token is issued with the access token.
	IDToken bool
	// Exchange is set for a token exchanged for a subject token (RFC 8693
	// impersonation): what its creator said about it.
	Exchange *ExchangeInput
}

// ExchangeInput describes the subject token a token was exchanged for.
type ExchangeInput struct {
	// SubjectTokenContext is the context its creator gave (a JSON
	// object; nil for none).
	SubjectTokenContext map[string]any
}

// userTokenRequest is what one token response for a user is made from.
type userTokenRequest struct {
	app      *catalog.App
	user     *store.User
	grant    *store.Grant
	scopes   []string        // effective: the grant's, or narrowed by the request
	resource *store.Resource // nil: a token for the userinfo endpoint
	nonce    string
	refresh  bool // issue a new refresh token
	gty      string
	req      RequestInfo
	// org is the user's membership in the organization the token is for
	// (organization_id); nil outside any organization.
	org *authz.Membership
	// accessOnly: an access token alone, never an ID token (token
	// exchange).
	accessOnly bool
	// act is the access token's act claim (RFC 8693 §4.1); nil: none.
	act map[string]any
	// exchange describes the subject token of a token exchange.
	exchange *ExchangeInput
}

// mintedTokens are signed tokens not yet recorded.
type mintedTokens struct {
	resp  tokenResponse
	issue store.Issue
}

// userRoles returns the user's roles, all of them.
func (p *Provider) userRoles(ctx context.Context, userID string) ([]store.Role, *Error) {
	roles, _, err := p.u.Store.ListUserRoles(ctx, userID, store.Page{})
	if err != nil {
		p.cfg.Logger.Error("reading user roles failed", "user_id", userID, "err", err)
		return nil, serverError()
	}
	return roles, nil
}

func serverError() *Error {
	return &Error{Status: http.StatusInternalServerError, Code: "server_error", Description: "could not issue the token"}
}

func invalidGrant(desc string) *Error {
	return &Error{Status: http.StatusBadRequest, Code: "invalid_grant", Description: desc}
}

// mintUserTokens signs the access token (and ID token, and makes the
// refresh token) of a user token response. The access token's scopes are
// the requested permissions of its resource that the user's User roles
// grant, computed now, so that role changes apply at the next refresh.
func (p *Provider) mintUserTokens(ctx context.Context, in userTokenRequest) (*mintedTokens, *Error) {
	snap := p.cfg.Catalog.Load()
	if snap.Signer == nil {
		return nil, &Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable", Description: "no signing key is available"}
	}
	now := p.cfg.Now()
	var roles []store.Role
	if in.resource != nil || p.cfg.Customizer != nil || slices.Contains(in.scopes, "roles") {
		var err *Error
		if roles, err = p.userRoles(ctx, in.user.ID); err != nil {
			return nil, err
		}
	}
	var (
		scope    string
		audience string
		ttl      = defaultUserTokenTTL
		// alsoUserinfo: the token is for the resource and this face's
		// userinfo endpoint, and carries the OIDC scopes too (Auth0).
		alsoUserinfo = in.resource != nil && slices.Contains(in.scopes, "openid") && p.profile(ctx).Tokens.UserinfoAudience
	)
	var userinfoScopes, permissions []string
	for _, s := range in.scopes {
		if oidcScopes[s] && s != "offline_access" {
			userinfoScopes = append(userinfoScopes, s)
		}
	}
	if in.resource != nil {
		ids := make([]string, len(roles))
		for i, r := range roles {
			ids[i] = r.ID
		}
		var wanted []string
		for _, s := range in.scopes {
			if !oidcScopes[s] {
				wanted = append(wanted, s)
			}
		}
		subject, org := authz.User(in.user.ID, ids), ""
		if in.org != nil {
			subject.Membership, org = in.org, in.org.Organization
		}
		granted := authz.Grant(wanted, snap.Authz.UserScopes(subject, org, in.resource))
		permissions = slices.Clone(granted)
		if alsoUserinfo {
			granted = append(slices.Clip(userinfoScopes), granted...)
		}
		scope = strings.Join(granted, " ")
		audience, ttl = in.resource.Indicator, in.resource.AccessTokenTTL
	} else if in.org != nil {
		// Logto's organization token: the requested scopes the user's
		// organization roles grant, for the organization's URN.
		scope = strings.Join(organizationTokenScope(in.org, store.HolderUser, in.scopes), " ")
		audience = authz.OrganizationAudience(in.org.Organization)
	} else {
		scope, audience = strings.Join(userinfoScopes, " "), p.userinfoAudience(ctx)
	}
	jkt, berr := tokenBinding(ctx, in.app)
	if berr != nil {
		return nil, berr
	}
	jti := token.NewJTI()
	withIDToken := slices.Contains(in.scopes, "openid") && !in.accessOnly
	// The user's organizations are read for the ID token's claims, and
	// for an access-token script's context.user (only when one is saved).
	var orgs []store.MemberOrganization
	scripted := p.cfg.Customizer != nil && snap.Customizers[store.TokenTypeAccessToken] != nil
	if scripted || withIDToken && wantsOrganizations(in.scopes) {
		var err error
		if orgs, err = p.u.Store.MemberOrganizations(ctx, store.HolderUser, in.user.ID); err != nil {
			p.cfg.Logger.Error("reading a user's organizations failed", "user_id", in.user.ID, "err", err)
			return nil, serverError()
		}
	}
	var custom CustomClaims
	if p.cfg.Customizer != nil {
		var cerr *Error
		custom, cerr = p.cfg.Customizer.AccessToken(ctx, AccessTokenInput{
			JTI: jti, Audience: audience, Scope: scope, ClientID: in.app.ID, AccountID: in.user.ID,
			GrantID: in.grant.ID, GrantType: in.gty, User: in.user, Roles: roles, Organizations: orgs,
			App: in.app.Application, SignIn: in.grant.SignIn, Request: in.req, IDToken: withIDToken, Exchange: in.exchange,
		})
		if cerr != nil {
			return nil, cerr
		}
	}
	extra := custom.Access
	access := token.Access{
		Issuer: p.issuer(ctx), Subject: in.user.ID, Audience: audience, ClientID: in.app.ID,
		Scope: scope, IssuedAt: now, TTL: time.Duration(ttl) * time.Second, Extra: extra, Confirmation: jkt, Act: in.act,
	}
	if alsoUserinfo {
		access.AlsoAudience = p.userinfoAudience(ctx)
	}
	if in.resource != nil && in.resource.PermissionsClaim {
		access.Extra = withPermissions(extra, permissions)
	}
	if in.resource != nil && in.org != nil {
		access.Extra = withClaim(access.Extra, "organization_id", in.org.Organization)
	}
	amr, acr := signInMethods(in.grant.SignIn)
	if amr != nil {
		access.Extra = withClaim(access.Extra, "amr", amr)
	}
	if acr != "" {
		access.Extra = withClaim(access.Extra, "acr", acr)
	}
	at, exp, err := token.MintAccess(snap.Signer, access, jti)
	if err != nil {
		p.cfg.Logger.Error("signing an access token failed", "client_id", in.app.ID, "err", err)
		return nil, serverError()
	}
	out := &mintedTokens{
		resp:  tokenResponse{AccessToken: at, ExpiresIn: int64(ttl), TokenType: tokenType(jkt), Scope: scope},
		issue: store.Issue{AccessTokens: []store.IssuedAccessToken{{JTI: jti, GrantID: in.grant.ID, ExpiresAt: exp}}},
	}
	if withIDToken {
		// The customizer's ID token claims first: the server's own are
		// set over them (a customizer drops reserved names already).
		claims := maps.Clone(custom.ID)
		if claims == nil {
			claims = map[string]any{}
		}
		maps.Copy(claims, userClaims(in.user, in.scopes, false, roles))
		if wantsOrganizations(in.scopes) {
			maps.Copy(claims, organizationClaims(orgs, in.scopes))
		}
		claims["iss"], claims["sub"], claims["aud"] = p.issuer(ctx), in.user.ID, in.app.ID
		claims["iat"], claims["exp"] = now.Unix(), now.Add(p.u.IDTokenTTL).Unix()
		claims["auth_time"] = in.grant.AuthTime.Unix()
		if amr != nil {
			claims["amr"] = amr
		}
		if acr != "" {
			claims["acr"] = acr
		}
		claims["at_hash"] = token.HalfHash(snap.Signer.Algorithm(), at)
		if in.nonce != "" {
			claims["nonce"] = in.nonce
		}
		if out.resp.IDToken, err = token.MintJWT(snap.Signer, claims); err != nil {
			p.cfg.Logger.Error("signing an ID token failed", "client_id", in.app.ID, "err", err)
			return nil, serverError()
		}
	}
	if in.refresh {
		days := in.app.RefreshTokenTTLDays
		if days <= 0 {
			days = defaultRefreshDays
		}
		value := randid.Secret(32)
		out.issue.RefreshToken = &store.RefreshToken{
			ID: hashToken(value), GrantID: in.grant.ID, ClientID: in.app.ID, UserID: in.user.ID,
			CreatedAt: now, ExpiresAt: now.Add(time.Duration(days) * 24 * time.Hour),
		}
		if publicClient(in.app.Type) {
			// A public client's refresh token is bound to its DPoP key
			// (RFC 9449 §5): a confidential one is bound by its
			// authentication already.
			out.issue.RefreshToken.DPoPJKT = jkt
		}
		out.resp.RefreshToken = value
	}
	return out, nil
}

// signInMethods are the amr (RFC 8176) and acr claims of a grant signed
// in as rec: how the person proved who they are (nil when the grant
// records nothing: a grant from before the records), and the
// multi-factor class when a second factor was verified ("" otherwise).
func signInMethods(rec store.SignInRecord) ([]string, string) {
	recs := rec.Verifications
	if len(recs) == 0 && rec.VerificationID != "" {
		recs = []store.Verification{{Type: interaction.RecordPassword, Verified: true}}
	}
	acr := ""
	if interaction.HasMFA(recs) {
		acr = interaction.ACRMultiFactor
	}
	return interaction.AMR(recs), acr
}

// userClaims returns the claims the scopes allow (OIDC Core §5.4, with
// Logto's username, roles and custom_data). custom_data goes to userinfo
// only. Empty values are left out.
func userClaims(u *store.User, scopes []string, userinfo bool, roles []store.Role) map[string]any {
	c := map[string]any{}
	put := func(k, v string) {
		if v != "" {
			c[k] = v
		}
	}
	for _, s := range scopes {
		switch s {
		case "profile":
			pr := u.Profile
			put("name", u.Name)
			put("picture", u.Avatar)
			put("username", u.Username)
			put("preferred_username", pr.PreferredUsername)
			put("given_name", pr.GivenName)
			put("family_name", pr.FamilyName)
			put("middle_name", pr.MiddleName)
			put("nickname", pr.Nickname)
			put("profile", pr.Profile)
			put("website", pr.Website)
			put("gender", pr.Gender)
			put("birthdate", pr.Birthdate)
			put("zoneinfo", pr.Zoneinfo)
			put("locale", pr.Locale)
			if !u.UpdatedAt.IsZero() {
				c["updated_at"] = u.UpdatedAt.Unix()
			}
		case "email":
			if u.PrimaryEmail != "" {
				// Verified as the directory says (directory.UserFields):
				// an address an administrator set, never one from open
				// sign-up.
				c["email"], c["email_verified"] = u.PrimaryEmail, u.EmailVerified
			}
		case "phone":
			if u.PrimaryPhone != "" {
				c["phone_number"], c["phone_number_verified"] = u.PrimaryPhone, true
			}
		case "address":
			if a := u.Profile.Address; a != nil {
				addr := map[string]any{}
				for k, v := range map[string]string{"formatted": a.Formatted, "street_address": a.StreetAddress,
					"locality": a.Locality, "region": a.Region, "postal_code": a.PostalCode, "country": a.Country} {
					if v != "" {
						addr[k] = v
					}
				}
				if len(addr) > 0 {
					c["address"] = addr
				}
			}
		case "roles":
			names := []string{}
			for _, r := range roles {
				if r.Type.GivenTo(store.HolderUser) {
					names = append(names, r.Name)
				}
			}
			c["roles"] = names
		case "custom_data":
			if userinfo {
				cd := u.CustomData
				if cd == nil {
					cd = map[string]any{}
				}
				c["custom_data"] = cd
			}
		}
	}
	return c
}

// withClaim returns extra with name set to v, over anything a script
// gave it. extra is not modified.
func withClaim(extra map[string]any, name string, v any) map[string]any {
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]any{}
	}
	out[name] = v
	return out
}

// withPermissions returns extra with Auth0's "permissions" claim set to
// the token's API scopes (an empty array for none), over anything a
// script gave it. extra is not modified.
func withPermissions(extra map[string]any, scopes []string) map[string]any {
	out := maps.Clone(extra)
	if out == nil {
		out = map[string]any{}
	}
	if scopes == nil {
		scopes = []string{}
	}
	out["permissions"] = scopes
	return out
}
