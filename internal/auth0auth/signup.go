// Package auth0auth is the part of Auth0's Authentication API that is not
// OAuth or OpenID Connect (those endpoints are internal/oidc's, mounted
// with oidc.Auth0Profile): database sign-up at POST /dbconnections/signup,
// passwordless codes at POST /passwordless/start (the rules are
// internal/passwordless's), and the password change of
// /dbconnections/change_password with its page.
// It decodes Auth0's request, calls the directory, and answers in Auth0's
// shapes; the rules of a user are the directory's.
package auth0auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"slices"
	"time"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// MaxBodyBytes bounds a sign-up request's body.
const MaxBodyBytes = 64 << 10

// SignUpPath is where sign-up is mounted.
const SignUpPath = "/dbconnections/signup"

// Config is what the handler is built from.
type Config struct {
	Directory *directory.Directory
	Catalog   *catalog.Cache
	// Connections are the database connection names accepted (all name
	// Monban's one user directory).
	Connections []string
	// SignUp opens sign-up; false refuses every request, as Auth0 does
	// when "Disable Sign Ups" is set on the connection.
	SignUp bool
	// SignUpAllowed, when set, decides instead of SignUp: the sign-in
	// experience's rule (experience.Settings.SignUpAllowed). An error
	// refuses the sign-up.
	SignUpAllowed func(ctx context.Context) (bool, error)
	// Interactions is told about every sign-up of a known client,
	// succeeded or refused; nil: none. It must not block.
	Interactions func(context.Context, audit.Interaction)
	Logger       *slog.Logger

	// Passwordless sends the codes of POST /passwordless/start; nil: the
	// route is not mounted. Hasher checks the secrets of confidential
	// clients there.
	Passwordless PasswordlessSender
	Hasher       *clientauth.Hasher
	// ClientIP returns the address a request came from (behind trusted
	// proxies, the forwarded one), for the codes' throttle; nil: the peer.
	ClientIP func(*http.Request) string
	// Now is the clock; nil: time.Now.
	Now func() time.Time

	// Tickets sends the reset links of /dbconnections/change_password;
	// nil: it is not mounted. Their page is a screen of the hosted pages
	// (internal/signin).
	Tickets Resetter
}

// Handler serves Auth0's database sign-up.
type Handler struct{ cfg Config }

// New returns a Handler.
func New(cfg Config) *Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Handler{cfg: cfg}
}

// Register mounts the handler's routes on mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc("POST "+SignUpPath, h.serveSignUp)
	// SPAs sign users up from the browser (auth0.js): the OAuth
	// endpoints' CORS rule.
	mux.HandleFunc("OPTIONS "+SignUpPath, func(w http.ResponseWriter, r *http.Request) { oidc.Preflight(h.cfg.Catalog.Load(), w, r) })
	mux.HandleFunc(SignUpPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "invalid_request", "method not allowed; use POST")
	})
	if h.cfg.Passwordless != nil {
		mux.HandleFunc("POST "+PasswordlessStartPath, h.serveStart)
		mux.HandleFunc("OPTIONS "+PasswordlessStartPath, func(w http.ResponseWriter, r *http.Request) { oidc.Preflight(h.cfg.Catalog.Load(), w, r) })
		mux.HandleFunc(PasswordlessStartPath, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Allow", "POST")
			(&startError{status: http.StatusMethodNotAllowed, code: "bad.request", desc: "method not allowed; use POST"}).write(w)
		})
	}
	if h.cfg.Tickets != nil {
		h.registerTickets(mux)
	}
}

// registerTickets mounts the password change.
func (h *Handler) registerTickets(mux *http.ServeMux) {
	mux.HandleFunc("POST "+ChangePasswordPath, h.serveChangePassword)
	mux.HandleFunc("OPTIONS "+ChangePasswordPath, func(w http.ResponseWriter, r *http.Request) { oidc.Preflight(h.cfg.Catalog.Load(), w, r) })
	mux.HandleFunc(ChangePasswordPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", "POST")
		writeError(w, http.StatusMethodNotAllowed, "BadRequestError", "invalid_request", "method not allowed; use POST")
	})
}

func (h *Handler) now() time.Time {
	if h.cfg.Now == nil {
		return time.Now()
	}
	return h.cfg.Now()
}

// clientIP is the address r came from.
func (h *Handler) clientIP(r *http.Request) string {
	if h.cfg.ClientIP != nil {
		if ip := h.cfg.ClientIP(r); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// signUpRequest is Auth0's sign-up body. Given name, family name, nickname
// and picture are Auth0's optional root attributes.
type signUpRequest struct {
	ClientID     string          `json:"client_id"`
	Email        string          `json:"email"`
	Password     string          `json:"password"`
	Connection   string          `json:"connection"`
	Username     *string         `json:"username"`
	Name         *string         `json:"name"`
	GivenName    *string         `json:"given_name"`
	FamilyName   *string         `json:"family_name"`
	Nickname     *string         `json:"nickname"`
	Picture      *string         `json:"picture"`
	UserMetadata *map[string]any `json:"user_metadata"`
}

// signUpResponse is Auth0's answer to a sign-up.
type signUpResponse struct {
	ID            string         `json:"_id"`
	Email         string         `json:"email"`
	EmailVerified bool           `json:"email_verified"`
	Username      string         `json:"username,omitempty"`
	Name          string         `json:"name,omitempty"`
	GivenName     string         `json:"given_name,omitempty"`
	FamilyName    string         `json:"family_name,omitempty"`
	Nickname      string         `json:"nickname,omitempty"`
	Picture       string         `json:"picture,omitempty"`
	UserMetadata  map[string]any `json:"user_metadata,omitempty"`
}

// serveSignUp creates a user with a password in the one directory:
// POST /dbconnections/signup with a JSON body (or a form, whose
// user_metadata cannot be given). The user is the one the Logto API, the
// console and the hosted sign-in page see; user_metadata becomes its
// custom data.
func (h *Handler) serveSignUp(w http.ResponseWriter, r *http.Request) {
	oidc.CORS(h.cfg.Catalog.Load(), w, r)
	req, status, msg := readSignUp(w, r)
	if msg != "" {
		writeError(w, status, "BadRequestError", "invalid_request", msg)
		return
	}
	switch {
	case req.ClientID == "":
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: client_id")
		return
	case h.cfg.Catalog.Load().Apps[req.ClientID] == nil:
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", "Unknown client: the client_id names no application")
		return
	}
	// From here on the sign-up is the client's, and is logged.
	refuse := func(status int, name, code, description string) {
		h.report(r, req, "", code)
		writeError(w, status, name, code, description)
	}
	switch {
	case req.Connection == "":
		refuse(http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: connection")
		return
	case !slices.Contains(h.cfg.Connections, req.Connection):
		refuse(http.StatusBadRequest, "BadRequestError", "invalid_connection", "Unknown connection: the database connection is "+joinNames(h.cfg.Connections))
		return
	case !h.signUpOpen(r.Context()):
		refuse(http.StatusBadRequest, "BadRequestError", "operation_not_allowed", "public signup is disabled")
		return
	case req.Email == "":
		refuse(http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: email")
		return
	case req.Password == "":
		refuse(http.StatusBadRequest, "BadRequestError", "invalid_request", "Missing required parameter: password")
		return
	}
	who := password.UserInfo{Email: req.Email, Username: deref(req.Username), Name: deref(req.Name)}
	if err := h.cfg.Directory.CheckNewPassword(r.Context(), req.Password, who); err != nil {
		h.failed(w, r, req, err)
		return
	}
	// Nobody has checked that the person owns the address: the directory
	// keeps it unverified.
	in := directory.NewUser{Password: &req.Password, UserFields: directory.UserFields{By: directory.BySignUp}}
	in.PrimaryEmail, in.Username, in.Name, in.Avatar = &req.Email, req.Username, req.Name, req.Picture
	if req.UserMetadata != nil {
		in.CustomData = req.UserMetadata
	}
	if req.GivenName != nil || req.FamilyName != nil || req.Nickname != nil {
		p := store.UserProfile{}
		p.GivenName, p.FamilyName, p.Nickname = deref(req.GivenName), deref(req.FamilyName), deref(req.Nickname)
		in.Profile = &p
	}
	// Not cancelled with the request: a half-created user helps no one.
	u, err := h.cfg.Directory.CreateUser(context.WithoutCancel(r.Context()), in)
	if err != nil {
		h.failed(w, r, req, err)
		return
	}
	resp := signUpResponse{ID: u.ID, Email: u.PrimaryEmail, EmailVerified: u.EmailVerified, Username: u.Username, Name: u.Name, Picture: u.Avatar,
		GivenName: u.Profile.GivenName, FamilyName: u.Profile.FamilyName, Nickname: u.Profile.Nickname}
	if len(u.CustomData) > 0 {
		resp.UserMetadata = u.CustomData
	}
	h.cfg.Logger.Info("user signed up", "user_id", u.ID, "client_id", req.ClientID)
	h.report(r, req, u.ID, "")
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// signUpOpen reports whether sign-up is open now.
func (h *Handler) signUpOpen(ctx context.Context) bool {
	if h.cfg.SignUpAllowed == nil {
		return h.cfg.SignUp
	}
	ok, err := h.cfg.SignUpAllowed(ctx)
	if err != nil {
		h.cfg.Logger.Warn("could not read whether sign-up is open; refused", "err", err)
		return false
	}
	return ok
}

// failed answers a sign-up the directory refused, or that failed.
func (h *Handler) failed(w http.ResponseWriter, r *http.Request, req signUpRequest, err error) {
	var de *directory.Error
	switch {
	case errors.As(err, &de) && de.Reason == directory.ReasonPasswordRejected:
		h.report(r, req, "", "invalid_password")
		writePasswordError(w, de.Issues)
	case errors.As(err, &de) && de.Kind == directory.Conflict:
		// Auth0's answer, which does not tell whether the address is
		// taken (no account enumeration).
		h.report(r, req, "", "invalid_signup")
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_signup", "Invalid sign up")
	case errors.As(err, &de):
		h.report(r, req, "", "invalid_request")
		writeError(w, http.StatusBadRequest, "BadRequestError", "invalid_request", de.Message)
	case errors.Is(err, store.ErrUnavailable):
		w.Header().Set("Retry-After", "5")
		writeError(w, http.StatusServiceUnavailable, "ServiceUnavailableError", "temporarily_unavailable", "try again later")
	default:
		h.cfg.Logger.Error("signing a user up failed", "client_id", req.ClientID, "err", err)
		writeError(w, http.StatusInternalServerError, "InternalServerError", "server_error", "could not sign up")
	}
}

// passwordError is Auth0's answer to a password its policy refuses: a
// strength error describes the rules failed; the others say why in words.
type passwordError struct {
	Name        string `json:"name"`
	Message     string `json:"message"`
	Code        string `json:"code"`
	Description any    `json:"description"`
	Policy      string `json:"policy,omitempty"`
	StatusCode  int    `json:"statusCode"`
}

// strengthDescription is Auth0's description of a strength error.
type strengthDescription struct {
	Rules    []auth0shape.PasswordRule `json:"rules"`
	Verified bool                      `json:"verified"`
}

func writePasswordError(w http.ResponseWriter, issues []password.Issue) {
	pr := auth0shape.PasswordRefusalOf(issues)
	body := passwordError{Name: pr.Name, Message: pr.Message, Code: "invalid_password", Description: pr.Message, StatusCode: http.StatusBadRequest}
	if pr.Rules != nil {
		body.Description = strengthDescription{Rules: pr.Rules}
		body.Policy = directory.DescribeIssues(issues)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusBadRequest)
	_ = json.NewEncoder(w).Encode(body)
}

// report tells Config.Interactions about a sign-up: of userID, or refused
// with code failure.
func (h *Handler) report(r *http.Request, req signUpRequest, userID, failure string) {
	if h.cfg.Interactions == nil {
		return
	}
	ev := audit.Interaction{Key: audit.KeyRegister, ClientID: req.ClientID, UserID: userID, Error: failure}
	if slices.Contains(h.cfg.Connections, req.Connection) {
		ev.Connection = req.Connection
	}
	h.cfg.Interactions(context.WithoutCancel(r.Context()), ev)
}

// readSignUp reads the body: JSON (unknown or repeated fields refused) or
// a form. On failure it returns the status and message to answer.
func readSignUp(w http.ResponseWriter, r *http.Request) (signUpRequest, int, string) {
	var req signUpRequest
	mt, body, status, msg := readBody(w, r)
	if msg != "" {
		return req, status, msg
	}
	if mt == "application/x-www-form-urlencoded" {
		return readSignUpForm(r, body)
	}
	if err := httpjson.CheckKeys(body, nil); err != nil {
		return req, http.StatusBadRequest, err.Error()
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		return req, http.StatusBadRequest, "malformed body: a JSON object with client_id, email, password, connection and optionally username, name, given_name, family_name, nickname, picture and user_metadata is expected"
	}
	return req, 0, ""
}

// readBody reads a bounded JSON or form body and returns its media type;
// on failure, the status and message to answer.
func readBody(w http.ResponseWriter, r *http.Request) (string, []byte, int, string) {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (mt != "application/json" && mt != "application/x-www-form-urlencoded") {
		return "", nil, http.StatusBadRequest, "Content-Type must be application/json"
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
			return "", nil, http.StatusRequestEntityTooLarge, "request body too large"
		}
		return "", nil, http.StatusBadRequest, "could not read the request body"
	}
	return mt, body, 0, ""
}

// readSignUpForm reads a form body: the string fields, each once.
func readSignUpForm(r *http.Request, body []byte) (signUpRequest, int, string) {
	var req signUpRequest
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err := r.ParseForm(); err != nil {
		return req, http.StatusBadRequest, "malformed form body"
	}
	fields := map[string]*string{"client_id": &req.ClientID, "email": &req.Email, "password": &req.Password, "connection": &req.Connection}
	optional := map[string]**string{"username": &req.Username, "name": &req.Name, "given_name": &req.GivenName,
		"family_name": &req.FamilyName, "nickname": &req.Nickname, "picture": &req.Picture}
	for k, vals := range r.PostForm {
		if len(vals) > 1 {
			return req, http.StatusBadRequest, "parameter " + k + " is repeated"
		}
		switch {
		case fields[k] != nil:
			*fields[k] = vals[0]
		case optional[k] != nil:
			v := vals[0]
			*optional[k] = &v
		default:
			return req, http.StatusBadRequest, "unknown parameter in a form body (user_metadata needs a JSON body)"
		}
	}
	return req, 0, ""
}

// authError is Auth0's error body of the database endpoints, with the
// OAuth fields besides, for clients that read those.
type authError struct {
	Name             string `json:"name"`
	Code             string `json:"code"`
	Description      string `json:"description"`
	StatusCode       int    `json:"statusCode"`
	Error            string `json:"error"`
	ErrorDescription string `json:"error_description"`
}

func writeError(w http.ResponseWriter, status int, name, code, desc string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(authError{Name: name, Code: code, Description: desc, StatusCode: status, Error: code, ErrorDescription: desc})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func joinNames(names []string) string {
	b, _ := json.Marshal(names)
	return string(b)
}
