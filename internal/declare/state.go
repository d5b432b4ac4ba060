package declare

import (
	"cmp"
	"maps"
	"slices"

	"github.com/monban/monban/internal/directory"
)

// State is what a target holds now, in the document's terms, with the ids
// the target gave. Custom JWT environment variables hold their values.
type State struct {
	Resources    []StateResource
	Applications []StateApplication
	Roles        []StateRole
	CustomJWT    []CustomJWT
	// Webhooks is nil when the target has none to offer (see HookTarget).
	Webhooks []StateWebhook
	// SignInExperience is the sign-in experience in Logto's shape; nil
	// when the target keeps none (see ExperienceTarget).
	SignInExperience map[string]any
	// Connectors and EmailTemplates are nil when the target keeps none
	// (see ConnectorTarget); a connector's config is without its secrets.
	Connectors     []StateConnector
	EmailTemplates []StateEmailTemplate
}

// StateResource is a resource as it is; ScopeIDs maps its scopes' names
// to their ids. BuiltIn: the Management API, which a document may
// reference but not declare.
type StateResource struct {
	ID      string
	BuiltIn bool
	// ManagementAPI: the built-in resource a document names
	// "management-api" (Logto's Management API); any other built-in is the
	// Management API v2, named "management-api-v2".
	ManagementAPI bool
	ScopeIDs      map[string]string
	Resource
}

// StateApplication is an application as it is. BuiltIn: the console's
// application, which the server itself keeps.
type StateApplication struct {
	BuiltIn bool
	Application
}

// StateRole is a role as it is: Permissions by name, ApplicationIDs the
// ids of the applications holding it (Role.Applications is not used).
type StateRole struct {
	ID             string
	ApplicationIDs []string
	Role
}

// StateWebhook is a webhook as it is.
type StateWebhook struct {
	ID string
	Webhook
}

// ManagementAPI is how a document names the built-in Management API
// resource in a role's permissions: its indicator depends on the server's
// endpoint, and a document should apply to a staging and a production
// server alike. No indicator can be this (an indicator has a scheme).
const ManagementAPI = "management-api"

// ManagementAPIV2 names the built-in Management API v2 resource (Auth0's
// /api/v2/) the same way.
const ManagementAPIV2 = "management-api-v2"

// Defaults of what a document leaves out: those of a new entity.
const (
	defaultRoleType = "User"
)

func ptr[T any](v T) *T { return &v }

func or[T any](p *T, def T) *T {
	if p == nil {
		return &def
	}
	return p
}

// normalize fills in the defaults a document may leave out and sorts the
// lists inside an entry that have no order (scopes, permissions, holders,
// events), so that two entries meaning the same compare equal. The
// entries keep the document's order, so that problems name them by their
// place in the file.
func normalize(doc *Document) *Document {
	out := &Document{Version: Version, SignInExperience: doc.SignInExperience,
		Connectors: slices.Clone(doc.Connectors), EmailTemplates: normalTemplates(doc.EmailTemplates)}
	for _, r := range doc.Resources {
		r.AccessTokenTTL = or(r.AccessTokenTTL, directory.DefaultAccessTokenTTL)
		r.IsDefault = or(r.IsDefault, false)
		r.Scopes = slices.Clone(r.Scopes)
		slices.SortStableFunc(r.Scopes, func(a, b Scope) int { return cmp.Compare(a.Name, b.Name) })
		out.Resources = append(out.Resources, r)
	}
	for _, a := range doc.Applications {
		a.RotateRefreshToken = or(a.RotateRefreshToken, true)
		a.RefreshTokenTTLDays = or(a.RefreshTokenTTLDays, directory.DefaultRefreshTokenTTLDays)
		a.AllowPasswordGrant = or(a.AllowPasswordGrant, false)
		if len(a.CustomData) == 0 {
			a.CustomData = nil
		}
		out.Applications = append(out.Applications, a)
	}
	for _, r := range doc.Roles {
		if r.Type == "" {
			r.Type = defaultRoleType
		}
		r.IsDefault = or(r.IsDefault, false)
		r.Permissions = normalPermissions(r.Permissions)
		r.Applications = slices.Clone(r.Applications)
		slices.Sort(r.Applications)
		r.Applications = slices.Compact(r.Applications)
		out.Roles = append(out.Roles, r)
	}
	for _, c := range doc.CustomJWT {
		c.BlockIssuanceOnError = or(c.BlockIssuanceOnError, false)
		if len(c.EnvironmentVariables) == 0 {
			c.EnvironmentVariables = nil
		}
		out.CustomJWT = append(out.CustomJWT, c)
	}
	for _, w := range doc.Webhooks {
		w.Enabled = or(w.Enabled, true)
		w.Events = slices.Clone(w.Events)
		slices.Sort(w.Events)
		w.Events = slices.Compact(w.Events)
		if len(w.Headers) == 0 {
			w.Headers = nil
		}
		out.Webhooks = append(out.Webhooks, w)
	}
	return out
}

// normalPermissions merges the permissions of one resource and sorts them.
func normalPermissions(ps []Permission) []Permission {
	by := map[string][]string{}
	for _, p := range ps {
		by[p.Resource] = append(by[p.Resource], p.Scopes...)
	}
	var out []Permission
	for _, res := range slices.Sorted(maps.Keys(by)) {
		scopes := by[res]
		slices.Sort(scopes)
		out = append(out, Permission{Resource: res, Scopes: slices.Compact(scopes)})
	}
	return out
}

// Export returns the document that declares what st holds: everything but
// the built-in resource and application, with the custom JWT scripts'
// environment variables as ${NAME} references to variables of their own
// names and webhook headers as ${WEBHOOK_<HOOK>_<HEADER>} references (see
// headerReference), never their values. An application whose name another
// shares is written with its id.
func Export(st *State) *Document {
	doc := &Document{Version: Version}
	for _, r := range st.Resources {
		if !r.BuiltIn {
			doc.Resources = append(doc.Resources, r.Resource)
		}
	}
	names := map[string]int{}
	for _, a := range st.Applications {
		if !a.BuiltIn {
			names[a.Name]++
		}
	}
	key := map[string]string{} // application id → how the document names it
	for _, a := range st.Applications {
		key[a.ID] = a.ID
		if a.BuiltIn {
			continue
		}
		app := a.Application
		if names[a.Name] == 1 {
			app.ID = ""
			key[a.ID] = a.Name
		}
		doc.Applications = append(doc.Applications, app)
	}
	builtIn := st.builtInNames()
	for _, r := range st.Roles {
		role := r.Role
		role.Permissions = slices.Clone(role.Permissions)
		for i := range role.Permissions {
			if name, ok := builtIn[role.Permissions[i].Resource]; ok {
				role.Permissions[i].Resource = name
			}
		}
		role.Applications = nil
		for _, id := range r.ApplicationIDs {
			role.Applications = append(role.Applications, cmp.Or(key[id], id))
		}
		doc.Roles = append(doc.Roles, role)
	}
	for _, c := range st.CustomJWT {
		if len(c.EnvironmentVariables) > 0 {
			env := make(map[string]string, len(c.EnvironmentVariables))
			for name := range c.EnvironmentVariables {
				env[name] = "${" + envReference(name) + "}"
			}
			c.EnvironmentVariables = env
		}
		doc.CustomJWT = append(doc.CustomJWT, c)
	}
	for _, w := range st.Webhooks {
		hook := w.Webhook
		if len(hook.Headers) > 0 {
			refs := make(map[string]string, len(hook.Headers))
			for name := range hook.Headers {
				refs[name] = "${" + headerReference(hook.Name, name) + "}"
			}
			hook.Headers = refs
		}
		doc.Webhooks = append(doc.Webhooks, hook)
	}
	doc.SignInExperience = exportExperience(st.SignInExperience)
	for _, c := range st.Connectors {
		doc.Connectors = append(doc.Connectors, exportConnector(c))
	}
	for _, t := range st.EmailTemplates {
		doc.EmailTemplates = append(doc.EmailTemplates, t.EmailTemplate)
	}
	out := normalize(doc)
	slices.SortStableFunc(out.Resources, func(a, b Resource) int { return cmp.Compare(a.Indicator, b.Indicator) })
	slices.SortStableFunc(out.Applications, func(a, b Application) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.ID, b.ID))
	})
	slices.SortStableFunc(out.Roles, func(a, b Role) int { return cmp.Compare(a.Name, b.Name) })
	slices.SortStableFunc(out.CustomJWT, func(a, b CustomJWT) int { return cmp.Compare(a.TokenType, b.TokenType) })
	slices.SortStableFunc(out.Webhooks, func(a, b Webhook) int { return cmp.Compare(a.Name, b.Name) })
	sortConnectors(out.Connectors)
	sortTemplates(out.EmailTemplates)
	return out
}

// envReference is the process environment variable an export refers to
// for the script variable name: the name itself when it is one, else the
// name with every other character replaced by "_".
func envReference(name string) string {
	if envVarName.MatchString(name) {
		return name
	}
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if b[0] >= '0' && b[0] <= '9' {
		return "_" + string(b)
	}
	return string(b)
}

// builtInNames maps the built-in resources' indicators to the names a
// document gives them (ManagementAPI, ManagementAPIV2).
func (st *State) builtInNames() map[string]string {
	names := map[string]string{}
	for _, r := range st.Resources {
		switch {
		case r.ManagementAPI:
			names[r.Indicator] = ManagementAPI
		case r.BuiltIn:
			names[r.Indicator] = ManagementAPIV2
		}
	}
	return names
}
