package declare

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/directory"
)

// Remote is the Target of a running server, through Logto's Management
// API at {Endpoint}/api. Client sends the Management API token (an
// m2m.TokenSource's client).
type Remote struct {
	Endpoint string // the server's base URL, without /api
	// Indicator is the Management API resource's indicator (the built-in
	// resource a document may not declare).
	Indicator string
	// BuiltInApps are the ids of the applications the server keeps itself.
	BuiltInApps []string
	Client      *http.Client
}

var _ Target = (*Remote)(nil)

// maxAnswerBytes bounds an answer read.
const maxAnswerBytes = 16 << 20

// RemoteError is a refusal of the Management API: its status and Logto's
// code and message.
type RemoteError struct {
	Method, Path string
	Status       int
	Code         string
	Message      string
}

func (e *RemoteError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("%s %s: HTTP %d", e.Method, e.Path, e.Status)
	}
	return fmt.Sprintf("%s %s: HTTP %d %s: %s", e.Method, e.Path, e.Status, e.Code, e.Message)
}

// call sends one request with a JSON body (if in is not nil) and decodes a
// JSON answer into out (if not nil). It returns the answer's headers.
func (r *Remote) call(ctx context.Context, method, path string, in, out any) (http.Header, error) {
	var payload []byte
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		payload = b
	}
	var (
		res  *http.Response
		data []byte
	)
	// A server over its Management API rate limit answers 429 with
	// Retry-After: wait as told (a bounded number of times) rather than
	// stop an apply half way.
	for attempt := 0; ; attempt++ {
		var err error
		res, data, err = r.send(ctx, method, path, payload)
		if err != nil {
			return nil, err
		}
		wait, limited := retryAfter(res)
		if !limited || attempt == maxRateLimitRetries {
			break
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
	p, _, _ := strings.Cut(path, "?")
	if res.StatusCode < 200 || res.StatusCode > 299 {
		e := &RemoteError{Method: method, Path: p, Status: res.StatusCode}
		var logto struct{ Code, Message string }
		if json.Unmarshal(data, &logto) == nil {
			e.Code, e.Message = logto.Code, logto.Message
		}
		return nil, e
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return nil, fmt.Errorf("%s %s: the answer is not the JSON expected: %w", method, p, err)
		}
	}
	return res.Header, nil
}

// maxRateLimitRetries bounds the waits for a rate-limited server: a
// request still refused after them fails the apply.
const maxRateLimitRetries = 20

// send makes one request and reads its answer.
func (r *Remote) send(ctx context.Context, method, path string, payload []byte) (*http.Response, []byte, error) {
	var body io.Reader
	if payload != nil {
		body = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(r.Endpoint, "/")+path, body)
	if err != nil {
		return nil, nil, err
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	res, err := r.Client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, maxAnswerBytes))
	return res, data, err
}

// retryAfter reports whether res is a rate limit refusal and how long it
// asks to wait (Retry-After in seconds, 1 to 60; 1 s when absent or
// malformed).
func retryAfter(res *http.Response) (time.Duration, bool) {
	if res.StatusCode != http.StatusTooManyRequests {
		return 0, false
	}
	secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		secs = 1
	}
	return time.Duration(min(secs, 60)) * time.Second, true
}

// list reads every page of a list route.
func listAll[T any](ctx context.Context, r *Remote, path string) ([]T, error) {
	const size = 100
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	var all []T
	for page := 1; ; page++ {
		var items []T
		h, err := r.call(ctx, http.MethodGet, fmt.Sprintf("%s%spage=%d&page_size=%d", path, sep, page, size), nil, &items)
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		total, err := strconv.Atoi(h.Get("Total-Number"))
		if len(items) < size || (err == nil && len(all) >= total) {
			return all, nil
		}
	}
}

func esc(id string) string { return url.PathEscape(id) }

type remoteResource struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Indicator      string `json:"indicator"`
	IsDefault      bool   `json:"isDefault"`
	IsBuiltIn      bool   `json:"isBuiltIn"`
	AccessTokenTTL int    `json:"accessTokenTtl"`
	Scopes         []struct {
		ID          string `json:"id"`
		ResourceID  string `json:"resourceId"`
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"scopes"`
}

type remoteApplication struct {
	ID                 string `json:"id"`
	Name               string `json:"name"`
	Description        string `json:"description"`
	Type               string `json:"type"`
	OIDCClientMetadata struct {
		RedirectURIs           []string `json:"redirectUris"`
		PostLogoutRedirectURIs []string `json:"postLogoutRedirectUris"`
	} `json:"oidcClientMetadata"`
	CustomClientMetadata struct {
		CORSAllowedOrigins    []string `json:"corsAllowedOrigins"`
		RotateRefreshToken    bool     `json:"rotateRefreshToken"`
		RefreshTokenTTLInDays int      `json:"refreshTokenTtlInDays"`
		AllowPasswordGrant    bool     `json:"allowPasswordGrant"`
		AllowTokenExchange    bool     `json:"allowTokenExchange"`
		RequirePAR            bool     `json:"requirePushedAuthorizationRequests"`
		RequireDPoP           bool     `json:"requireDpop"`
		IsDeviceFlow          bool     `json:"isDeviceFlow"`
	} `json:"customClientMetadata"`
	CustomData map[string]any `json:"customData"`
}

type remoteRole struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Type        string `json:"type"`
	IsDefault   bool   `json:"isDefault"`
}

type remoteCustomizer struct {
	Key   string `json:"key"`
	Value struct {
		Script               string            `json:"script"`
		EnvironmentVariables map[string]string `json:"environmentVariables"`
		BlockIssuanceOnError bool              `json:"blockIssuanceOnError"`
	} `json:"value"`
}

var customizerTokenTypes = map[string]string{"jwt.accessToken": "access-token", "jwt.clientCredentials": "client-credentials"}

// Read implements Target.
func (r *Remote) Read(ctx context.Context) (*State, error) {
	resources, err := listAll[remoteResource](ctx, r, "/api/resources?includeScopes=true")
	if err != nil {
		return nil, err
	}
	st := &State{}
	type scopeRef struct{ indicator, name string }
	scopes := map[string]scopeRef{}
	for _, res := range resources {
		sr := StateResource{ID: res.ID, BuiltIn: res.IsBuiltIn || res.Indicator == r.Indicator, ManagementAPI: res.Indicator == r.Indicator, ScopeIDs: map[string]string{},
			Resource: Resource{Name: res.Name, Indicator: res.Indicator, AccessTokenTTL: ptr(res.AccessTokenTTL), IsDefault: ptr(res.IsDefault)}}
		for _, s := range res.Scopes {
			sr.Scopes = append(sr.Scopes, Scope{Name: s.Name, Description: s.Description})
			sr.ScopeIDs[s.Name] = s.ID
			scopes[s.ID] = scopeRef{res.Indicator, s.Name}
		}
		st.Resources = append(st.Resources, sr)
	}
	apps, err := listAll[remoteApplication](ctx, r, "/api/applications")
	if err != nil {
		return nil, err
	}
	for _, a := range apps {
		app := Application{ID: a.ID, Name: a.Name, Type: a.Type, Description: a.Description,
			RedirectURIs: a.OIDCClientMetadata.RedirectURIs, PostLogoutRedirectURIs: a.OIDCClientMetadata.PostLogoutRedirectURIs,
			CORSAllowedOrigins: a.CustomClientMetadata.CORSAllowedOrigins, RotateRefreshToken: ptr(a.CustomClientMetadata.RotateRefreshToken),
			RefreshTokenTTLDays: ptr(a.CustomClientMetadata.RefreshTokenTTLInDays), AllowPasswordGrant: ptr(a.CustomClientMetadata.AllowPasswordGrant),
			AllowTokenExchange: ifTrue(a.CustomClientMetadata.AllowTokenExchange), RequirePAR: ifTrue(a.CustomClientMetadata.RequirePAR),
			RequireDPoP: ifTrue(a.CustomClientMetadata.RequireDPoP), IsDeviceFlow: ifTrue(a.CustomClientMetadata.IsDeviceFlow),
			CustomData: a.CustomData}
		if len(app.CustomData) == 0 {
			app.CustomData = nil
		}
		st.Applications = append(st.Applications, StateApplication{BuiltIn: slices.Contains(r.BuiltInApps, a.ID), Application: app})
	}
	roles, err := listAll[remoteRole](ctx, r, "/api/roles")
	if err != nil {
		return nil, err
	}
	for _, role := range roles {
		sr := StateRole{ID: role.ID, Role: Role{Name: role.Name, Description: role.Description, Type: role.Type, IsDefault: ptr(role.IsDefault)}}
		granted, err := listAll[struct{ ID string }](ctx, r, "/api/roles/"+esc(role.ID)+"/scopes")
		if err != nil {
			return nil, err
		}
		for _, g := range granted {
			if s, ok := scopes[g.ID]; ok {
				sr.Permissions = append(sr.Permissions, Permission{Resource: s.indicator, Scopes: []string{s.name}})
			}
		}
		sr.Permissions = normalPermissions(sr.Permissions)
		if role.Type == "MachineToMachine" {
			holders, err := listAll[struct{ ID string }](ctx, r, "/api/roles/"+esc(role.ID)+"/applications")
			if err != nil {
				return nil, err
			}
			for _, h := range holders {
				sr.ApplicationIDs = append(sr.ApplicationIDs, h.ID)
			}
		}
		st.Roles = append(st.Roles, sr)
	}
	var customizers []remoteCustomizer
	if _, err := r.call(ctx, http.MethodGet, "/api/configs/jwt-customizer", nil, &customizers); err != nil {
		return nil, err
	}
	for _, c := range customizers {
		tt, ok := customizerTokenTypes[c.Key]
		if !ok {
			continue
		}
		env := c.Value.EnvironmentVariables
		if len(env) == 0 {
			env = nil
		}
		st.CustomJWT = append(st.CustomJWT, CustomJWT{TokenType: tt, Script: c.Value.Script, EnvironmentVariables: env,
			BlockIssuanceOnError: ptr(c.Value.BlockIssuanceOnError)})
	}
	if st.Webhooks, err = r.readWebhooks(ctx); err != nil {
		return nil, err
	}
	if st.SignInExperience, err = r.readExperience(ctx); err != nil {
		return nil, err
	}
	if st.Connectors, st.EmailTemplates, err = r.readConnectors(ctx); err != nil {
		return nil, err
	}
	return st, nil
}

// Checker implements Target: the directory's checks, run here before
// anything is sent.
func (r *Remote) Checker() Checker { return directory.NewChecker(r.Indicator) }

// CheckScript implements Target: the server compiles the script when it
// is saved.
func (r *Remote) CheckScript(string) error { return nil }

type idOnly struct {
	ID string `json:"id"`
}

// CreateResource implements Target.
func (r *Remote) CreateResource(ctx context.Context, res Resource) (string, error) {
	var out idOnly
	_, err := r.call(ctx, http.MethodPost, "/api/resources", map[string]any{"name": res.Name, "indicator": res.Indicator, "accessTokenTtl": res.AccessTokenTTL}, &out)
	if err == nil && res.IsDefault != nil && *res.IsDefault {
		_, err = r.call(ctx, http.MethodPatch, "/api/resources/"+esc(out.ID)+"/is-default", map[string]any{"isDefault": true}, nil)
	}
	return out.ID, err
}

// UpdateResource implements Target.
func (r *Remote) UpdateResource(ctx context.Context, id string, res Resource) error {
	var out remoteResource
	_, err := r.call(ctx, http.MethodPatch, "/api/resources/"+esc(id), map[string]any{"name": res.Name, "accessTokenTtl": res.AccessTokenTTL}, &out)
	if err == nil && res.IsDefault != nil && *res.IsDefault != out.IsDefault {
		_, err = r.call(ctx, http.MethodPatch, "/api/resources/"+esc(id)+"/is-default", map[string]any{"isDefault": *res.IsDefault}, nil)
	}
	return err
}

// DeleteResource implements Target.
func (r *Remote) DeleteResource(ctx context.Context, id string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/resources/"+esc(id), nil, nil)
	return err
}

// CreateScope implements Target.
func (r *Remote) CreateScope(ctx context.Context, resourceID string, s Scope) (string, error) {
	var out idOnly
	_, err := r.call(ctx, http.MethodPost, "/api/resources/"+esc(resourceID)+"/scopes", map[string]any{"name": s.Name, "description": s.Description}, &out)
	return out.ID, err
}

// UpdateScope implements Target.
func (r *Remote) UpdateScope(ctx context.Context, resourceID, scopeID string, s Scope) error {
	_, err := r.call(ctx, http.MethodPatch, "/api/resources/"+esc(resourceID)+"/scopes/"+esc(scopeID), map[string]any{"name": s.Name, "description": s.Description}, nil)
	return err
}

// DeleteScope implements Target.
func (r *Remote) DeleteScope(ctx context.Context, resourceID, scopeID string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/resources/"+esc(resourceID)+"/scopes/"+esc(scopeID), nil, nil)
	return err
}

// applicationBody is Logto's application body for a.
func applicationBody(a Application, create bool) map[string]any {
	body := map[string]any{
		"name": a.Name, "description": a.Description,
		"oidcClientMetadata": map[string]any{"redirectUris": list(a.RedirectURIs), "postLogoutRedirectUris": list(a.PostLogoutRedirectURIs)},
		"customClientMetadata": map[string]any{"corsAllowedOrigins": list(a.CORSAllowedOrigins), "rotateRefreshToken": a.RotateRefreshToken,
			"refreshTokenTtlInDays": a.RefreshTokenTTLDays, "allowPasswordGrant": a.AllowPasswordGrant},
	}
	custom := body["customClientMetadata"].(map[string]any)
	custom["allowTokenExchange"], custom["requirePushedAuthorizationRequests"] = or(a.AllowTokenExchange, false), or(a.RequirePAR, false)
	custom["requireDpop"], custom["isDeviceFlow"] = or(a.RequireDPoP, false), or(a.IsDeviceFlow, false)
	if create {
		body["type"] = a.Type
	}
	if len(a.CustomData) > 0 {
		body["customData"] = a.CustomData
	}
	return body
}

// CreateApplication implements Target. The secret of a new confidential
// application is in the answer, and dropped unread.
func (r *Remote) CreateApplication(ctx context.Context, a Application) (string, error) {
	var out idOnly
	_, err := r.call(ctx, http.MethodPost, "/api/applications", applicationBody(a, true), &out)
	return out.ID, err
}

// UpdateApplication implements Target.
func (r *Remote) UpdateApplication(ctx context.Context, id string, a Application) error {
	_, err := r.call(ctx, http.MethodPatch, "/api/applications/"+esc(id), applicationBody(a, false), nil)
	return err
}

// DeleteApplication implements Target.
func (r *Remote) DeleteApplication(ctx context.Context, id string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/applications/"+esc(id), nil, nil)
	return err
}

// CreateRole implements Target.
func (r *Remote) CreateRole(ctx context.Context, role Role) (string, error) {
	var out idOnly
	t := role.Type
	if t == "" {
		t = defaultRoleType
	}
	_, err := r.call(ctx, http.MethodPost, "/api/roles", map[string]any{"name": role.Name, "description": role.Description, "type": t, "isDefault": role.IsDefault != nil && *role.IsDefault}, &out)
	return out.ID, err
}

// UpdateRole implements Target.
func (r *Remote) UpdateRole(ctx context.Context, id string, role Role) error {
	_, err := r.call(ctx, http.MethodPatch, "/api/roles/"+esc(id), map[string]any{"name": role.Name, "description": role.Description, "isDefault": role.IsDefault != nil && *role.IsDefault}, nil)
	return err
}

// DeleteRole implements Target.
func (r *Remote) DeleteRole(ctx context.Context, id string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/roles/"+esc(id), nil, nil)
	return err
}

// AddRoleScopes implements Target.
func (r *Remote) AddRoleScopes(ctx context.Context, roleID string, scopeIDs []string) error {
	_, err := r.call(ctx, http.MethodPost, "/api/roles/"+esc(roleID)+"/scopes", map[string]any{"scopeIds": scopeIDs}, nil)
	return err
}

// RemoveRoleScope implements Target.
func (r *Remote) RemoveRoleScope(ctx context.Context, roleID, scopeID string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/roles/"+esc(roleID)+"/scopes/"+esc(scopeID), nil, nil)
	return err
}

// AddRoleApplications implements Target.
func (r *Remote) AddRoleApplications(ctx context.Context, roleID string, appIDs []string) error {
	_, err := r.call(ctx, http.MethodPost, "/api/roles/"+esc(roleID)+"/applications", map[string]any{"applicationIds": appIDs}, nil)
	return err
}

// RemoveRoleApplication implements Target.
func (r *Remote) RemoveRoleApplication(ctx context.Context, roleID, appID string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/roles/"+esc(roleID)+"/applications/"+esc(appID), nil, nil)
	return err
}

// PutCustomJWT implements Target. PATCH keeps the samples saved for test
// runs; a script not saved yet is created with PUT.
func (r *Remote) PutCustomJWT(ctx context.Context, c CustomJWT) error {
	env := c.EnvironmentVariables
	if env == nil {
		env = map[string]string{}
	}
	body := map[string]any{"script": c.Script, "environmentVariables": env, "blockIssuanceOnError": c.BlockIssuanceOnError != nil && *c.BlockIssuanceOnError}
	path := "/api/configs/jwt-customizer/" + esc(c.TokenType)
	_, err := r.call(ctx, http.MethodPatch, path, body, nil)
	var re *RemoteError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		_, err = r.call(ctx, http.MethodPut, path, body, nil)
	}
	return err
}

// DeleteCustomJWT implements Target.
func (r *Remote) DeleteCustomJWT(ctx context.Context, tokenType string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/configs/jwt-customizer/"+esc(tokenType), nil, nil)
	return err
}
