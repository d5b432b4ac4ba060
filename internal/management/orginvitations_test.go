package management

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/smtpsink"
)

type invitationOutT struct {
	TenantID          string   `json:"tenantId"`
	ID                string   `json:"id"`
	InviterID         *string  `json:"inviterId"`
	Invitee           string   `json:"invitee"`
	AcceptedUserID    *string  `json:"acceptedUserId"`
	OrganizationID    string   `json:"organizationId"`
	Status            string   `json:"status"`
	CreatedAt         int64    `json:"createdAt"`
	UpdatedAt         int64    `json:"updatedAt"`
	ExpiresAt         int64    `json:"expiresAt"`
	OrganizationRoles []idName `json:"organizationRoles"`
}

func inAnHour() int64 { return time.Now().Add(time.Hour).UnixMilli() }

// invitationConnector configures the SMTP sink as the e-mail connector,
// with an HTML template for invitations.
func (e *env) invitationConnector(sink *smtpsink.Sink) {
	e.t.Helper()
	cfg := smtpConnectorConfig(sink)
	cfg["templates"] = []any{
		map[string]any{"usageType": "Generic", "contentType": "text/plain", "subject": "Code", "content": "Your code: {{code}}"},
		map[string]any{"usageType": "OrganizationInvitation", "contentType": "text/html", "subject": "Join {{organization.name}}",
			"content": `<p>{{inviter.name}} invites you to {{organization.name}}: <a href="{{link}}">accept</a> ({{locale}}, {{team}}, {{unknown}})</p>`},
	}
	e.do("POST", "/api/connectors", map[string]any{"connectorId": "simple-mail-transfer-protocol", "config": cfg}).want(e.t, 200, nil)
}

func TestOrganizationInvitations(t *testing.T) {
	e := newEnv(t)
	org := e.createOrg("Acme & Co")
	member := e.createOrgRole("member", "User", nil)
	viewer := e.createOrgRole("viewer", "User", nil)
	robot := e.createOrgRole("robot", "MachineToMachine", nil)
	inviter := e.createUser(map[string]any{"username": "ann", "name": "Ann", "primaryEmail": "ann@example.com"})
	const invitee = "Guest@Example.com"
	body := func(extra map[string]any) map[string]any {
		b := map[string]any{"inviterId": inviter.ID, "invitee": invitee, "organizationId": org.ID, "expiresAt": inAnHour(),
			"organizationRoleIds": []string{viewer.ID, member.ID}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}

	// No e-mail connector: an invitation with a message is not made.
	link := "https://app.example/invite?id=1&org=acme"
	e.do("POST", "/api/organization-invitations", body(map[string]any{"messagePayload": map[string]any{"link": link}})).
		wantCode(t, 501, "connector.not_found")
	var list []invitationOutT
	e.do("GET", "/api/organization-invitations", nil).want(t, 200, &list)
	if len(list) != 0 {
		t.Fatalf("an invitation was made without its e-mail: %+v", list)
	}

	sink := smtpsink.Start(t, smtpsink.Options{STARTTLS: true, User: "mailer", Pass: "s3cret-pass"})
	e.invitationConnector(sink)
	var inv invitationOutT
	e.do("POST", "/api/organization-invitations", body(map[string]any{"messagePayload": map[string]any{"link": link, "locale": "en", "team": 7}})).
		want(t, 201, &inv)
	if inv.TenantID != "default" || inv.ID == "" || inv.InviterID == nil || *inv.InviterID != inviter.ID || inv.Invitee != invitee ||
		inv.AcceptedUserID != nil || inv.OrganizationID != org.ID || inv.Status != "Pending" || inv.CreatedAt == 0 ||
		inv.UpdatedAt != inv.CreatedAt || inv.ExpiresAt <= inv.CreatedAt {
		t.Fatalf("created %+v", inv)
	}
	if len(inv.OrganizationRoles) != 2 || inv.OrganizationRoles[0].Name != "member" || inv.OrganizationRoles[1].Name != "viewer" {
		t.Errorf("roles %+v, want member and viewer by name", inv.OrganizationRoles)
	}
	e.connectors.Round(context.Background())
	m := sink.Wait(t, 1, 10*time.Second)[0]
	if len(m.To) != 1 || !strings.EqualFold(m.To[0], invitee) || m.Subject != "Join Acme & Co" {
		t.Errorf("mail to %v subject %q", m.To, m.Subject)
	}
	for _, want := range []string{"Ann invites you to Acme &amp; Co", `href="https://app.example/invite?id=1&amp;org=acme"`, "(en, 7, {{unknown}})"} {
		if !strings.Contains(m.Body, want) {
			t.Errorf("the body lacks %q: %s", want, m.Body)
		}
	}

	for name, c := range map[string]struct {
		body   map[string]any
		status int
		code   string
	}{
		"a second pending invitation": {body(map[string]any{"invitee": "guest@example.com"}), 422, "entity.unique_integrity_violation"},
		"expiry in the past":          {body(map[string]any{"expiresAt": time.Now().Add(-time.Minute).UnixMilli()}), 400, "request.invalid_input"},
		"not an address":              {body(map[string]any{"invitee": "guest"}), 400, "request.invalid_input"},
		"no invitee":                  {map[string]any{"organizationId": org.ID, "expiresAt": inAnHour()}, 400, "request.invalid_input"},
		"no expiry":                   {map[string]any{"organizationId": org.ID, "invitee": "x@example.com"}, 400, "request.invalid_input"},
		"unknown organization":        {body(map[string]any{"invitee": "x@example.com", "organizationId": "nope"}), 422, "entity.relation_foreign_key_not_found"},
		"unknown inviter":             {body(map[string]any{"invitee": "x@example.com", "inviterId": "nope"}), 422, "entity.relation_foreign_key_not_found"},
		"unknown role":                {body(map[string]any{"invitee": "x@example.com", "organizationRoleIds": []string{"nope"}}), 422, "entity.relation_foreign_key_not_found"},
		"a role for applications":     {body(map[string]any{"invitee": "x@example.com", "organizationRoleIds": []string{robot.ID}}), 422, "entity.db_constraint_violated"},
		"messagePayload true":         {body(map[string]any{"invitee": "x@example.com", "messagePayload": true}), 400, "request.invalid_input"},
		"a nested placeholder":        {body(map[string]any{"invitee": "x@example.com", "messagePayload": map[string]any{"a": map[string]any{}}}), 400, "request.invalid_input"},
		"a bad locale":                {body(map[string]any{"invitee": "x@example.com", "messagePayload": map[string]any{"locale": "en us"}}), 400, "request.invalid_input"},
		"a field Logto does not take": {body(map[string]any{"invitee": "x@example.com", "status": "Accepted"}), 400, "request.invalid_input"},
	} {
		t.Run("create: "+name, func(t *testing.T) {
			e.do("POST", "/api/organization-invitations", c.body).wantCode(t, c.status, c.code)
		})
	}

	// Another invitation, without inviter or message, then the filters.
	other := e.createOrg("Globex")
	var inv2 invitationOutT
	e.do("POST", "/api/organization-invitations", map[string]any{"invitee": invitee, "organizationId": other.ID, "expiresAt": inAnHour(),
		"messagePayload": false}).want(t, 201, &inv2)
	if inv2.InviterID != nil || len(inv2.OrganizationRoles) != 0 || inv2.OrganizationRoles == nil {
		t.Errorf("created without inviter or roles: %+v", inv2)
	}
	for query, want := range map[string][]string{
		"":                            {inv2.ID, inv.ID},
		"?organizationId=" + org.ID:   {inv.ID},
		"?inviterId=" + inviter.ID:    {inv.ID},
		"?invitee=guest@example.com":  {inv2.ID, inv.ID},
		"?invitee=nobody@example.com": {},
		"?organizationId=" + other.ID + "&invitee=GUEST@example.com": {inv2.ID},
	} {
		e.do("GET", "/api/organization-invitations"+query, nil).want(t, 200, &list)
		got := []string{}
		for _, l := range list {
			got = append(got, l.ID)
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("GET %q = %v, want %v", query, got, want)
		}
	}
	e.do("GET", "/api/organization-invitations?page=1", nil).wantCode(t, 400, "request.invalid_input")
	e.do("GET", "/api/organization-invitations?status=Pending", nil).wantCode(t, 400, "request.invalid_input")
	e.do("GET", "/api/organization-invitations/nope", nil).wantCode(t, 404, "entity.not_found")

	// Resending.
	e.do("POST", "/api/organization-invitations/"+inv.ID+"/message", map[string]any{"link": "https://app.example/again"}).want(t, 204, nil)
	e.connectors.Round(context.Background())
	if m := sink.Wait(t, 2, 10*time.Second)[1]; !strings.Contains(m.Body, "https://app.example/again") {
		t.Errorf("the resent body: %s", m.Body)
	}
	e.do("POST", "/api/organization-invitations/"+inv.ID+"/message", []any{}).wantCode(t, 400, "request.invalid_input")
	e.do("POST", "/api/organization-invitations/nope/message", map[string]any{"link": "x"}).wantCode(t, 404, "entity.not_found")

	// Accepting: only the invitee, once.
	path := "/api/organization-invitations/" + inv.ID + "/status"
	e.do("PUT", path, map[string]any{"status": "Accepted"}).wantCode(t, 422, "request.invalid_input")
	e.do("PUT", path, map[string]any{"status": "Accepted", "acceptedUserId": inviter.ID}).wantCode(t, 422, "request.invalid_input")
	e.do("PUT", path, map[string]any{"status": "Accepted", "acceptedUserId": "nope"}).wantCode(t, 404, "entity.not_exists_with_id")
	e.do("PUT", path, map[string]any{"status": "Expired"}).wantCode(t, 400, "request.invalid_input")
	e.do("PUT", path, map[string]any{}).wantCode(t, 400, "request.invalid_input")
	guest := e.createUser(map[string]any{"username": "guest", "primaryEmail": "guest@example.com"})
	var accepted invitationOutT
	e.do("PUT", path, map[string]any{"status": "Accepted", "acceptedUserId": guest.ID}).want(t, 200, &accepted)
	if accepted.Status != "Accepted" || accepted.AcceptedUserID == nil || *accepted.AcceptedUserID != guest.ID || accepted.UpdatedAt < accepted.CreatedAt {
		t.Errorf("accepted %+v", accepted)
	}
	var roles []idName
	e.do("GET", "/api/organizations/"+org.ID+"/users/"+guest.ID+"/roles", nil).want(t, 200, &roles)
	if len(roles) != 2 {
		t.Errorf("the member's roles after acceptance: %+v", roles)
	}
	e.do("PUT", path, map[string]any{"status": "Revoked"}).wantCode(t, 422, "request.invalid_input")
	e.do("PUT", "/api/organization-invitations/nope/status", map[string]any{"status": "Revoked"}).wantCode(t, 404, "entity.not_found")
	// A member is not invited again.
	e.do("POST", "/api/organization-invitations", body(map[string]any{"invitee": "GUEST@example.com"})).wantCode(t, 422, "request.invalid_input")

	// Revoking, then expiry.
	var revoked invitationOutT
	e.do("PUT", "/api/organization-invitations/"+inv2.ID+"/status", map[string]any{"status": "Revoked"}).want(t, 200, &revoked)
	if revoked.Status != "Revoked" || revoked.AcceptedUserID != nil {
		t.Errorf("revoked %+v", revoked)
	}
	var soon invitationOutT
	e.do("POST", "/api/organization-invitations", map[string]any{"invitee": "late@example.com", "organizationId": org.ID,
		"expiresAt": time.Now().Add(300 * time.Millisecond).UnixMilli()}).want(t, 201, &soon)
	time.Sleep(400 * time.Millisecond)
	var got invitationOutT
	e.do("GET", "/api/organization-invitations/"+soon.ID, nil).want(t, 200, &got)
	if got.Status != "Expired" {
		t.Errorf("past its expiry: %s", got.Status)
	}
	e.do("PUT", "/api/organization-invitations/"+soon.ID+"/status", map[string]any{"status": "Revoked"}).wantCode(t, 422, "request.invalid_input")
	e.do("POST", "/api/organization-invitations", map[string]any{"invitee": "late@example.com", "organizationId": org.ID,
		"expiresAt": inAnHour()}).want(t, 201, nil)

	e.do("DELETE", "/api/organization-invitations/"+soon.ID, nil).want(t, 204, nil)
	e.do("DELETE", "/api/organization-invitations/"+soon.ID, nil).wantCode(t, 404, "entity.not_found")
}
