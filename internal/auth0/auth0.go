// Package auth0 serves Auth0's Management API v2 under /api/v2: users,
// clients, client grants, resource servers, roles, the database connection
// and log events, in Auth0's paths, JSON shapes, status codes and error
// bodies, so that clients written against Auth0 (its Node SDK's
// ManagementClient among them) work unchanged.
//
// Like the Logto face (package management) it is an adapter over the
// directory, which holds every rule: it reads Auth0's request shapes,
// calls the directory, and answers in Auth0's shapes. Every route
// requires one of Auth0's scopes on the built-in resource whose
// identifier is {endpoint}/api/v2/.
package auth0

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/monban/monban/internal/apiserve"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
)

// Prefix is where the API is mounted.
const Prefix = "/api/v2/"

// Deps is what the API needs from the rest of the server.
type Deps struct {
	Store store.Store
	// Verifier checks bearer access tokens issued by this server.
	Verifier token.Verifier
	// Identifier is the API's audience, {endpoint}/api/v2/: a token must
	// carry it in aud.
	Identifier string
	// ManagementIndicator is the Logto Management API's indicator, built
	// in and read-only here too.
	ManagementIndicator string
	// HashSecret returns the keyed hash stored in place of a new secret.
	HashSecret func(secret string) []byte
	// Passwords hashes user passwords; nil: argon2id with the default costs.
	Passwords *password.Hasher
	// PasswordPolicy is the policy every new password is held to (the
	// sign-in experience's); nil: password.DefaultPolicy.
	PasswordPolicy func(ctx context.Context) (password.Policy, error)
	// Changed is called after every successful write, before the answer,
	// so the token endpoint sees the change on its next request.
	Changed func(ctx context.Context) error
	// Revoked, when set, is called after a change revoked access tokens
	// (blocking or deleting a user).
	Revoked func(ctx context.Context) error
	// Standing says whether the caller a verified token names (its sub and
	// client_id) still exists and still holds scope on this API. It is
	// asked on every request, so it must answer from memory.
	Standing func(scope, subject, clientID string) catalog.Standing
	// Tickets makes password-change tickets; nil: the route answers that
	// tickets are not available.
	Tickets TicketIssuer
	// MFA keeps users' second factors (their authentication methods);
	// nil: one over Store.
	MFA *mfa.Service
	// Audit, when set, is told of every successful change.
	Audit  func(ctx context.Context, e ChangeEvent)
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now
}

// ChangeEvent describes a successful write, for the audit log.
type ChangeEvent struct {
	Method  string
	Path    string // the request path, with ids
	Pattern string // the route, e.g. "PATCH /api/v2/users/{id}"
	Caller  string // sub of the access token
	Client  string // client_id of the access token
}

// Limits on requests.
const (
	maxBodyBytes   = 64 << 10
	defaultPerPage = 50
	maxPerPage     = 100
)

type server struct {
	Deps
	dir *directory.Directory
	mux *http.ServeMux
	log *slog.Logger
	rts []route
}

// handlerFunc writes its own successful answer and returns errors for
// the caller to answer (see server.fail).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	method, path string // path below /api/v2, with {params}
	// scopes are the scopes any one of which lets a caller use the route;
	// none: the route is public.
	scopes  []string
	handle  handlerFunc
	query   []string // the query parameters it takes
	summary string   // for the OpenAPI document
	// entity names what the path's id addresses, for Auth0's 404 texts.
	entity string
}

func (rt route) pattern() string { return rt.method + " " + strings.TrimSuffix(Prefix, "/") + rt.path }

// New returns the handler of /api/v2/. It panics if a required dependency
// is missing.
func New(d Deps) http.Handler {
	switch {
	case d.Store == nil:
		panic("auth0: Deps.Store is nil")
	case d.Verifier == nil:
		panic("auth0: Deps.Verifier is nil")
	case d.Identifier == "":
		panic("auth0: Deps.Identifier is empty")
	case d.Standing == nil:
		panic("auth0: Deps.Standing is nil")
	case d.HashSecret == nil:
		panic("auth0: Deps.HashSecret is nil")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Passwords == nil {
		d.Passwords = password.NewHasher(password.DefaultParams, 0)
	}
	if d.MFA == nil && d.Store != nil {
		d.MFA = mfa.New(d.Store, nil, d.Now)
	}
	s := &server{Deps: d, mux: http.NewServeMux(), log: d.Logger, dir: directory.New(directory.Config{
		Store: d.Store, ManagementIndicator: d.ManagementIndicator, ManagementV2Indicator: d.Identifier,
		HashSecret: d.HashSecret, Passwords: d.Passwords, Now: d.Now, PasswordPolicy: d.PasswordPolicy,
	})}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s.rts = s.routes()
	for _, rt := range s.rts {
		h := s.checkQuery(rt, rt.handle)
		if len(rt.scopes) > 0 {
			h = s.authorized(rt, h)
		}
		s.mux.Handle(rt.pattern(), s.serve(rt, h))
	}
	return s
}

// Routes lists the API's routes as "METHOD /api/v2/path" patterns with the
// scopes each accepts, for tests and documentation.
func Routes() map[string][]string {
	s := &server{}
	out := map[string][]string{}
	for _, rt := range s.routes() {
		out[rt.pattern()] = rt.scopes
	}
	return out
}

// Query parameters of Auth0's lists.
var (
	paging = []string{"page", "per_page", "include_totals"}
	// checkpoint is Auth0's other pagination, on the routes where Auth0
	// has it (its SDK sends take on every call of those lists).
	checkpoint = []string{"from", "take"}
	fieldsQ    = []string{"fields", "include_fields"}
	pagedSel   = append(append([]string{}, paging...), fieldsQ...)
)

func with(base []string, more ...string) []string {
	return append(append([]string{}, base...), more...)
}

func (s *server) routes() []route {
	readUsers := []string{"read:users", "read:users_app_metadata"}
	return []route{
		{method: "GET", path: "/swagger.json", handle: s.swagger, summary: "This API's OpenAPI document"},

		{method: "GET", path: "/users", scopes: readUsers, handle: s.listUsers, summary: "List or search users",
			query: with(pagedSel, "q", "search_engine", "sort", "connection")},
		{method: "POST", path: "/users", scopes: []string{"create:users"}, handle: s.createUser, summary: "Create a user"},
		{method: "GET", path: "/users/{id}", scopes: readUsers, handle: s.getUser, query: fieldsQ, entity: "user", summary: "Get a user"},
		{method: "PATCH", path: "/users/{id}", scopes: []string{"update:users", "update:users_app_metadata"}, handle: s.updateUser, entity: "user", summary: "Update a user"},
		{method: "DELETE", path: "/users/{id}", scopes: []string{"delete:users"}, handle: s.deleteUser, entity: "user", summary: "Delete a user"},
		{method: "GET", path: "/users-by-email", scopes: []string{"read:users"}, handle: s.usersByEmail, query: with(fieldsQ, "email"), summary: "Users by e-mail address"},
		{method: "GET", path: "/users/{id}/roles", scopes: []string{"read:users", "read:roles", "read:role_members"}, handle: s.userRoles, query: paging, entity: "user", summary: "A user's roles"},
		{method: "POST", path: "/users/{id}/roles", scopes: []string{"create:role_members"}, handle: s.assignUserRoles, entity: "user", summary: "Give roles to a user"},
		{method: "DELETE", path: "/users/{id}/roles", scopes: []string{"delete:role_members"}, handle: s.removeUserRoles, entity: "user", summary: "Take roles from a user"},
		{method: "GET", path: "/users/{id}/permissions", scopes: []string{"read:users"}, handle: s.userPermissions, query: paging, entity: "user", summary: "A user's permissions, through their roles"},
		{method: "GET", path: "/users/{id}/authentication-methods", scopes: []string{"read:authentication_methods"}, handle: s.listAuthMethods, query: paging, entity: "user", summary: "A user's authentication methods (second factors)"},
		{method: "DELETE", path: "/users/{id}/authentication-methods", scopes: []string{"delete:authentication_methods"}, handle: s.deleteAuthMethods, entity: "user", summary: "Delete all of a user's authentication methods"},
		{method: "GET", path: "/users/{id}/authentication-methods/{authentication_method_id}", scopes: []string{"read:authentication_methods"}, handle: s.getAuthMethod, entity: "authentication_method", summary: "Get a user's authentication method"},
		{method: "DELETE", path: "/users/{id}/authentication-methods/{authentication_method_id}", scopes: []string{"delete:authentication_methods"}, handle: s.deleteAuthMethod, entity: "authentication_method", summary: "Delete a user's authentication method"},
		{method: "GET", path: "/users/{id}/logs", scopes: []string{"read:logs", "read:logs_users"}, handle: s.userLogs, query: with(paging, "sort"), entity: "user", summary: "A user's log events"},

		{method: "GET", path: "/clients", scopes: []string{"read:clients", "read:client_keys"}, handle: s.listClients,
			query: with(pagedSel, "app_type", "is_first_party", "is_global"), summary: "List clients (applications)"},
		{method: "POST", path: "/clients", scopes: []string{"create:clients"}, handle: s.createClient, summary: "Create a client"},
		{method: "GET", path: "/clients/{id}", scopes: []string{"read:clients", "read:client_keys"}, handle: s.getClient, query: fieldsQ, entity: "client", summary: "Get a client"},
		{method: "PATCH", path: "/clients/{id}", scopes: []string{"update:clients"}, handle: s.updateClient, entity: "client", summary: "Update a client"},
		{method: "DELETE", path: "/clients/{id}", scopes: []string{"delete:clients"}, handle: s.deleteClient, entity: "client", summary: "Delete a client"},
		{method: "POST", path: "/clients/{id}/rotate-secret", scopes: []string{"update:client_keys"}, handle: s.rotateSecret, entity: "client", summary: "Rotate a client's secret"},
		{method: "GET", path: "/clients/{id}/credentials", scopes: []string{"read:client_credentials"}, handle: s.listCredentials, entity: "client", summary: "List a client's public-key credentials"},
		{method: "POST", path: "/clients/{id}/credentials", scopes: []string{"create:client_credentials"}, handle: s.createCredential, entity: "client", summary: "Register a public-key credential (private_key_jwt)"},
		{method: "GET", path: "/clients/{id}/credentials/{credential_id}", scopes: []string{"read:client_credentials"}, handle: s.getCredential, entity: "client_credential", summary: "Get a client's credential"},
		{method: "PATCH", path: "/clients/{id}/credentials/{credential_id}", scopes: []string{"update:client_credentials"}, handle: s.updateCredential, entity: "client_credential", summary: "Change a credential's expiry"},
		{method: "DELETE", path: "/clients/{id}/credentials/{credential_id}", scopes: []string{"delete:client_credentials"}, handle: s.deleteCredential, entity: "client_credential", summary: "Delete a client's credential"},

		{method: "GET", path: "/client-grants", scopes: []string{"read:client_grants"}, handle: s.listClientGrants,
			query: with(with(paging, checkpoint...), "client_id", "audience"), summary: "List client grants"},
		{method: "POST", path: "/client-grants", scopes: []string{"create:client_grants"}, handle: s.createClientGrant, summary: "Create a client grant"},
		{method: "GET", path: "/client-grants/{id}", scopes: []string{"read:client_grants"}, handle: s.getClientGrant, entity: "client_grant", summary: "Get a client grant"},
		{method: "PATCH", path: "/client-grants/{id}", scopes: []string{"update:client_grants"}, handle: s.updateClientGrant, entity: "client_grant", summary: "Change a client grant's scopes"},
		{method: "DELETE", path: "/client-grants/{id}", scopes: []string{"delete:client_grants"}, handle: s.deleteClientGrant, entity: "client_grant", summary: "Delete a client grant"},

		{method: "GET", path: "/resource-servers", scopes: []string{"read:resource_servers"}, handle: s.listResourceServers, query: paging, summary: "List resource servers (APIs)"},
		{method: "POST", path: "/resource-servers", scopes: []string{"create:resource_servers"}, handle: s.createResourceServer, summary: "Create a resource server"},
		{method: "GET", path: "/resource-servers/{id}", scopes: []string{"read:resource_servers"}, handle: s.getResourceServer, entity: "resource_server", summary: "Get a resource server by id or identifier"},
		{method: "PATCH", path: "/resource-servers/{id}", scopes: []string{"update:resource_servers"}, handle: s.updateResourceServer, entity: "resource_server", summary: "Update a resource server"},
		{method: "DELETE", path: "/resource-servers/{id}", scopes: []string{"delete:resource_servers"}, handle: s.deleteResourceServer, entity: "resource_server", summary: "Delete a resource server"},

		{method: "GET", path: "/roles", scopes: []string{"read:roles"}, handle: s.listRoles, query: with(paging, "name_filter"), summary: "List roles"},
		{method: "POST", path: "/roles", scopes: []string{"create:roles"}, handle: s.createRole, summary: "Create a role"},
		{method: "GET", path: "/roles/{id}", scopes: []string{"read:roles"}, handle: s.getRole, entity: "role", summary: "Get a role"},
		{method: "PATCH", path: "/roles/{id}", scopes: []string{"update:roles"}, handle: s.updateRole, entity: "role", summary: "Update a role"},
		{method: "DELETE", path: "/roles/{id}", scopes: []string{"delete:roles"}, handle: s.deleteRole, entity: "role", summary: "Delete a role"},
		{method: "GET", path: "/roles/{id}/permissions", scopes: []string{"read:roles"}, handle: s.rolePermissions, query: paging, entity: "role", summary: "A role's permissions"},
		{method: "POST", path: "/roles/{id}/permissions", scopes: []string{"update:roles"}, handle: s.addRolePermissions, entity: "role", summary: "Add permissions to a role"},
		{method: "DELETE", path: "/roles/{id}/permissions", scopes: []string{"update:roles"}, handle: s.removeRolePermissions, entity: "role", summary: "Remove permissions from a role"},
		{method: "GET", path: "/roles/{id}/users", scopes: []string{"read:role_members", "read:roles"}, handle: s.roleUsers, query: with(paging, checkpoint...), entity: "role", summary: "A role's users"},
		{method: "POST", path: "/roles/{id}/users", scopes: []string{"create:role_members", "update:roles"}, handle: s.assignRoleUsers, entity: "role", summary: "Give a role to users"},

		{method: "GET", path: "/connections", scopes: []string{"read:connections"}, handle: s.listConnections, query: with(with(pagedSel, checkpoint...), "strategy", "name"), summary: "List connections"},
		{method: "GET", path: "/connections/{id}", scopes: []string{"read:connections"}, handle: s.getConnection, query: fieldsQ, entity: "connection", summary: "Get a connection"},

		{method: "GET", path: "/logs", scopes: []string{"read:logs"}, handle: s.listLogs, query: with(pagedSel, "q", "search", "sort", "search_engine"), summary: "Search log events"},
		{method: "GET", path: "/logs/{id}", scopes: []string{"read:logs"}, handle: s.getLog, entity: "log", summary: "Get a log event"},

		{method: "POST", path: "/tickets/password-change", scopes: []string{"create:user_tickets"}, handle: s.passwordChangeTicket, summary: "Create a password-change ticket"},
	}
}

// ServeHTTP answers unknown paths and wrong methods in Auth0's shape.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	allow := apiserve.Allowed(s.mux, r, []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete})
	w.Header().Set("Cache-Control", "no-store")
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method "+r.Method+" is not allowed here; allowed: "+strings.Join(allow, ", "))
		return
	}
	writeError(w, http.StatusNotFound, "not_found", "Not Found")
}

// serve adapts a handlerFunc: it answers returned errors and turns a panic
// into a 500 rather than a dropped connection.
func (s *server) serve(rt route, h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiserve.Serve(w, r, s.log, "management API v2", internalError, func() {
			if err := h(w, r); err != nil {
				s.fail(w, r, rt, err)
			}
		})
	})
}

func internalError(w http.ResponseWriter) {
	writeError(w, http.StatusInternalServerError, "internal_error", "Internal Server Error")
}

// checkQuery refuses query parameters the route does not take, as Auth0
// does, rather than ignoring them.
func (s *server) checkQuery(rt route, h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := parseQuery(r)
		if err != nil {
			return err
		}
		for name, vs := range q {
			if !contains(rt.query, name) {
				return badQuery("Query validation error: 'Additional properties not allowed: " + shorten(name) + "'.")
			}
			if len(vs) > 1 {
				return badQuery("Query validation error: '" + shorten(name) + "' may be given once.")
			}
		}
		return h(w, withQuery(r, q))
	}
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// changed runs after a successful write: it records the change and has
// the token endpoint's catalog rebuilt before the answer goes out.
func (s *server) changed(r *http.Request) {
	sub, client := "", ""
	if c := claimsFrom(r.Context()); c != nil {
		sub, client = c.Subject, c.ClientID
	}
	s.log.Info("management API v2 change", "method", r.Method, "path", r.URL.Path, "sub", sub)
	if s.Audit != nil {
		s.Audit(r.Context(), ChangeEvent{Method: r.Method, Path: r.URL.Path, Pattern: r.Pattern, Caller: sub, Client: client})
	}
	if s.Changed == nil {
		return
	}
	if err := s.Changed(context.WithoutCancel(r.Context())); err != nil {
		s.log.Error("catalog reload after a management API v2 change failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// answerChange answers a write with err, what the directory said: err if
// it failed, else status without a body once the change is recorded.
func (s *server) answerChange(w http.ResponseWriter, r *http.Request, status int, err error) error {
	if err != nil {
		return err
	}
	s.changed(r)
	w.WriteHeader(status)
	return nil
}

// revoked runs after a change that revoked tokens (a user blocked or
// deleted).
func (s *server) revoked(r *http.Request) {
	if s.Revoked == nil {
		return
	}
	if err := s.Revoked(context.WithoutCancel(r.Context())); err != nil {
		s.log.Error("revocation list reload after a management API v2 change failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}
