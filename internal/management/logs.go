package management

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// ChangeEvent describes a successful write through the Management API, for
// the audit log: who (the actor) did what (method and path) to what (the
// target).
type ChangeEvent struct {
	Method  string
	Path    string // the request path, with ids
	Pattern string // the route, e.g. "POST /api/applications/{id}/secrets"
	Caller  string // sub of the access token
	// ClientID is the application the token was issued to: the actor
	// itself, or the client a user acted through (the console's, say).
	ClientID string
	Actor    store.LogActor
	Target   store.LogTarget
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
	if e.Actor.Type != "" {
		payload["actor"] = map[string]any{"type": e.Actor.Type, "id": e.Actor.ID, "name": e.Actor.Name}
	}
	if e.Target.Type != "" {
		target := map[string]any{"type": e.Target.Type}
		if e.Target.ID != "" {
			target["id"] = e.Target.ID
		}
		payload["target"] = target
	}
	return logOut{ID: e.ID, Key: e.Key, Payload: payload, CreatedAt: ms(e.CreatedAt)}
}

// maxFilterLen bounds each filter of the log listing.
const maxFilterLen = 256

// listLogs answers Logto's log list: logKey, applicationId and userId,
// and the time window start_time and end_time (Unix milliseconds, both
// inclusive). enableCap, Logto's cheaper count of a large table, is
// accepted: the count here is exact, so it is never capped.
func (s *server) listLogs(w http.ResponseWriter, r *http.Request) error {
	return writePage(w, r, logJSON, func(page store.Page) ([]store.LogEntry, int, error) {
		q := r.URL.Query()
		filter := store.LogFilter{Key: q.Get("logKey"), ApplicationID: q.Get("applicationId"), UserID: q.Get("userId")}
		for field, v := range map[string]string{"logKey": filter.Key, "applicationId": filter.ApplicationID, "userId": filter.UserID} {
			if err := directory.CheckText(field, v, maxFilterLen, false); err != nil {
				return nil, 0, err
			}
		}
		if _, err := directory.YesNo("enableCap", q.Get("enableCap")); err != nil {
			return nil, 0, err
		}
		var err error
		if filter.From, err = logTime(q, "start_time", math.Ceil); err != nil {
			return nil, 0, err
		}
		if filter.To, err = logTime(q, "end_time", math.Floor); err != nil {
			return nil, 0, err
		}
		if !filter.From.IsZero() && !filter.To.IsZero() && filter.From.After(filter.To) {
			return nil, 0, &apiError{http.StatusBadRequest, "log.invalid_time_window", "start_time must not be after end_time"}
		}
		return s.Store.ListLogs(r.Context(), filter, page)
	})
}

// Bounds of a log time window, in Unix milliseconds: after year 1 (the
// zero time.Time, which means no bound) and before JavaScript's last date.
const (
	minLogMillis = -62135596800000 + 1
	maxLogMillis = 8.64e15
)

// logTime reads a time window bound, as Logto does: any finite number of
// Unix milliseconds, which round rounds to a whole one. Absent or empty is
// the zero time (no bound); anything else is Logto's guard.invalid_input.
func logTime(q url.Values, name string, round func(float64) float64) (time.Time, error) {
	vs := q[name]
	if len(vs) == 0 || vs[len(vs)-1] == "" {
		return time.Time{}, nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(vs[len(vs)-1]), 64)
	if err != nil || math.IsInf(v, 0) || math.IsNaN(v) {
		return time.Time{}, &apiError{http.StatusBadRequest, "guard.invalid_input", name + " must be a timestamp in milliseconds"}
	}
	return time.UnixMilli(int64(min(max(round(v), minLogMillis), maxLogMillis))), nil
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

// audit hands a change to Deps.Audit, if set: the actor from the token
// (a user acting through an application, or an application on its own),
// named as they are now, and the target from the route, or created, the
// id of what the request created.
func (s *server) audit(ctx context.Context, r *http.Request, created string) {
	if s.Audit == nil {
		return
	}
	e := ChangeEvent{Method: r.Method, Path: r.URL.Path, Pattern: r.Pattern, Target: changeTarget(r, created)}
	if c := claimsFrom(ctx); c != nil {
		e.Caller, e.ClientID = c.Subject, c.ClientID
		e.Actor = s.actor(ctx, c.Subject, c.ClientID)
	}
	s.Audit(ctx, e)
}

// actor names the subject of a Management API token: an application when
// the subject is the client itself (client_credentials), else a user.
func (s *server) actor(ctx context.Context, sub, clientID string) store.LogActor {
	if sub == "" {
		return store.LogActor{}
	}
	if clientID == "" || sub == clientID {
		a := store.LogActor{Type: store.ActorApplication, ID: sub}
		if app, err := s.Store.GetApplication(ctx, sub); err == nil {
			a.Name = app.Name
		}
		return a
	}
	a := store.LogActor{Type: store.ActorUser, ID: sub}
	if u, err := s.Store.GetUser(ctx, sub); err == nil {
		a.Name = cmp.Or(u.Username, u.Name, u.PrimaryEmail, u.PrimaryPhone)
	}
	return a
}

// changeTarget reads what a change was made to from its route: the kind
// of the first path segment after /api/ ("applications" → "application")
// and the {id} of the route, or the id of what was created.
func changeTarget(r *http.Request, created string) store.LogTarget {
	rest := strings.TrimPrefix(r.URL.Path, "/api/")
	kind, _, _ := strings.Cut(rest, "/")
	if kind == "" || kind == rest && r.Method != http.MethodPost {
		return store.LogTarget{Type: strings.TrimSuffix(kind, "s")}
	}
	t := store.LogTarget{Type: strings.TrimSuffix(kind, "s"), ID: r.PathValue("id")}
	if t.ID == "" {
		t.ID = created
	}
	return t
}
