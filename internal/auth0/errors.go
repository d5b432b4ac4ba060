package auth0

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// errorBody is Auth0's Management API error.
type errorBody struct {
	StatusCode int    `json:"statusCode"`
	Error      string `json:"error"`
	Message    string `json:"message"`
	ErrorCode  string `json:"errorCode,omitempty"`
}

// writeError answers status with Auth0's error body; code "" leaves
// errorCode out, as Auth0 does for a missing token.
func writeError(w http.ResponseWriter, status int, code, message string) {
	httpjson.Write(w, status, errorBody{StatusCode: status, Error: http.StatusText(status), Message: message, ErrorCode: code})
}

// WriteError answers status with Auth0's error body, for the parts of the
// server in front of this API (its rate limit).
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Cache-Control", "no-store")
	writeError(w, status, code, message)
}

// apiError is an error answered with its own status, code and message.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func badBody(message string) error {
	return &apiError{http.StatusBadRequest, "invalid_body", message}
}

func badQuery(message string) error {
	return &apiError{http.StatusBadRequest, "invalid_query_string", message}
}

// Auth0's answers for a missing entity, by what the route addresses.
var notFoundTexts = map[string][2]string{
	"user":              {"inexistent_user", "The user does not exist."},
	"client":            {"inexistent_client", "The client does not exist"},
	"client_grant":      {"inexistent_client_grant", "The client grant does not exist."},
	"client_credential": {"inexistent_client_credential", "The credential does not exist."},
	"resource_server":   {"inexistent_resource_server", "The resource server does not exist"},
	"role":              {"inexistent_role", "The role does not exist."},
	"connection":        {"inexistent_connection", "The connection does not exist"},
	"log":               {"inexistent_log", "The log event does not exist"},
	// authentication_method: the user exists (checked first) but has no
	// such method.
	"authentication_method": {"inexistent_authentication_method", "The authentication method does not exist."},
}

// directoryWords are what the directory calls each entity in its messages.
var directoryWords = map[string]string{
	"user": "user", "client": "application", "client_grant": "client grant",
	"resource_server": "resource", "role": "role", "connection": "connection", "log": "log",
}

func notFound(entity string) error {
	t := notFoundTexts[entity]
	return &apiError{http.StatusNotFound, t[0], t[1]}
}

// retryAfterUnavailable is the Retry-After, in seconds, of a 503 for an
// unavailable database.
const retryAfterUnavailable = 5

// fail answers err: the directory's refusals with Auth0's status and
// code, the API's own errors as they are, a store.ErrUnavailable a logged
// 503, anything else a logged 500 with a generic message.
func (s *server) fail(w http.ResponseWriter, r *http.Request, rt route, err error) {
	var ae *apiError
	var de *httpjson.DecodeError
	var qe *QueryError
	var dirErr *directory.Error
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.code, ae.message)
	case errors.As(err, &qe):
		writeError(w, http.StatusBadRequest, "invalid_query_string", "Query validation error: "+qe.Message)
	case errors.As(err, &de):
		code := "invalid_body"
		if de.Status == http.StatusUnsupportedMediaType {
			code = "unsupported_media_type"
		}
		writeError(w, de.Status, code, "Payload validation error: '"+de.Message+"'.")
	case errors.As(err, &dirErr):
		status, code, message := directoryAnswer(rt, dirErr)
		writeError(w, status, code, message)
	case errors.Is(err, store.ErrNotFound):
		if rt.entity != "" {
			t := notFoundTexts[rt.entity]
			writeError(w, http.StatusNotFound, t[0], t[1])
			return
		}
		writeError(w, http.StatusNotFound, "inexistent_entity", "The entity does not exist")
	case errors.Is(err, store.ErrConflict):
		writeError(w, http.StatusConflict, "conflict", "The entity already exists")
	case errors.Is(err, store.ErrUnavailable):
		s.log.Warn("management API v2 request failed: database unavailable", "method", r.Method, "path", r.URL.Path, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterUnavailable))
		writeError(w, http.StatusServiceUnavailable, "service_unavailable", "The database is unavailable; retry later")
	default:
		s.log.Error("management API v2 request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		writeError(w, http.StatusInternalServerError, "internal_error", "Internal Server Error")
	}
}

// directoryAnswer is the status, code and message of a refusal of the
// directory on route rt: this is the only place they are chosen.
func directoryAnswer(rt route, e *directory.Error) (int, string, string) {
	switch e.Kind {
	case directory.NotFound:
		// The entity the path addresses gets Auth0's text; another one
		// (a role named in a body) the directory's.
		if w := directoryWords[rt.entity]; w != "" && strings.HasPrefix(e.Message, w+" not found") {
			t := notFoundTexts[rt.entity]
			return http.StatusNotFound, t[0], t[1]
		}
		return http.StatusNotFound, "inexistent_entity", sentence(e.Message)
	case directory.Conflict:
		switch e.Reason {
		case directory.ReasonUsernameTaken, directory.ReasonEmailTaken, directory.ReasonPhoneTaken:
			return http.StatusConflict, "auth0_idp_error", "The user already exists."
		case directory.ReasonIndicatorTaken, directory.ReasonIndicatorLookalike:
			return http.StatusConflict, "operation_not_supported", "A resource server with the same identifier already exists"
		case directory.ReasonClientGrantExists:
			return http.StatusConflict, "conflict", "A client grant for this client and audience already exists"
		}
		return http.StatusConflict, "conflict", sentence(e.Message)
	case directory.Forbidden:
		return http.StatusForbidden, "operation_not_supported", "You cannot change or delete a system resource server"
	}
	if e.Reason == directory.ReasonPasswordRejected {
		// Auth0: "PasswordStrengthError: Password is too weak".
		pr := auth0shape.PasswordRefusalOf(e.Issues)
		return http.StatusBadRequest, "invalid_body", pr.Name + ": " + pr.Message + " (" + directory.DescribeIssues(e.Issues) + ")"
	}
	return http.StatusBadRequest, "invalid_body", "Payload validation error: '" + e.Message + "'."
}

// sentence begins message with a capital letter and ends it with a stop.
func sentence(message string) string {
	if message == "" {
		return message
	}
	message = strings.ToUpper(message[:1]) + message[1:]
	if !strings.HasSuffix(message, ".") {
		message += "."
	}
	return message
}
