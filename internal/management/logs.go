package management

import (
	"context"
	"encoding/json"
	"github.com/monban/monban/internal/directory"
	"net/http"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// ChangeEvent describes a successful write through the Management API, for
// the audit log: who (the token's subject) did what (method and path).
type ChangeEvent struct {
	Method  string
	Path    string // the request path, with ids
	Pattern string // the route, e.g. "POST /api/applications/{id}/secrets"
	Caller  string // sub of the access token
}

type logOut struct {
	ID        string         `json:"id"`
	Key       string         `json:"key"`
	Payload   map[string]any `json:"payload"`
	CreatedAt int64          `json:"createdAt"`
}

// logJSON renders an entry in Logto's shape: the filterable fields are
// repeated inside the payload, beside the details.
func logJSON(e store.LogEntry) logOut {
	payload := map[string]any{}
	_ = json.Unmarshal(e.Payload, &payload) // written by the server: a JSON object
	payload["key"] = e.Key
	payload["result"] = e.Result
	if e.ApplicationID != "" {
		payload["applicationId"] = e.ApplicationID
	}
	if e.UserID != "" {
		payload["userId"] = e.UserID
	}
	return logOut{ID: e.ID, Key: e.Key, Payload: payload, CreatedAt: ms(e.CreatedAt)}
}

// maxFilterLen bounds each filter of the log listing.
const maxFilterLen = 256

func (s *server) listLogs(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, logJSON, func(page store.Page) ([]store.LogEntry, int, error) {
		q := r.URL.Query()
		filter := store.LogFilter{Key: q.Get("logKey"), ApplicationID: q.Get("applicationId"), UserID: q.Get("userId")}
		for field, v := range map[string]string{"logKey": filter.Key, "applicationId": filter.ApplicationID, "userId": filter.UserID} {
			if err := directory.CheckText(field, v, maxFilterLen, false); err != nil {
				return nil, 0, err
			}
		}
		return s.Store.ListLogs(r.Context(), filter, page)
	})
}

func (s *server) getLog(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "id", "log")
	if err != nil {
		return err
	}
	e, err := s.Store.GetLog(r.Context(), id)
	if err != nil {
		return orNotFound(err, "log "+id+" not found")
	}
	httpjson.Write(w, http.StatusOK, logJSON(e))
	return nil
}

// audit hands a change to Deps.Audit, if set.
func (s *server) audit(ctx context.Context, r *http.Request, caller string) {
	if s.Audit == nil {
		return
	}
	s.Audit(ctx, ChangeEvent{Method: r.Method, Path: r.URL.Path, Pattern: r.Pattern, Caller: caller})
}
