package auth0auth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/catalog"
	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/passwordless"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// PasswordlessStartPath is where Auth0's passwordless start is mounted.
const PasswordlessStartPath = "/passwordless/start"

// PasswordlessSender sends passwordless sign-in codes (a
// *passwordless.Service).
type PasswordlessSender interface {
	Send(ctx context.Context, in passwordless.Start) (string, error)
}

// startRequest is Auth0's passwordless start body.
type startRequest struct {
	ClientID     string         `json:"client_id"`
	ClientSecret string         `json:"client_secret"`
	Connection   string         `json:"connection"`
	Email        string         `json:"email"`
	PhoneNumber  string         `json:"phone_number"`
	Send         string         `json:"send"`
	AuthParams   map[string]any `json:"authParams"`
}

// startFields are the body's members, for Auth0's "not allowed" answer.
var startFields = []string{"client_id", "client_secret", "connection", "email", "phone_number", "send", "authParams"}

// authParamKeys are the authParams accepted: Auth0 puts them into the
// link of send=link; a code needs none of them, and they are checked
// (strings, bounded) but change nothing.
var authParamKeys = []string{"scope", "state"}

// maxAuthParam bounds an authParams value.
const maxAuthParam = 1024

// startError is Auth0's error body of /passwordless/start.
type startError struct {
	status     int
	code, desc string
	retryAfter time.Duration
}

func badStart(code, desc string) *startError {
	return &startError{status: http.StatusBadRequest, code: code, desc: desc}
}

func (e *startError) write(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if e.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((e.retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.code, e.desc})
}

// serveStart sends a one-time sign-in code by e-mail or SMS: Auth0's POST
// /passwordless/start with send=code (a JSON body, or a form without
// authParams). The answer is the same whether or not a user has the
// address.
func (h *Handler) serveStart(w http.ResponseWriter, r *http.Request) {
	oidc.CORS(h.cfg.Catalog.Load(), w, r)
	req, serr := readStart(w, r)
	if serr == nil {
		serr = h.startClient(r, req)
	}
	if serr == nil {
		serr = checkStart(req)
	}
	if serr != nil {
		serr.write(w)
		return
	}
	ch, to := verifycode.ChannelEmail, strings.TrimSpace(req.Email)
	if req.Connection == "sms" {
		ch, to = verifycode.ChannelSMS, strings.TrimSpace(req.PhoneNumber)
	}
	_, err := h.cfg.Passwordless.Send(r.Context(), passwordless.Start{ClientID: req.ClientID, Channel: ch, To: to,
		Locale: requestLanguage(r), ClientIP: h.clientIP(r)})
	if serr := h.sendErr(err, ch, req.ClientID); serr != nil {
		serr.write(w)
		return
	}
	resp := map[string]any{"_id": randid.ID()}
	if ch == verifycode.ChannelEmail {
		resp["email"], resp["email_verified"] = to, false
	} else {
		resp["phone_number"], resp["phone_verified"] = to, false
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_ = json.NewEncoder(w).Encode(resp)
}

// startClient authenticates the client as the token endpoint would for
// the passwordless grant: a confidential client by its secret (in the
// body or by HTTP Basic), a public one by client_id; it must be allowed
// the grant.
func (h *Handler) startClient(r *http.Request, req startRequest) *startError {
	if req.ClientID == "" && r.Header.Get("Authorization") == "" {
		return badStart("bad.client_id", "Missing required property: client_id")
	}
	params := url.Values{"client_id": {req.ClientID}}
	if req.ClientSecret != "" {
		params.Set("client_secret", req.ClientSecret)
	}
	creds, err := clientauth.Parse(r, params)
	unauthorized := &startError{status: http.StatusUnauthorized, code: "unauthorized_client", desc: "Client authentication failed"}
	switch {
	case errors.Is(err, clientauth.ErrMalformed), errors.Is(err, clientauth.ErrMultipleMethods):
		return badStart("bad.request", err.Error())
	case err != nil:
		return unauthorized
	}
	snap := h.cfg.Catalog.Load()
	var app *catalog.App
	if creds.Method == clientauth.MethodNone {
		if a := snap.Apps[creds.ClientID]; a != nil && (a.Type == store.AppSPA || a.Type == store.AppNative) {
			app = a
		}
	} else {
		app, _ = clientauth.Authenticate(snap, h.cfg.Hasher, creds, h.now())
	}
	switch {
	case app == nil:
		return unauthorized
	case !app.AllowPasswordlessGrant:
		return &startError{status: http.StatusForbidden, code: "unauthorized_client",
			desc: "Grant type '" + oidc.PasswordlessOTP + "' not allowed for the client."}
	}
	return nil
}

// checkStart checks what is to be sent, and where.
func checkStart(req startRequest) *startError {
	switch req.Connection {
	case "":
		return badStart("bad.connection", "Missing required property: connection")
	case "email", "sms":
	default:
		return badStart("bad.connection", "Connection does not exist")
	}
	switch req.Send {
	case "code":
	case "", "link":
		return badStart("bad.send", "Only send=code is supported: codes are sent, magic links are not")
	default:
		return badStart("bad.send", "send must be code or link")
	}
	want, other := "email", "phone_number"
	if req.Connection == "sms" {
		want, other = other, want
	}
	value := map[string]string{"email": req.Email, "phone_number": req.PhoneNumber}
	switch {
	case strings.TrimSpace(value[want]) == "":
		return badStart("bad."+want, "Missing required property: "+want)
	case value[other] != "":
		return badStart("bad.request", "the following properties are not allowed: "+other)
	}
	for k, v := range req.AuthParams {
		s, ok := v.(string)
		switch {
		case !slices.Contains(authParamKeys, k):
			return badStart("bad.authParams", "authParams may hold "+strings.Join(authParamKeys, " and ")+" only; "+shortName(k)+" is not supported")
		case !ok || len(s) > maxAuthParam:
			return badStart("bad.authParams", "authParams."+k+" must be a string of at most 1024 bytes")
		}
	}
	return nil
}

// sendErr is the answer to a failed send; nil when err is.
func (h *Handler) sendErr(err error, ch verifycode.Channel, clientID string) *startError {
	field := "email"
	if ch == verifycode.ChannelSMS {
		field = "phone_number"
	}
	var te *verifycode.ThrottledError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, verifycode.ErrInvalidTarget):
		return badStart("bad."+field, field+" is not a valid "+map[string]string{"email": "e-mail address", "phone_number": "phone number"}[field])
	case errors.Is(err, verifycode.ErrNoConnector):
		return badStart("bad.connection", "The "+string(ch)+" connection cannot send: no "+string(ch)+" connector is configured")
	case errors.As(err, &te):
		return &startError{status: http.StatusTooManyRequests, code: "too_many_requests", desc: "Too many codes were sent; try again later", retryAfter: te.RetryAfter}
	case errors.Is(err, verifycode.ErrThrottled):
		return &startError{status: http.StatusTooManyRequests, code: "too_many_requests", desc: "Too many codes were sent; try again later", retryAfter: time.Minute}
	case errors.Is(err, store.ErrUnavailable):
		return &startError{status: http.StatusServiceUnavailable, code: "temporarily_unavailable", desc: "try again later", retryAfter: 5 * time.Second}
	}
	h.cfg.Logger.Error("sending a passwordless code failed", "client_id", clientID, "err", err)
	return &startError{status: http.StatusInternalServerError, code: "server_error", desc: "could not send the code"}
}

// readStart reads the body: JSON, whose members must be Auth0's, each
// once, or a form of the string members.
func readStart(w http.ResponseWriter, r *http.Request) (startRequest, *startError) {
	var req startRequest
	mt, body, status, msg := readBody(w, r)
	if msg != "" {
		return req, &startError{status: status, code: "bad.request", desc: msg}
	}
	if mt == "application/x-www-form-urlencoded" {
		return readStartForm(body)
	}
	var members map[string]json.RawMessage
	if err := decodeStrict(body, &members); err != nil {
		return req, badStart("bad.request", "malformed body: a JSON object is expected")
	}
	var unknown []string
	for k := range members {
		if !slices.Contains(startFields, k) {
			unknown = append(unknown, shortName(k))
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return req, badStart("bad.request", "the following properties are not allowed: "+strings.Join(unknown, ", "))
	}
	for k, raw := range members {
		dst := any(startStrings(&req)[k])
		if k == "authParams" {
			dst = &req.AuthParams
		}
		if err := json.Unmarshal(raw, dst); err != nil {
			return req, badStart("bad."+k, k+" must be "+map[bool]string{true: "an object", false: "a string"}[k == "authParams"])
		}
	}
	return req, nil
}

// startStrings are the string members of req by name.
func startStrings(req *startRequest) map[string]*string {
	return map[string]*string{"client_id": &req.ClientID, "client_secret": &req.ClientSecret, "connection": &req.Connection,
		"email": &req.Email, "phone_number": &req.PhoneNumber, "send": &req.Send}
}

// readStartForm reads a form body: the string members, each once.
func readStartForm(body []byte) (startRequest, *startError) {
	var req startRequest
	form, err := url.ParseQuery(string(body))
	if err != nil {
		return req, badStart("bad.request", "malformed form body")
	}
	fields := startStrings(&req)
	for k, vals := range form {
		switch {
		case len(vals) > 1:
			return req, badStart("bad.request", "parameter "+shortName(k)+" is repeated")
		case fields[k] == nil:
			return req, badStart("bad.request", "the following properties are not allowed: "+shortName(k)+" (authParams needs a JSON body)")
		}
		*fields[k] = vals[0]
	}
	return req, nil
}

// requestLanguage is the language of the message: Auth0's
// x-request-language header, else Accept-Language; "ja" or "en".
func requestLanguage(r *http.Request) string {
	lang := r.Header.Get("X-Request-Language")
	if lang == "" {
		lang = r.Header.Get("Accept-Language")
	}
	lang = strings.ToLower(strings.TrimSpace(lang))
	if lang == "ja" || strings.HasPrefix(lang, "ja-") || strings.HasPrefix(lang, "ja,") || strings.HasPrefix(lang, "ja;") {
		return "ja"
	}
	return "en"
}

// shortName bounds a name the client sent before it is repeated in an
// answer, quoted as a Go string in ASCII.
func shortName(s string) string {
	if len(s) > 64 {
		s = s[:64]
	}
	return strconv.QuoteToASCII(s)
}

// decodeStrict decodes a JSON object whose member names appear once.
func decodeStrict(body []byte, v any) error {
	if err := httpjson.CheckKeys(body, nil); err != nil {
		return err
	}
	return json.Unmarshal(body, v)
}
