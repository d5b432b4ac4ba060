package management

import (
	_ "embed"
	"encoding/json"
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/logto"
)

// The routes of a user's profile object, password state and social
// identities, with Logto's paths, bodies and codes.

// The bodies of a merge: the keys to set.
type (
	customDataBody struct {
		CustomData *map[string]any `json:"customData"`
	}
	profileBody struct {
		Profile *map[string]json.RawMessage `json:"profile"`
	}
)

func (b customDataBody) object() *map[string]any          { return b.CustomData }
func (b profileBody) object() *map[string]json.RawMessage { return b.Profile }

// hasUserPassword answers whether the user has a password.
func (s *server) hasUserPassword(w http.ResponseWriter, r *http.Request) error {
	u, err := s.dir.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, struct {
		HasPassword bool `json:"hasPassword"`
	}{u.PasswordHash != ""})
	return nil
}

// getUserIdentity answers {"identity": …}, Logto's shape. Monban keeps no
// provider tokens, so Logto's includeTokenSecret adds nothing.
func (s *server) getUserIdentity(w http.ResponseWriter, r *http.Request) error {
	id, err := s.dir.Identity(r.Context(), r.PathValue("id"), r.PathValue("target"))
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, struct {
		Identity logto.Identity `json:"identity"`
	}{logto.Identity{UserID: id.ExternalID, Details: id.Details}})
	return nil
}

// putUserIdentity gives the user an identity at the target, or replaces
// it, and answers with all their identities: 201 when it is new, else 200.
func (s *server) putUserIdentity(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		UserID  *string         `json:"userId"`
		Details json.RawMessage `json:"details"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.UserID == nil {
		return invalid("userId is required: the user's id at the provider")
	}
	in := directory.NewIdentity{ExternalID: *body.UserID}
	if body.Details != nil {
		// Absent is none; null, or anything but an object, is refused.
		if err := json.Unmarshal(body.Details, &in.Details); err != nil || in.Details == nil {
			return invalid("details must be a JSON object")
		}
	}
	ids, created, err := s.dir.PutIdentity(r.Context(), r.PathValue("id"), r.PathValue("target"), in)
	if err != nil {
		return err
	}
	s.userChanged(r)
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	httpjson.Write(w, status, logto.IdentitiesOf(ids))
	return nil
}

// linkUserIdentity is Logto's link through a social connector's
// authorization data. Monban has no social connectors yet, so every
// connector id is unknown: 404 entity.not_found, as Logto answers one.
// PUT /api/users/:id/identities/:target stores an identity directly.
func (s *server) linkUserIdentity(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		ConnectorID   *string         `json:"connectorId"`
		ConnectorData *map[string]any `json:"connectorData"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.ConnectorID == nil {
		return invalid("connectorId is required")
	}
	if body.ConnectorData == nil || *body.ConnectorData == nil {
		return invalid("connectorData is required and must be a JSON object")
	}
	if _, err := s.dir.User(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return &apiError{http.StatusNotFound, "entity.not_found", "connector not found; Monban has no social connectors, PUT /api/users/{userId}/identities/{target} stores an identity"}
}

// deleteUserIdentity removes the user's identity at the target and answers
// with the user, as Logto does.
func (s *server) deleteUserIdentity(w http.ResponseWriter, r *http.Request) error {
	u, err := s.dir.DeleteIdentity(r.Context(), r.PathValue("id"), r.PathValue("target"))
	return updated(w, r, s.userChanged, userOut(u), true, err)
}

// openAPIIdentities documents these routes; it is merged into openAPI.
//
//go:embed openapi_identities.json
var openAPIIdentities []byte

func init() { addOpenAPI(openAPIIdentities) }
