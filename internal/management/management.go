// Package management serves the Management API under /api: applications and
// their secrets, API resources and scopes, roles, users, signing keys,
// custom claims scripts and the audit log, with Logto's paths, JSON shapes
// and status codes so that Logto clients work unchanged.
//
// For applications, users, roles, resources and scopes it is an adapter
// over the directory package, which holds their rules: it reads the
// request's shape, calls the directory, and answers with Logto's shape, its
// pagination and its code for each refusal (see logto).
package management

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/apiserve"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/experience"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/sso"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/token"
	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

// Deps is what the Management API needs from the rest of the server.
type Deps struct {
	Store store.Store
	// Verifier checks bearer access tokens issued by this server.
	Verifier token.Verifier
	// Indicator is the Management API's resource indicator; a token must
	// carry it in aud, and the resource with this indicator is read-only.
	Indicator string
	// V2 is the Management API v2's identifier, built in and read-only
	// like Indicator; "" when there is none.
	V2   string
	Keys KeyManager
	// HashSecret returns the keyed hash stored in place of a new secret.
	HashSecret func(secret string) []byte
	// Changed is called after every successful write, before the response
	// is sent, so the token endpoint sees the change on its next request.
	// An error is logged; the write has happened, so the answer is success.
	Changed func(ctx context.Context) error
	// Scripts compiles and test-runs custom JWT claims scripts; nil turns
	// the jwt-customizer routes' script checks off (they answer 501).
	Scripts ScriptRunner
	// Audit, when set, is told of every successful change. It must not block.
	Audit  func(ctx context.Context, e ChangeEvent)
	Logger *slog.Logger
	Now    func() time.Time // nil: time.Now

	// Passwords hashes and checks user passwords; nil: argon2id with the
	// default costs.
	Passwords *password.Hasher
	// Revoked, when set, is called after a change revoked access tokens
	// (suspending or deleting a user), so the revocation list of every
	// instance catches up.
	Revoked func(ctx context.Context) error
	// Hooks keeps Logto's webhooks and sends their test payloads; nil: a
	// service whose endpoints obey the default egress policy (public
	// addresses only).
	Hooks *webhook.Service
	// ClientIP, when set, gives the client's address of a request, which
	// the events of its changes record for webhooks.
	ClientIP func(*http.Request) string
	// Standing says whether the caller a verified token names (its sub and
	// client_id) still exists and still holds the Management API's "all"
	// permission. It is asked on every request, so it must answer from
	// memory (the catalog), never the database.
	Standing func(subject, clientID string) catalog.Standing
	// Experience keeps the sign-in experience and its password policy,
	// which every password written here obeys; nil: a service of its own
	// over Store, with no code connectors.
	Experience *experience.Service
	// Connectors keeps the message connectors and e-mail templates; nil:
	// a service whose providers obey the default egress policy.
	Connectors *connector.Service
	// Codes sends and verifies one-time codes; nil: one over Connectors
	// with the default limits.
	Codes *verifycode.Service
	// SSO keeps the enterprise SSO connectors; nil: a service over Store
	// that fetches no metadata URLs.
	SSO *sso.Service
	// MFA keeps users' second factors; nil: one over Store.
	MFA *mfa.Service
}

// KeyManager lists and rotates the server's signing keys.
type KeyManager interface {
	// ListKeys returns every stored key; only its metadata is shown.
	ListKeys(ctx context.Context) ([]store.SigningKey, error)
	// RotateKey makes a new key of algorithm current ("" keeps the current
	// algorithm). For an algorithm it does not know it returns an error
	// wrapping ErrUnsupportedAlgorithm.
	RotateKey(ctx context.Context, algorithm string) error
}

// ErrUnsupportedAlgorithm is what KeyManager.RotateKey wraps for an unknown
// algorithm (answered with 400). It is the keys package's error, so an
// implementation built on keys.Generate returns it as is.
var ErrUnsupportedAlgorithm = keys.ErrUnsupportedAlgorithm

// Limits on request values.
const (
	maxBodyBytes    = 64 << 10
	defaultPageSize = 20
	maxPageSize     = 100
)

type server struct {
	Deps
	hooks *webhook.Service
	dir   *directory.Directory
	mux   *http.ServeMux
	log   *slog.Logger
}

// handlerFunc is a route handler. It writes its own successful response and
// returns errors for the caller to answer (see server.fail).
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

type route struct {
	pattern string // "METHOD /api/path/{param}"
	handle  handlerFunc
	public  bool // served without a token
	// query, on list routes, is what the query may hold; nil on others.
	query *listQuery
}

// New returns the Management API handler, which serves paths beginning /api/.
// It panics if a required dependency is missing.
func New(d Deps) http.Handler {
	switch {
	case d.Store == nil:
		panic("management: Deps.Store is nil")
	case d.Verifier == nil:
		panic("management: Deps.Verifier is nil")
	case d.Indicator == "":
		panic("management: Deps.Indicator is empty")
	case d.Standing == nil:
		panic("management: Deps.Standing is nil")
	case d.Keys == nil:
		panic("management: Deps.Keys is nil")
	case d.HashSecret == nil:
		panic("management: Deps.HashSecret is nil")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Passwords == nil {
		d.Passwords = password.NewHasher(password.DefaultParams, 0)
	}
	if d.Experience == nil {
		d.Experience = experience.New(d.Store, experience.Options{})
	}
	if d.Hooks == nil {
		d.Hooks = webhook.NewService(d.Store, egress.Policy{}, webhook.DefaultOptions().Timeout, d.Now)
	}
	if d.Connectors == nil {
		d.Connectors = connector.New(d.Store, connector.DefaultOptions())
	}
	if d.MFA == nil {
		d.MFA = mfa.New(d.Store, nil, d.Now)
	}
	if d.Codes == nil {
		d.Codes = verifycode.New(d.Store, d.Connectors, verifycode.Options{Now: d.Now, Policy: d.Experience.CodePolicy})
	}
	if d.SSO == nil {
		d.SSO = sso.New(d.Store, sso.Options{Now: d.Now})
	}
	s := &server{Deps: d, hooks: d.Hooks, mux: http.NewServeMux(), log: d.Logger, dir: directory.New(directory.Config{
		Store: d.Store, ManagementIndicator: d.Indicator, ManagementV2Indicator: d.V2, HashSecret: d.HashSecret, Passwords: d.Passwords, Now: d.Now,
		PasswordPolicy: d.Experience.PasswordPolicy,
	})}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, rt := range s.routes() {
		h := rt.handle
		switch {
		case rt.query != nil:
			h = rt.query.checkQuery(h)
		case !rt.public:
			// A route that reads no query refuses every parameter, so that
			// none is ever silently ignored.
			h = noParams.checkQuery(h)
		}
		if !strings.HasPrefix(rt.pattern, http.MethodGet+" ") {
			h = s.withOrigin(rt.pattern, h)
		}
		if rt.public {
			s.mux.Handle(rt.pattern, s.serve(h))
		} else {
			s.mux.Handle(rt.pattern, s.serve(s.authenticated(h)))
		}
	}
	return s
}

// The query rules shared by list routes: none at all for the lists Logto
// answers whole, and Logto's search with its mandatory pagination for the
// lists of what a row holds or is held by.
var (
	noQuery      = &listQuery{whole: true}
	linkedSearch = &listQuery{search: true}
	noParams     = &listQuery{whole: true} // routes that read no query at all
)

func (s *server) routes() []route {
	return append([]route{
		{pattern: "GET /api/swagger.json", handle: s.swagger, public: true},
		{pattern: "GET /api/status", handle: status, public: true},

		{pattern: "GET /api/applications", handle: listFiltered(directory.ApplicationSearch, applicationOut, s.dir.Applications),
			query: &listQuery{params: []string{"types", "isThirdParty", "excludeRoleId", "excludeOrganizationId"}, search: true, optional: true}},
		{pattern: "POST /api/applications", handle: s.createApplication},
		{pattern: "GET /api/applications/{id}", handle: read(applicationOut, s.dir.Application)},
		{pattern: "PATCH /api/applications/{id}", handle: s.updateApplication},
		{pattern: "DELETE /api/applications/{id}", handle: remove(s.dir.DeleteApplication, s.changed)},
		{pattern: "PATCH /api/applications/{id}/custom-data", handle: s.mergeApplicationCustomData},
		{pattern: "GET /api/applications/{id}/secrets", handle: s.listSecrets, query: noQuery},
		{pattern: "POST /api/applications/{id}/secrets", handle: s.createSecret},
		{pattern: "PATCH /api/applications/{id}/secrets/{name}", handle: s.renameSecret},
		{pattern: "DELETE /api/applications/{id}/secrets/{name}", handle: unlink(s.dir.DeleteSecret, "name", s.changed)},
		{pattern: "GET /api/applications/{id}/roles", handle: listFilteredOf(directory.RoleMatch, roleOut, s.dir.ApplicationRoles), query: linkedSearch},
		{pattern: "POST /api/applications/{id}/roles", handle: s.addApplicationRoles},
		{pattern: "PUT /api/applications/{id}/roles", handle: s.replaceApplicationRoles},
		{pattern: "DELETE /api/applications/{id}/roles/{roleId}", handle: unlink(s.dir.RemoveApplicationRole, "roleId", s.changed)},

		{pattern: "GET /api/resources", handle: s.listResources, query: &listQuery{params: []string{"includeScopes"}, optional: true}},
		{pattern: "POST /api/resources", handle: s.createResource},
		{pattern: "GET /api/resources/{id}", handle: read(s.resourceOut, s.dir.Resource)},
		{pattern: "PATCH /api/resources/{id}", handle: s.updateResource},
		{pattern: "DELETE /api/resources/{id}", handle: remove(s.dir.DeleteResource, s.changed)},
		{pattern: "PATCH /api/resources/{id}/is-default", handle: s.setDefaultResource},
		{pattern: "GET /api/resources/{id}/scopes", handle: listFilteredOf(directory.ScopeSearch, scopeOut, s.dir.SearchScopes), query: &listQuery{search: true}},
		{pattern: "POST /api/resources/{id}/scopes", handle: s.createScope},
		{pattern: "PATCH /api/resources/{id}/scopes/{scopeId}", handle: s.updateScope},
		{pattern: "DELETE /api/resources/{id}/scopes/{scopeId}", handle: unlink(s.dir.DeleteScope, "scopeId", s.changed)},

		{pattern: "GET /api/roles", handle: s.listRoles, query: &listQuery{params: []string{"type", "excludeUserId", "excludeApplicationId"}, search: true}},
		{pattern: "POST /api/roles", handle: s.createRole},
		{pattern: "GET /api/roles/{id}", handle: read(roleOut, s.dir.Role)},
		{pattern: "PATCH /api/roles/{id}", handle: s.updateRole},
		{pattern: "DELETE /api/roles/{id}", handle: remove(s.dir.DeleteRole, s.changed)},
		{pattern: "GET /api/roles/{id}/scopes", handle: listFilteredOf(directory.ScopeSearch, scopeOut, s.dir.RoleScopes),
			query: &listQuery{search: true, optional: true}},
		{pattern: "POST /api/roles/{id}/scopes", handle: s.addRoleScopes},
		{pattern: "DELETE /api/roles/{id}/scopes/{scopeId}", handle: unlink(s.dir.RemoveRoleScope, "scopeId", s.changed)},
		{pattern: "GET /api/roles/{id}/applications", handle: listFilteredOf(directory.ApplicationMatch, applicationOut, s.dir.RoleApplications), query: linkedSearch},
		{pattern: "POST /api/roles/{id}/applications", handle: link(applicationIDs.ids, s.dir.AssignRoleApplications, s.changed)},
		{pattern: "DELETE /api/roles/{id}/applications/{applicationId}", handle: unlink(s.dir.RemoveRoleApplication, "applicationId", s.changed)},
		{pattern: "GET /api/roles/{id}/users", handle: listFilteredOf(directory.UserSearch, userOut, s.dir.SearchRoleUsers), query: linkedSearch},
		{pattern: "POST /api/roles/{id}/users", handle: link(userIDs.ids, s.dir.AssignRoleUsers, s.holdersChanged)},
		{pattern: "DELETE /api/roles/{id}/users/{userId}", handle: unlink(s.dir.RemoveRoleUser, "userId", s.holdersChanged)},

		{pattern: "GET /api/users", handle: s.listUsers, query: &listQuery{params: []string{"excludeRoleId", "excludeOrganizationId", "includePasswordHash"}, search: true}},
		{pattern: "POST /api/users", handle: s.createUser},
		{pattern: "GET /api/users/{id}", handle: s.getUser, query: &listQuery{params: []string{"includePasswordHash", "includeSsoIdentities"}, whole: true}},
		{pattern: "PATCH /api/users/{id}", handle: s.updateUser},
		{pattern: "DELETE /api/users/{id}", handle: remove(s.dir.DeleteUser, s.userRemoved)},
		{pattern: "PATCH /api/users/{id}/password", handle: s.setUserPassword},
		{pattern: "POST /api/users/{id}/password/verify", handle: s.verifyUserPassword},
		{pattern: "PATCH /api/users/{id}/is-suspended", handle: s.setUserSuspended},
		{pattern: "GET /api/users/{id}/custom-data", handle: s.getUserCustomData},
		{pattern: "PATCH /api/users/{id}/custom-data", handle: merge[customDataBody]("customData is required and must be a JSON object",
			s.dir.MergeCustomData, s.userChanged)},
		{pattern: "PATCH /api/users/{id}/profile", handle: merge[profileBody]("profile is required and must be a JSON object",
			s.dir.MergeProfile, s.userChanged)},
		{pattern: "GET /api/users/{id}/has-password", handle: s.hasUserPassword},
		{pattern: "POST /api/users/{id}/identities", handle: s.linkUserIdentity},
		{pattern: "GET /api/users/{id}/identities/{target}", handle: s.getUserIdentity, query: &listQuery{params: []string{"includeTokenSecret"}, whole: true}},
		{pattern: "PUT /api/users/{id}/identities/{target}", handle: s.putUserIdentity},
		{pattern: "DELETE /api/users/{id}/identities/{target}", handle: s.deleteUserIdentity},
		{pattern: "GET /api/users/{id}/roles", handle: listFilteredOf(directory.RoleMatch, roleOut, s.dir.UserRoles), query: linkedSearch},
		{pattern: "POST /api/users/{id}/roles", handle: s.addUserRoles},
		{pattern: "PUT /api/users/{id}/roles", handle: s.replaceUserRoles},
		{pattern: "DELETE /api/users/{id}/roles/{roleId}", handle: unlink(s.dir.RemoveUserRole, "roleId", s.holdersChanged)},
		{pattern: "GET /api/users/{id}/personal-access-tokens", handle: s.listPersonalAccessTokens, query: noQuery},
		{pattern: "POST /api/users/{id}/personal-access-tokens", handle: s.createPersonalAccessToken},
		{pattern: "PATCH /api/users/{id}/personal-access-tokens", handle: s.renamePersonalAccessToken},
		{pattern: "POST /api/users/{id}/personal-access-tokens/delete", handle: s.deletePersonalAccessToken},
		{pattern: "PATCH /api/users/{id}/personal-access-tokens/{name}", handle: s.renamePersonalAccessToken},
		{pattern: "DELETE /api/users/{id}/personal-access-tokens/{name}", handle: s.deletePersonalAccessToken},
		{pattern: "POST /api/subject-tokens", handle: s.createSubjectToken},

		{pattern: "GET /api/configs/oidc/private-keys", handle: s.listKeys, query: noQuery},
		{pattern: "POST /api/configs/oidc/private-keys/rotate", handle: s.rotateKey},

		{pattern: "GET /api/configs/jwt-customizer", handle: s.listCustomizers, query: noQuery},
		{pattern: "POST /api/configs/jwt-customizer/test", handle: s.testCustomizer, query: &listQuery{params: []string{"details"}, whole: true}},
		{pattern: "GET /api/configs/jwt-customizer/{tokenType}", handle: s.getCustomizer},
		{pattern: "PUT /api/configs/jwt-customizer/{tokenType}", handle: s.putCustomizer},
		{pattern: "PATCH /api/configs/jwt-customizer/{tokenType}", handle: s.patchCustomizer},
		{pattern: "DELETE /api/configs/jwt-customizer/{tokenType}", handle: s.deleteCustomizer},

		{pattern: "GET /api/hooks", handle: s.listHooks, query: &listQuery{params: []string{"includeExecutionStats"}, optional: true}},
		{pattern: "POST /api/hooks", handle: s.createHook},
		{pattern: "GET /api/hooks/{id}", handle: s.getHook, query: &listQuery{params: []string{"includeExecutionStats"}, whole: true}},
		{pattern: "PATCH /api/hooks/{id}", handle: s.updateHook},
		{pattern: "DELETE /api/hooks/{id}", handle: s.deleteHook},
		{pattern: "PATCH /api/hooks/{id}/signing-key", handle: s.regenerateHookKey},
		{pattern: "POST /api/hooks/{id}/test", handle: s.testHook},
		{pattern: "GET /api/hooks/{id}/recent-logs", handle: s.hookLogs, query: &listQuery{params: []string{"logKey", "enableCap", "start_time", "end_time"}}},

		{pattern: "GET /api/logs", handle: s.listLogs, query: &listQuery{params: []string{"logKey", "applicationId", "userId", "start_time", "end_time", "enableCap"}}},
		{pattern: "GET /api/logs/{id}", handle: s.getLog},

		{pattern: "GET /api/sign-in-exp", handle: s.getSignInExperience},
		// Monban has no demo social connectors, so removing the unused ones
		// removes nothing.
		{pattern: "PATCH /api/sign-in-exp", handle: s.updateSignInExperience, query: &listQuery{params: []string{"removeUnusedDemoSocialConnector"}, whole: true}},
		{pattern: "POST /api/sign-in-exp/default/check-password", handle: s.checkPassword},
		{pattern: "POST /api/sign-in-exp/default/custom-ui-assets", handle: s.uploadCustomUIAssets},
		{pattern: "GET /api/custom-phrases", handle: s.listPhrases, query: noQuery},
		{pattern: "GET /api/custom-phrases/{languageTag}", handle: s.getPhrase},
		{pattern: "PUT /api/custom-phrases/{languageTag}", handle: s.putPhrase},
		{pattern: "DELETE /api/custom-phrases/{languageTag}", handle: s.deletePhrase},
		{pattern: "GET /api/applications/{id}/sign-in-experience", handle: s.getAppSignInExperience},
		{pattern: "PUT /api/applications/{id}/sign-in-experience", handle: s.putAppSignInExperience},
		{pattern: "GET /api/connectors", handle: s.listConnectors, query: &listQuery{params: []string{"target"}, whole: true}},
		{pattern: "POST /api/connectors", handle: s.createConnector},
		{pattern: "GET /api/connectors/{id}", handle: s.getConnector},
		{pattern: "PATCH /api/connectors/{id}", handle: s.updateConnector},
		{pattern: "DELETE /api/connectors/{id}", handle: s.deleteConnector},
		{pattern: "POST /api/connectors/{factoryId}/test", handle: s.testConnector},
		{pattern: "GET /api/connector-factories", handle: s.listFactories, query: noQuery},
		{pattern: "GET /api/connector-factories/{id}", handle: s.getFactory},
		{pattern: "GET /api/email-templates", handle: s.listEmailTemplates, query: &listQuery{params: []string{"languageTag", "templateType"}, whole: true}},
		{pattern: "PUT /api/email-templates", handle: s.putEmailTemplates},
		{pattern: "DELETE /api/email-templates", handle: s.deleteEmailTemplates, query: &listQuery{params: []string{"languageTag", "templateType"}, whole: true}},
		{pattern: "GET /api/email-templates/{id}", handle: s.getEmailTemplate},
		{pattern: "DELETE /api/email-templates/{id}", handle: s.deleteEmailTemplate},
		{pattern: "PATCH /api/email-templates/{id}/details", handle: s.patchEmailTemplate},
		{pattern: "POST /api/verification-codes", handle: s.sendVerificationCode},
		{pattern: "POST /api/verification-codes/verify", handle: s.verifyVerificationCode},
		{pattern: "GET /api/sso-connector-providers", handle: s.listSSOProviders, query: noQuery},
		{pattern: "GET /api/sso-connectors", handle: s.listSSOConnectorsAPI, query: &listQuery{optional: true}},
		{pattern: "POST /api/sso-connectors", handle: s.createSSOConnector},
		{pattern: "GET /api/sso-connectors/{id}", handle: s.getSSOConnector},
		{pattern: "PATCH /api/sso-connectors/{id}", handle: s.updateSSOConnector},
		{pattern: "DELETE /api/sso-connectors/{id}", handle: s.deleteSSOConnector},
	}, slices.Concat(s.organizationRoutes(), s.invitationRoutes(), s.mfaRoutes())...)
}

// status answers 204 without a token, as Logto's health check does.
func status(w http.ResponseWriter, _ *http.Request) error {
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// ServeHTTP answers unknown paths and wrong methods with JSON (ServeMux
// would answer in plain text) and hands everything else to the mux.
func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		s.noRoute(w, r)
		return
	}
	s.mux.ServeHTTP(w, r)
}

var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// noRoute answers 405 with Allow when the path exists for other methods,
// else 404.
func (s *server) noRoute(w http.ResponseWriter, r *http.Request) {
	if allow := apiserve.Allowed(s.mux, r, probeMethods); len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeError(w, http.StatusMethodNotAllowed, "request.method_not_allowed",
			"method "+r.Method+" is not allowed here; allowed: "+strings.Join(allow, ", "))
		return
	}
	writeError(w, http.StatusNotFound, "request.not_found", "no such API route")
}

// serve adapts a handlerFunc: it answers returned errors and turns a panic
// into a 500 rather than a dropped connection.
func (s *server) serve(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		apiserve.Serve(w, r, s.log, "management", internalError, func() {
			if err := h(w, r); err != nil {
				s.fail(w, r, err)
			}
		})
	})
}

func internalError(w http.ResponseWriter) {
	writeError(w, http.StatusInternalServerError, "unexpected_error", "internal server error")
}

// apiError is an error answered with its own status, code and message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func invalid(message string) error {
	return &apiError{http.StatusBadRequest, "request.invalid_input", message}
}

func notFound(message string) error {
	return &apiError{http.StatusNotFound, "entity.not_exists", message}
}

// retryAfterUnavailable is the Retry-After, in seconds, of a 503 for an
// unavailable database.
const retryAfterUnavailable = 5

// fail answers err: the directory's refusals with Logto's status and code
// for them (see logto), the API's own client errors with their status,
// store.ErrNotFound 404,
// store.ErrConflict 422, store.ErrUnavailable a logged 503 with Retry-After,
// anything else a logged 500 with a generic message.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var de *httpjson.DecodeError
	var se *scriptSyntaxError
	var dirErr *directory.Error
	var hookErr *webhook.Error
	var expErr *experience.Error
	switch {
	case errors.As(err, &expErr):
		experienceError(w, expErr)
	case errors.As(err, &dirErr) && len(dirErr.Issues) > 0:
		a := logtoError(dirErr)
		httpjson.Write(w, a.status, errorBody{Code: a.code, Message: a.message, Data: dirErr.Issues})
	case errors.As(err, &hookErr):
		hookError(w, hookErr)
	case errors.As(err, &dirErr):
		a := logtoError(dirErr)
		writeError(w, a.status, a.code, a.message)
	case errors.As(err, &se):
		httpjson.Write(w, http.StatusBadRequest, map[string]any{
			"code": "jwt_customizer.syntax_error", "message": "The script does not compile: " + se.Error(),
			"line": se.Line, "column": se.Column,
		})
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.code, ae.message)
	case errors.As(err, &de):
		code := "request.invalid_input"
		switch de.Status {
		case http.StatusRequestEntityTooLarge:
			code = "request.entity_too_large"
		case http.StatusUnsupportedMediaType:
			code = "request.unsupported_media_type"
		}
		writeError(w, de.Status, code, de.Message)
	case errors.Is(err, store.ErrNotFound):
		writeError(w, http.StatusNotFound, "entity.not_exists", "entity not found")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusUnprocessableEntity, "entity.unique_integrity_violation", "entity already exists")
	case errors.Is(err, store.ErrUnavailable):
		s.log.Warn("management request failed: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
		writeError(w, http.StatusServiceUnavailable, "database.unavailable", "the database is unavailable; retry later")
	default:
		s.log.Error("management request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "unexpected_error", "internal server error")
	}
}

// orNotFound gives a store.ErrNotFound a message naming what was missing.
func orNotFound(err error, message string) error {
	if errors.Is(err, store.ErrNotFound) {
		return notFound(message)
	}
	return err
}

// decode reads a JSON request body into v.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpjson.Decode(w, r, v, maxBodyBytes)
}

// changed runs after a successful write: it records the change and has
// the token endpoint's catalog rebuilt before the response goes out.
func (s *server) changed(r *http.Request) { s.changedCreating(r, "") }

// changedCreating is changed for a request that created something with
// the id created.
func (s *server) changedCreating(r *http.Request, created string) {
	s.record(r, created)
	if s.Changed == nil {
		return
	}
	// Not cancelled with the request: the write happened, so the catalog
	// must catch up even if the client has gone.
	if err := s.Changed(context.WithoutCancel(r.Context())); err != nil {
		s.log.Error("catalog reload after management change failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
}

// record logs a successful write and adds it to the audit trail: never a
// secret, only method, path and caller.
func (s *server) record(r *http.Request, created string) {
	sub := ""
	if c := claimsFrom(r.Context()); c != nil {
		sub = c.Subject
	}
	s.log.Info("management change", "method", r.Method, "path", r.URL.Path, "sub", sub)
	s.audit(r.Context(), r, created)
}

// noContent answers a deletion with err, what the directory said: err if
// it failed, else 204 once after has recorded the change.
func noContent(w http.ResponseWriter, r *http.Request, err error, after func(*http.Request)) error {
	if err != nil {
		return err
	}
	after(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// createdEmpty answers an assignment with err, what the directory said:
// err if it failed, else 201 without a body once after has recorded the
// change.
func createdEmpty(w http.ResponseWriter, r *http.Request, after func(*http.Request), err error) error {
	if err != nil {
		return err
	}
	after(r)
	w.WriteHeader(http.StatusCreated)
	return nil
}

// created records a creation and answers 201 with out.
func (s *server) created(w http.ResponseWriter, r *http.Request, out any) error {
	return s.createdWith(w, r, http.StatusCreated, out)
}

// createdWith records a creation and answers status with out.
func (s *server) createdWith(w http.ResponseWriter, r *http.Request, status int, out any) error {
	s.changedCreating(r, createdID(out))
	httpjson.Write(w, status, out)
	return nil
}

// updated answers a change with err, what the directory said: err if it
// failed, else 200 with out, once after has recorded the change if it
// changed anything.
func updated(w http.ResponseWriter, r *http.Request, after func(*http.Request), out any, changed bool, err error) error {
	if err != nil {
		return err
	}
	if changed {
		after(r)
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

// reply returns what answers a read: its error, or 200 with the JSON one
// makes of what was read.
func reply[T, J any](w http.ResponseWriter, one func(T) J) func(T, error) error {
	return func(v T, err error) error {
		if err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, one(v))
		return nil
	}
}

// writeAll answers status with every item list gives for id, unsearched.
func writeAll[T, J any](w http.ResponseWriter, r *http.Request, status int, one func(T) J,
	list func(context.Context, string, store.Search, store.Page) ([]T, int, error), id string) error {
	items, _, err := list(r.Context(), id, store.Search{}, store.Page{})
	if err != nil {
		return err
	}
	httpjson.Write(w, status, each(items, one))
	return nil
}

// writePage answers one page of a list: the page the query asks for (every
// row when the route's pagination is optional and the query asks for
// none), the items list gives for it, each turned into JSON by one and,
// when paged, their total in a Total-Number header and Logto's Link
// header (Logto sends neither on an unpaginated answer). list also checks
// the rest of the request, after the page.
func writePage[T, J any](w http.ResponseWriter, r *http.Request, one func(T) J, list func(store.Page) ([]T, int, error)) error {
	page, paged, err := pageOf(r, queryRule(r).optional)
	if err != nil {
		return err
	}
	items, total, err := list(page)
	if err != nil {
		return err
	}
	if paged {
		w.Header().Set("Total-Number", strconv.Itoa(total))
		for _, l := range pageLinks(r, page, total) {
			w.Header().Add("Link", l)
		}
	}
	httpjson.Write(w, http.StatusOK, each(items, one))
	return nil
}

// each turns every item into its JSON with one; never null, so that an
// empty list is [].
func each[T, J any](items []T, one func(T) J) []J {
	out := make([]J, len(items))
	for i, it := range items {
		out[i] = one(it)
	}
	return out
}

func ms(t time.Time) int64 { return t.UnixMilli() }

// createdID is the "id" of a created object's JSON, for the audit log.
func createdID(out any) string {
	b, err := json.Marshal(out)
	if err != nil {
		return ""
	}
	var v struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(b, &v)
	return v.ID
}
