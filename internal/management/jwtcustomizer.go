package management

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/claims"
	"github.com/monban/monban/internal/hooks"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// ScriptRunner compiles and runs custom JWT claims scripts (a
// *claims.Runner).
type ScriptRunner interface {
	Compile(script string) error
	Run(ctx context.Context, kind, script string, in claims.Input) (claims.Result, error)
}

// Logto's keys for the two token types in the list answer.
var customizerKeys = map[string]string{
	store.TokenTypeAccessToken:       "jwt.accessToken",
	store.TokenTypeClientCredentials: "jwt.clientCredentials",
}

type customizerOut struct {
	Script               string            `json:"script"`
	EnvironmentVariables map[string]string `json:"environmentVariables"`
	ContextSample        json.RawMessage   `json:"contextSample,omitempty"`
	TokenSample          json.RawMessage   `json:"tokenSample,omitempty"`
	BlockIssuanceOnError bool              `json:"blockIssuanceOnError"`
	CreatedAt            int64             `json:"createdAt"`
	UpdatedAt            int64             `json:"updatedAt"`
}

func customizerJSON(c store.JWTCustomizer) customizerOut {
	env := c.EnvironmentVariables
	if env == nil {
		env = map[string]string{}
	}
	return customizerOut{
		Script: c.Script, EnvironmentVariables: env,
		ContextSample: c.ContextSample, TokenSample: c.TokenSample,
		BlockIssuanceOnError: c.BlockIssuanceOnError,
		CreatedAt:            ms(c.CreatedAt), UpdatedAt: ms(c.UpdatedAt),
	}
}

// customizerIn is the body of PUT and PATCH. Pointers tell "absent" from
// "empty" for PATCH.
type customizerIn struct {
	Script               *string            `json:"script"`
	EnvironmentVariables *map[string]string `json:"environmentVariables"`
	ContextSample        json.RawMessage    `json:"contextSample"`
	TokenSample          json.RawMessage    `json:"tokenSample"`
	BlockIssuanceOnError *bool              `json:"blockIssuanceOnError"`
}

func tokenTypeOf(r *http.Request) (string, error) {
	tt := r.PathValue("tokenType")
	if _, ok := customizerKeys[tt]; !ok {
		return "", notFound("token type must be access-token or client-credentials")
	}
	return tt, nil
}

// checkScript rejects a script that does not compile, naming where, and an
// Auth0 Action that has no function for tokenType's trigger.
func (s *server) checkScript(script, tokenType string) error {
	if strings.TrimSpace(script) == "" {
		return invalid("script must not be empty")
	}
	if s.Scripts == nil {
		return &apiError{http.StatusNotImplemented, "jwt_customizer.unavailable", "custom JWT claims are not enabled"}
	}
	err := s.Scripts.Compile(script)
	var se *claims.SyntaxError
	switch {
	case err == nil:
		if errors.As(hooks.CheckAction(script, tokenType), &se) {
			return &scriptSyntaxError{se}
		}
		return nil
	case errors.As(err, &se):
		return &scriptSyntaxError{se}
	default:
		// Only the sandbox failing (not the script) gets here: a 500.
		return err
	}
}

// scriptSyntaxError answers 400 with the position of the error.
type scriptSyntaxError struct{ *claims.SyntaxError }

func checkEnv(env map[string]string) error {
	if err := hooks.CheckEnvironment(env); err != nil {
		return invalid(err.Error())
	}
	return nil
}

// checkSample accepts a JSON object (or null, meaning none).
func checkSample(field string, raw json.RawMessage) (json.RawMessage, error) {
	t := strings.TrimSpace(string(raw))
	if t == "" || t == "null" {
		return nil, nil
	}
	if t[0] != '{' {
		return nil, invalid(field + " must be a JSON object")
	}
	return json.RawMessage(t), nil
}

func (s *server) listCustomizers(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Store.ListJWTCustomizers(r.Context())
	if err != nil {
		return err
	}
	type entry struct {
		Key   string        `json:"key"`
		Value customizerOut `json:"value"`
	}
	out := make([]entry, 0, len(list))
	for _, c := range list {
		out = append(out, entry{Key: customizerKeys[c.TokenType], Value: customizerJSON(c)})
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

func (s *server) getCustomizer(w http.ResponseWriter, r *http.Request) error {
	tt, err := tokenTypeOf(r)
	if err != nil {
		return err
	}
	c, err := s.Store.GetJWTCustomizer(r.Context(), tt)
	if err != nil {
		return noScript(err, tt)
	}
	httpjson.Write(w, http.StatusOK, customizerJSON(c))
	return nil
}

// noScript answers a read of the script of tt that failed with err: a
// missing one is 404 entity.not_exists_with_id, as Logto answers.
func noScript(err error, tt string) error {
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{http.StatusNotFound, "entity.not_exists_with_id", "no script is saved for " + tt}
	}
	return err
}

// putCustomizer creates (201) or replaces (200) the script of a token type.
func (s *server) putCustomizer(w http.ResponseWriter, r *http.Request) error {
	return s.saveCustomizer(w, r, false)
}

// patchCustomizer changes some fields of a saved script.
func (s *server) patchCustomizer(w http.ResponseWriter, r *http.Request) error {
	return s.saveCustomizer(w, r, true)
}

func (s *server) saveCustomizer(w http.ResponseWriter, r *http.Request, patch bool) error {
	tt, err := tokenTypeOf(r)
	if err != nil {
		return err
	}
	var in customizerIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	now := s.Now()
	c := store.JWTCustomizer{TokenType: tt, CreatedAt: now}
	if patch {
		if c, err = s.Store.GetJWTCustomizer(r.Context(), tt); err != nil {
			return noScript(err, tt)
		}
	} else if in.Script == nil {
		return invalid("script is required")
	}
	if in.Script != nil {
		if err := s.checkScript(*in.Script, tt); err != nil {
			return err
		}
		c.Script = *in.Script
	}
	if in.EnvironmentVariables != nil {
		if err := checkEnv(*in.EnvironmentVariables); err != nil {
			return err
		}
		c.EnvironmentVariables = *in.EnvironmentVariables
	} else if !patch {
		c.EnvironmentVariables = nil
	}
	if in.ContextSample != nil || !patch {
		if c.ContextSample, err = checkSample("contextSample", in.ContextSample); err != nil {
			return err
		}
	}
	if in.TokenSample != nil || !patch {
		if c.TokenSample, err = checkSample("tokenSample", in.TokenSample); err != nil {
			return err
		}
	}
	if in.BlockIssuanceOnError != nil {
		c.BlockIssuanceOnError = *in.BlockIssuanceOnError
	} else if !patch {
		c.BlockIssuanceOnError = false
	}
	c.UpdatedAt = now
	created, err := s.Store.PutJWTCustomizer(r.Context(), c)
	if err != nil {
		return err
	}
	s.changed(r)
	saved, err := s.Store.GetJWTCustomizer(r.Context(), tt)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpjson.Write(w, status, customizerJSON(saved))
	return nil
}

func (s *server) deleteCustomizer(w http.ResponseWriter, r *http.Request) error {
	tt, err := tokenTypeOf(r)
	if err != nil {
		return err
	}
	return noContent(w, r, orNotFound(s.Store.DeleteJWTCustomizer(r.Context(), tt), "no script is saved for "+tt), s.changed)
}

type testRunIn struct {
	TokenType            string            `json:"tokenType"`
	Script               string            `json:"script"`
	EnvironmentVariables map[string]string `json:"environmentVariables"`
	Token                json.RawMessage   `json:"token"`
	Context              json.RawMessage   `json:"context"`
}

// detailsFlag reads the test run's opt-in query flag, details: absent or
// "false" answers the claims alone, as Logto does; "true" answers
// testRunOut. Any other value, or any other parameter, is refused.
func detailsFlag(r *http.Request) (bool, error) {
	q := r.URL.Query()
	for name := range q {
		if name != "details" {
			return false, invalid(fmt.Sprintf("query parameter %q is not supported", name))
		}
	}
	switch v := q["details"]; {
	case len(v) == 0:
		return false, nil
	case len(v) == 1 && v[0] == "true":
		return true, nil
	case len(v) == 1 && v[0] == "false":
		return false, nil
	}
	return false, invalid(`query parameter "details" must be true or false`)
}

// testRunOut is what a test run answers with ?details=true: the claims the
// script produced and what helps to debug it.
type testRunOut struct {
	Claims map[string]any `json:"claims"`
	// IDTokenClaims are the claims an Auth0 Action set on the ID token.
	IDTokenClaims map[string]any `json:"idTokenClaims,omitempty"`
	DroppedClaims []string       `json:"droppedClaims"`
	Logs          []string       `json:"logs"`
	DurationMs    float64        `json:"durationMs"`
}

// testRunError is the body of a failed test run: 403 for a denial, 422 for
// anything else, saying what failed and where.
type testRunError struct {
	Code       string   `json:"code"`
	Message    string   `json:"message"`
	Kind       string   `json:"kind"`
	Line       int      `json:"line,omitempty"`
	Column     int      `json:"column,omitempty"`
	Logs       []string `json:"logs"`
	DurationMs float64  `json:"durationMs"`
}

// testCustomizer runs a script on mock data without saving anything.
func (s *server) testCustomizer(w http.ResponseWriter, r *http.Request) error {
	details, err := detailsFlag(r)
	if err != nil {
		return err
	}
	var in testRunIn
	if err := decode(w, r, &in); err != nil {
		return err
	}
	if _, ok := customizerKeys[in.TokenType]; !ok {
		return invalid("tokenType must be access-token or client-credentials")
	}
	if strings.TrimSpace(in.Script) == "" {
		return invalid("script must not be empty")
	}
	if err := checkEnv(in.EnvironmentVariables); err != nil {
		return err
	}
	token, err := checkSample("token", in.Token)
	if err != nil {
		return err
	}
	action := claims.IsAction(in.Script)
	if token == nil && !action {
		return invalid("token is required: the token payload to run the script on")
	}
	ctxSample, err := checkSample("context", in.Context)
	if err != nil {
		return err
	}
	if s.Scripts == nil {
		return &apiError{http.StatusNotImplemented, "jwt_customizer.unavailable", "custom JWT claims are not enabled"}
	}
	input := claims.Input{Token: token, EnvironmentVariables: in.EnvironmentVariables, Test: true}
	if ctxSample != nil {
		input.Context = ctxSample
	}
	if action {
		// An Auth0 Action: context is its event (a sample one when not
		// given), and the token is not seen.
		input.Token, input.Trigger = nil, hooks.ActionTrigger(in.TokenType)
		if ctxSample == nil {
			input.Context = hooks.SampleEvent(in.TokenType)
		}
	}
	// A separate kind, so test runs neither evict the saved script's VMs
	// nor count as issuance outcomes.
	res, runErr := s.Scripts.Run(r.Context(), "test:"+in.TokenType, in.Script, input)
	logs := res.Logs
	if logs == nil {
		logs = []string{}
	}
	durationMs := float64(res.Duration.Microseconds()) / 1000
	if runErr == nil {
		dropped := res.Dropped
		if dropped == nil {
			dropped = []string{}
		}
		if !details {
			out := res.Claims
			if out == nil {
				out = map[string]any{}
			}
			httpjson.Write(w, http.StatusOK, out)
			return nil
		}
		out := testRunOut{Claims: res.Claims, DroppedClaims: dropped, Logs: logs, DurationMs: durationMs}
		if action {
			out.IDTokenClaims = res.IDClaims
		}
		httpjson.Write(w, http.StatusOK, out)
		return nil
	}
	out := testRunError{Code: "jwt_customizer.general", Message: runErr.Error(), Kind: claims.Outcome(runErr), Logs: logs, DurationMs: durationMs}
	var denied *claims.DeniedError
	var syntax *claims.SyntaxError
	var thrown *claims.ScriptError
	status := http.StatusUnprocessableEntity
	switch {
	case errors.As(runErr, &denied):
		status, out.Message = http.StatusForbidden, denied.Message
	case errors.As(runErr, &syntax):
		out.Line, out.Column = syntax.Line, syntax.Column
	case errors.As(runErr, &thrown):
		out.Line, out.Column = thrown.Line, thrown.Column
	}
	httpjson.Write(w, status, out)
	return nil
}
