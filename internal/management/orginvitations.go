package management

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// Logto's organization invitations at /api/organization-invitations: the
// rules are the directory's; the invitation's e-mail goes through the
// connectors with the OrganizationInvitation template.

// invitationsOpenAPI documents these routes; it is merged into openAPI
// at start-up.
//
//go:embed openapi_invitations.json
var invitationsOpenAPI []byte

func init() { addOpenAPI(invitationsOpenAPI) }

func (s *server) invitationRoutes() []route {
	const base = "/api/organization-invitations"
	return []route{
		{pattern: "GET " + base, handle: s.listInvitations, query: &listQuery{params: []string{"organizationId", "inviterId", "invitee"}, whole: true}},
		{pattern: "POST " + base, handle: s.createInvitation},
		{pattern: "GET " + base + "/{id}", handle: read(invitationOut, s.dir.Invitation)},
		{pattern: "DELETE " + base + "/{id}", handle: remove(s.dir.DeleteInvitation, s.recordOrg)},
		{pattern: "PUT " + base + "/{id}/status", handle: s.setInvitationStatus},
		{pattern: "POST " + base + "/{id}/message", handle: s.resendInvitation},
	}
}

// invitationJSON is Logto's OrganizationInvitationEntity.
type invitationJSON struct {
	TenantID          string                `json:"tenantId"`
	ID                string                `json:"id"`
	InviterID         *string               `json:"inviterId"`
	Invitee           string                `json:"invitee"`
	AcceptedUserID    *string               `json:"acceptedUserId"`
	OrganizationID    string                `json:"organizationId"`
	Status            string                `json:"status"`
	CreatedAt         int64                 `json:"createdAt"`
	UpdatedAt         int64                 `json:"updatedAt"`
	ExpiresAt         int64                 `json:"expiresAt"`
	OrganizationRoles []organizationRoleRef `json:"organizationRoles"`
}

func invitationOut(inv store.OrganizationInvitation) invitationJSON {
	return invitationJSON{TenantID: "default", ID: inv.ID, InviterID: logto.OrNull(inv.InviterID), Invitee: inv.Invitee,
		AcceptedUserID: logto.OrNull(inv.AcceptedUserID), OrganizationID: inv.OrganizationID, Status: string(inv.Status),
		CreatedAt: ms(inv.CreatedAt), UpdatedAt: ms(inv.UpdatedAt), ExpiresAt: ms(inv.ExpiresAt), OrganizationRoles: roleRefs(inv.Roles)}
}

func (s *server) listInvitations(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	for _, k := range []string{"organizationId", "inviterId", "invitee"} {
		if len(q[k]) > 1 {
			return invalid(k + " may be given once")
		}
	}
	list, err := s.dir.Invitations(r.Context(), store.InvitationFilter{OrganizationID: q.Get("organizationId"),
		InviterID: q.Get("inviterId"), Invitee: q.Get("invitee")})
	return reply(w, func(l []store.OrganizationInvitation) []invitationJSON { return each(l, invitationOut) })(list, err)
}

// invitationBody is what POST /api/organization-invitations reads.
type invitationBody struct {
	InviterID           *string         `json:"inviterId"`
	Invitee             *string         `json:"invitee"`
	OrganizationID      *string         `json:"organizationId"`
	ExpiresAt           *int64          `json:"expiresAt"`
	OrganizationRoleIDs []string        `json:"organizationRoleIds"`
	MessagePayload      json.RawMessage `json:"messagePayload"`
}

func (s *server) createInvitation(w http.ResponseWriter, r *http.Request) error {
	var b invitationBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	switch {
	case b.Invitee == nil:
		return invalid("invitee is required")
	case b.OrganizationID == nil:
		return invalid("organizationId is required")
	case b.ExpiresAt == nil:
		return invalid("expiresAt is required")
	}
	payload, send, err := messagePayload(b.MessagePayload, false)
	if err != nil {
		return err
	}
	if send && !s.Connectors.HasChannel(verifycode.ChannelEmail) {
		return noEmailConnector()
	}
	in := directory.InvitationFields{Invitee: *b.Invitee, OrganizationID: *b.OrganizationID,
		ExpiresAt: time.UnixMilli(*b.ExpiresAt), RoleIDs: b.OrganizationRoleIDs}
	if b.InviterID != nil {
		in.InviterID = *b.InviterID
	}
	inv, err := s.dir.CreateInvitation(r.Context(), in)
	if err != nil {
		return err
	}
	if send {
		if err := s.sendInvitation(r.Context(), inv, payload); err != nil {
			// The invitation is made with its e-mail or not at all.
			_ = s.dir.DeleteInvitation(context.WithoutCancel(r.Context()), inv.ID)
			return err
		}
	}
	return s.created(w, r, invitationOut(inv))
}

func noEmailConnector() error {
	return &apiError{http.StatusNotImplemented, "connector.not_found", "no e-mail connector is configured to send the invitation"}
}

// Bounds of a message payload.
const (
	maxPayloadKeys  = 32
	maxPayloadValue = 2048
)

// messagePayload reads Logto's SendMessagePayload: an object whose code,
// link, locale and uiLocales, and any other key, fill the template's
// placeholders. A plain value (string, number, boolean) is taken; an
// object or array is refused, as no placeholder can show it. With
// optional, absent or false is no message (send false).
func messagePayload(raw json.RawMessage, required bool) (map[string]string, bool, error) {
	trimmed := strings.TrimSpace(string(raw))
	if !required && (trimmed == "" || trimmed == "false" || trimmed == "null") {
		return nil, false, nil
	}
	var m map[string]json.RawMessage
	if trimmed == "" || trimmed == "null" || json.Unmarshal(raw, &m) != nil || m == nil {
		if required {
			return nil, false, invalid("the body must be a message payload object: code, link, locale, uiLocales and other placeholders")
		}
		return nil, false, invalid("messagePayload must be false or an object: code, link, locale, uiLocales and other placeholders")
	}
	if len(m) > maxPayloadKeys {
		return nil, false, invalid(fmt.Sprintf("messagePayload has more than %d keys", maxPayloadKeys))
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		var val any
		if err := json.Unmarshal(v, &val); err != nil {
			return nil, false, invalid("messagePayload." + k + " is not valid JSON")
		}
		var str string
		switch x := val.(type) {
		case string:
			str = x
		case float64:
			str = strconv.FormatFloat(x, 'f', -1, 64)
		case bool:
			str = strconv.FormatBool(x)
		case nil:
			continue
		default:
			return nil, false, invalid("messagePayload." + k + " must be a string, number or boolean")
		}
		if k == "" || len(k) > 64 || len(str) > maxPayloadValue || strings.IndexFunc(str, unicode.IsControl) >= 0 {
			return nil, false, invalid(fmt.Sprintf("messagePayload.%s must be one line of at most %d bytes", k, maxPayloadValue))
		}
		out[k] = str
	}
	if v, ok := out["locale"]; ok && !connector.ValidLanguageTag(v) {
		return nil, false, invalid("messagePayload.locale must be a language tag such as en or ja")
	}
	return out, true, nil
}

// sendInvitation queues the invitation's e-mail: the organization and the
// inviter as Logto's template context names them, then the payload's
// placeholders over them.
func (s *server) sendInvitation(ctx context.Context, inv store.OrganizationInvitation, payload map[string]string) error {
	vars := map[string]string{}
	if o, err := s.dir.Organization(ctx, inv.OrganizationID); err == nil {
		vars["organization.id"], vars["organization.name"] = o.ID, o.Name
	}
	if inv.InviterID != "" {
		if u, err := s.Store.GetUser(ctx, inv.InviterID); err == nil {
			for k, v := range map[string]string{"id": u.ID, "name": u.Name, "username": u.Username, "primaryEmail": u.PrimaryEmail,
				"primaryPhone": u.PrimaryPhone, "avatar": u.Avatar} {
				vars["inviter."+k] = v
			}
		}
	}
	for k, v := range payload {
		vars[k] = v
	}
	locale := payload["locale"]
	if locale == "" {
		if first, _, _ := strings.Cut(payload["uiLocales"], " "); connector.ValidLanguageTag(first) {
			locale = first
		}
	}
	return s.Connectors.Deliver(ctx, verifycode.Message{Channel: verifycode.ChannelEmail, To: inv.Invitee,
		Purpose: verifycode.PurposeOrganizationInvitation, Locale: locale, Code: payload["code"], Vars: vars})
}

// invitationStatusBody is what PUT …/{id}/status reads.
type invitationStatusBody struct {
	Status         *string `json:"status"`
	AcceptedUserID *string `json:"acceptedUserId"`
}

func (s *server) setInvitationStatus(w http.ResponseWriter, r *http.Request) error {
	var b invitationStatusBody
	if err := decode(w, r, &b); err != nil {
		return err
	}
	id := r.PathValue("id")
	if b.Status == nil {
		return invalid("status is required: Accepted or Revoked")
	}
	switch store.InvitationStatus(*b.Status) {
	case store.InvitationRevoked:
		inv, err := s.dir.RevokeInvitation(r.Context(), id)
		return updated(w, r, s.recordOrg, invitationOut(inv), true, err)
	case store.InvitationAccepted:
		if b.AcceptedUserID == nil || *b.AcceptedUserID == "" {
			return &apiError{http.StatusUnprocessableEntity, "request.invalid_input", "The `acceptedUserId` is required when accepting an invitation."}
		}
		inv, _, err := s.dir.AcceptInvitation(r.Context(), id, *b.AcceptedUserID)
		return updated(w, r, s.recordOrg, invitationOut(inv), true, err)
	}
	return invalid("status must be Accepted or Revoked")
}

func (s *server) resendInvitation(w http.ResponseWriter, r *http.Request) error {
	var raw json.RawMessage
	if err := decode(w, r, &raw); err != nil {
		return err
	}
	payload, _, err := messagePayload(raw, true)
	if err != nil {
		return err
	}
	inv, err := s.dir.Invitation(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if !s.Connectors.HasChannel(verifycode.ChannelEmail) {
		return noEmailConnector()
	}
	if err := s.sendInvitation(r.Context(), inv, payload); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
