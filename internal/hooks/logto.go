package hooks

import (
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
)

// scriptApplication is the application as a script sees it (Logto's
// shape), never with a secret. Fields are in alphabetical order, as the
// keys of a map would be.
type scriptApplication struct {
	CreatedAt    int64  `json:"createdAt"`
	Description  string `json:"description"`
	ID           string `json:"id"`
	IsThirdParty bool   `json:"isThirdParty"`
	Name         string `json:"name"`
	Type         string `json:"type"`
}

func applicationContext(app store.Application) scriptApplication {
	return scriptApplication{
		CreatedAt: app.CreatedAt.UnixMilli(), Description: app.Description, ID: app.ID,
		Name: app.Name, Type: string(app.Type),
	}
}

// clientCredentialsToken and clientCredentialsContext are the token and
// context of Logto's client-credentials script. Structs, not maps: the
// input is encoded at every issuance. JTI stays empty: it holds the claim's
// place, and the runner is given the value apart (see Customizer.run).
type clientCredentialsToken struct {
	Aud      string `json:"aud"`
	ClientID string `json:"clientId"`
	JTI      string `json:"jti"`
	Kind     string `json:"kind"`
	Scope    string `json:"scope,omitempty"`
}

type clientCredentialsContext struct {
	Application scriptApplication `json:"application"`
}

// clientCredentialsInput is the token and context of Logto's
// client-credentials script for in.
func clientCredentialsInput(in oidc.ClientCredentialsInput) (clientCredentialsToken, clientCredentialsContext) {
	tok := clientCredentialsToken{Aud: in.Audience, ClientID: in.App.ID, Kind: "ClientCredentials", Scope: in.Scope}
	return tok, clientCredentialsContext{Application: applicationContext(in.App)}
}

// accessTokenInput is the token and context of Logto's access-token script
// for in, with the user's roles described from snap. The token's jti is
// empty (see Customizer.run).
func accessTokenInput(in oidc.AccessTokenInput, snap *catalog.Snapshot) (tok, scriptCtx map[string]any) {
	tok = map[string]any{
		"jti": "", "aud": in.Audience, "scope": in.Scope, "clientId": in.ClientID,
		"accountId": in.AccountID, "expiresWithSession": false, "grantId": in.GrantID,
		"gty": in.GrantType, "kind": "AccessToken",
	}
	scriptCtx = map[string]any{"user": userContext(in.User, in.Roles, in.Organizations, snap), "application": applicationContext(in.App)}
	if it := interactionOf(in.AccountID, in.SignIn); it != nil {
		scriptCtx["interaction"] = it
	}
	if in.Exchange != nil {
		scriptCtx["grant"] = grantContext(in.GrantType, in.Exchange)
	}
	return tok, scriptCtx
}

// GrantContext is Logto's context.grant: for a token exchanged for a
// subject token (impersonation), the context its creator gave.
type GrantContext struct {
	Type                string         `json:"type"`
	SubjectTokenContext map[string]any `json:"subjectTokenContext"`
}

func grantContext(grantType string, ex *oidc.ExchangeInput) GrantContext {
	ctx := ex.SubjectTokenContext
	if ctx == nil {
		ctx = map[string]any{}
	}
	return GrantContext{Type: grantType, SubjectTokenContext: ctx}
}

// UserContext is Logto's context.user for custom claims scripts: the user
// in Logto's shape, then what only scripts see.
type UserContext struct {
	logto.User
	SSOIdentities          []any                  `json:"ssoIdentities"`
	MFAVerificationFactors []string               `json:"mfaVerificationFactors"`
	Roles                  []UserRole             `json:"roles"`
	Organizations          []UserOrganization     `json:"organizations"`
	OrganizationRoles      []UserOrganizationRole `json:"organizationRoles"`
}

// UserOrganization is one of the user's organizations.
type UserOrganization struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description *string `json:"description"`
}

// UserOrganizationRole is one role the user holds in one organization.
type UserOrganizationRole struct {
	OrganizationID string `json:"organizationId"`
	RoleID         string `json:"roleId"`
	RoleName       string `json:"roleName"`
}

// UserRole is one of the user's roles with the permissions it grants.
type UserRole struct {
	ID          string      `json:"id"`
	Name        string      `json:"name"`
	Description string      `json:"description"`
	Scopes      []UserScope `json:"scopes"`
}

// UserScope is a permission with its resource.
type UserScope struct {
	ID          string       `json:"id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	ResourceID  string       `json:"resourceId"`
	Resource    UserResource `json:"resource"`
}

// UserResource names a permission's API resource.
type UserResource struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Indicator string `json:"indicator"`
}

// Interaction is Logto's context.interaction: how the user signed in.
type Interaction struct {
	InteractionEvent    string               `json:"interactionEvent"` // SignIn, Register or ForgotPassword
	UserID              string               `json:"userId"`
	VerificationRecords []VerificationRecord `json:"verificationRecords"`
}

// VerificationRecord is one proof of identity of an interaction: a
// Password, or an EmailVerificationCode or PhoneVerificationCode with the
// templateType it was sent for and the identifier it proved, or a second
// factor (Totp, BackupCode, WebAuthn) with the userId it was verified
// for, as seed 002 shapes them.
type VerificationRecord struct {
	ID           string                  `json:"id"`
	Type         string                  `json:"type"` // Password, EmailVerificationCode, PhoneVerificationCode, Totp, BackupCode, WebAuthn
	TemplateType string                  `json:"templateType,omitempty"`
	Identifier   *VerificationIdentifier `json:"identifier,omitempty"`
	UserID       string                  `json:"userId,omitempty"`
	Verified     bool                    `json:"verified"`
}

// VerificationIdentifier is what the user typed to name their account.
type VerificationIdentifier struct {
	Type  string `json:"type"` // username, email, phone or userId
	Value string `json:"value"`
}

// userContext builds context.user from the user, their roles and the
// catalog's permissions.
func userContext(u *store.User, roles []store.Role, orgs []store.MemberOrganization, snap *catalog.Snapshot) UserContext {
	uc := UserContext{
		User:          logto.UserOf(u),
		SSOIdentities: []any{}, MFAVerificationFactors: []string{}, Roles: []UserRole{},
		Organizations: []UserOrganization{}, OrganizationRoles: []UserOrganizationRole{},
	}
	for _, o := range orgs {
		uc.Organizations = append(uc.Organizations, UserOrganization{ID: o.Organization.ID, Name: o.Organization.Name,
			Description: logto.OrNull(o.Organization.Description)})
		for _, r := range o.Roles {
			uc.OrganizationRoles = append(uc.OrganizationRoles, UserOrganizationRole{OrganizationID: o.Organization.ID, RoleID: r.ID, RoleName: r.Name})
		}
	}
	for _, r := range roles {
		ur := UserRole{ID: r.ID, Name: r.Name, Description: r.Description, Scopes: []UserScope{}}
		for _, sc := range snap.Authz.RoleScopes(r.ID) {
			us := UserScope{ID: sc.ID, Name: sc.Name, Description: sc.Description, ResourceID: sc.ResourceID}
			if res := snap.Users.Resources[sc.ResourceID]; res != nil {
				us.Resource = UserResource{ID: res.ID, Name: res.Name, Indicator: res.Indicator}
			}
			ur.Scopes = append(ur.Scopes, us)
		}
		uc.Roles = append(uc.Roles, ur)
	}
	return uc
}

// interactionOf is context.interaction for a grant signed in as rec, or nil
// when the grant records no sign-in.
func interactionOf(userID string, rec store.SignInRecord) *Interaction {
	if rec.VerificationID == "" && len(rec.Verifications) == 0 {
		return nil
	}
	in := &Interaction{InteractionEvent: rec.Event, UserID: userID, VerificationRecords: []VerificationRecord{}}
	if in.InteractionEvent == "" {
		in.InteractionEvent = "SignIn"
	}
	if len(rec.Verifications) == 0 { // a password sign-in, or a grant from before the records
		in.VerificationRecords = append(in.VerificationRecords, VerificationRecord{ID: rec.VerificationID, Type: "Password", Verified: true,
			Identifier: &VerificationIdentifier{Type: rec.IdentifierType, Value: rec.IdentifierValue}})
	}
	for _, v := range rec.Verifications {
		out := VerificationRecord{ID: v.ID, Type: v.Type, TemplateType: v.TemplateType, Verified: v.Verified, UserID: v.UserID}
		if v.IdentifierType != "" || v.UserID == "" {
			out.Identifier = &VerificationIdentifier{Type: v.IdentifierType, Value: v.IdentifierValue}
		}
		in.VerificationRecords = append(in.VerificationRecords, out)
	}
	return in
}
