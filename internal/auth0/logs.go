package auth0

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// Auth0's log event types for what Monban's audit log records: each type
// is a log key (or, for the Management API, a key prefix) and a result.
type logType struct {
	code, description string
	key, keyPrefix    string
	result            string
}

var logTypes = []logType{
	{"seccft", "Success Exchange: client credentials for an access token", "ExchangeTokenBy.ClientCredentials", "", store.ResultSuccess},
	{"feccft", "Failed Exchange: client credentials for an access token", "ExchangeTokenBy.ClientCredentials", "", store.ResultError},
	{"seacft", "Success Exchange: authorization code for an access token", "ExchangeTokenBy.AuthorizationCode", "", store.ResultSuccess},
	{"feacft", "Failed Exchange: authorization code for an access token", "ExchangeTokenBy.AuthorizationCode", "", store.ResultError},
	{"sertft", "Success Exchange: refresh token for an access token", "ExchangeTokenBy.RefreshToken", "", store.ResultSuccess},
	{"fertft", "Failed Exchange: refresh token for an access token", "ExchangeTokenBy.RefreshToken", "", store.ResultError},
	{"sepft", "Success Exchange: password for an access token", "ExchangeTokenBy.Password", "", store.ResultSuccess},
	{"fepft", "Failed Exchange: password for an access token", "ExchangeTokenBy.Password", "", store.ResultError},
	{"s", "Success Login", audit.KeySignIn, "", store.ResultSuccess},
	{"f", "Failed Login", audit.KeySignIn, "", store.ResultError},
	{"ss", "Success Signup", audit.KeyRegister, "", store.ResultSuccess},
	{"fs", "Failed Signup", audit.KeyRegister, "", store.ResultError},
	{"sapi", "Success API Operation", "", "ManagementApi.", store.ResultSuccess},
	{"fapi", "Failed API Operation", "", "ManagementApi.", store.ResultError},
}

// typeOf is the Auth0 type of an entry; "" for a record Auth0 has no type
// for.
func typeOf(e store.LogEntry) logType {
	for _, t := range logTypes {
		if e.Result == t.result && (t.key != "" && e.Key == t.key || t.keyPrefix != "" && strings.HasPrefix(e.Key, t.keyPrefix)) {
			return t
		}
	}
	return logType{description: e.Key}
}

// logJSON is Auth0's log event.
type logJSON struct {
	LogID       string         `json:"log_id"`
	Date        string         `json:"date"`
	Type        string         `json:"type"`
	Description string         `json:"description"`
	ClientID    string         `json:"client_id,omitempty"`
	UserID      string         `json:"user_id,omitempty"`
	IP          string         `json:"ip,omitempty"`
	Connection  string         `json:"connection,omitempty"`
	Audience    string         `json:"audience,omitempty"`
	Scope       string         `json:"scope,omitempty"`
	Details     map[string]any `json:"details"`
}

func logOut(e store.LogEntry) logJSON {
	t := typeOf(e)
	details := map[string]any{}
	_ = json.Unmarshal(e.Payload, &details) // written by the server: a JSON object
	out := logJSON{LogID: e.ID, Date: iso(e.CreatedAt), Type: t.code, Description: t.description, ClientID: e.ApplicationID, Details: details}
	if e.UserID != "" {
		out.UserID = userIDPrefix + e.UserID
	}
	out.IP, _ = details["ip"].(string)
	out.Audience, _ = details["resource"].(string)
	out.Scope, _ = details["scope"].(string)
	if e.Key == audit.KeySignIn || e.Key == audit.KeyRegister {
		// Users sign in and up with the one database connection.
		out.Connection = connectionName
	}
	details["log_key"] = e.Key
	return out
}

// logFilter reads q of the log search: type:, client_id: and user_id:
// terms joined by AND.
func logFilter(q string) (store.LogFilter, error) {
	var f store.LogFilter
	if q == "" {
		return f, nil
	}
	if len(q) > maxQueryLen {
		return f, queryErr("q must be at most %d bytes", maxQueryLen)
	}
	for term := range strings.SplitSeq(q, " AND ") {
		field, value, ok := strings.Cut(strings.TrimSpace(term), ":")
		value = strings.Trim(value, `"`)
		if !ok || value == "" || strings.ContainsAny(value, ` "*()`) {
			return f, queryErr("the log search takes type:, client_id: and user_id: terms joined by AND")
		}
		if err := directory.CheckText(field, value, 256, false); err != nil {
			return f, queryErr("a value of q has control characters or is too long")
		}
		switch field {
		case "type":
			i := -1
			for j, t := range logTypes {
				if t.code == value {
					i = j
				}
			}
			if i < 0 {
				codes := make([]string, len(logTypes))
				for j, t := range logTypes {
					codes[j] = t.code
				}
				return f, queryErr("the log types recorded here are %s", strings.Join(codes, ", "))
			}
			f.Key, f.KeyPrefix, f.Result = logTypes[i].key, logTypes[i].keyPrefix, logTypes[i].result
		case "client_id":
			f.ApplicationID = value
		case "user_id":
			f.UserID = strings.TrimPrefix(value, userIDPrefix)
		default:
			return f, queryErr("the log search takes type:, client_id: and user_id: terms joined by AND")
		}
	}
	return f, nil
}

// checkLogSort accepts the one order of logs, newest first.
func checkLogSort(q map[string][]string) error {
	if v, ok := q["sort"]; ok && v[0] != "date:-1" {
		return badQuery("Query validation error: 'sort' of log events must be date:-1 (newest first), the only order.")
	}
	return nil
}

func (s *server) listLogs(w http.ResponseWriter, r *http.Request) error {
	q, p, sel, err := readPagedSelection(r)
	if err != nil {
		return err
	}
	if err := checkLogSort(q); err != nil {
		return err
	}
	if v := q.Get("search_engine"); q.Has("search_engine") && v != "v3" {
		return badQuery("Query validation error: 'search_engine' must be v3, the only one.")
	}
	// Auth0's API calls the query q; its Node SDK (v5 and later) sends it
	// as search. Either is taken, not both.
	query := q.Get("q")
	if q.Has("search") {
		if q.Has("q") {
			return badQuery("Query validation error: 'q' and 'search' are the same query; give one.")
		}
		query = q.Get("search")
	}
	filter, err := logFilter(query)
	if err != nil {
		return err
	}
	return s.writeLogs(w, r, p, sel, filter)
}

func (s *server) writeLogs(w http.ResponseWriter, r *http.Request, p pageQuery, sel fieldSelection, filter store.LogFilter) error {
	entries, total, err := s.Store.ListLogs(r.Context(), filter, p.store())
	if err != nil {
		return err
	}
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = sel.apply(logOut(e))
	}
	writeList(w, p, "logs", out, total)
	return nil
}

func (s *server) getLog(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if !directory.ValidID(id) {
		return notFound("log")
	}
	e, err := s.Store.GetLog(r.Context(), id)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, logOut(e))
	return nil
}

func (s *server) userLogs(w http.ResponseWriter, r *http.Request) error {
	q, p, err := pagedQuery(r)
	if err != nil {
		return err
	}
	if err := checkLogSort(q); err != nil {
		return err
	}
	id, err := userID(r)
	if err != nil {
		return err
	}
	if _, err := s.dir.User(r.Context(), id); err != nil {
		return err
	}
	return s.writeLogs(w, r, p, fieldSelection{}, store.LogFilter{UserID: id})
}
