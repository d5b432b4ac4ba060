package management

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/passkey"
)

type mfaOutT struct {
	ID          string  `json:"id"`
	CreatedAt   string  `json:"createdAt"`
	Type        string  `json:"type"`
	RemainCodes *int    `json:"remainCodes"`
	LastUsedAt  *string `json:"lastUsedAt"`
}

func TestUserMFAVerifications(t *testing.T) {
	e := newEnv(t)
	u := e.createUser(map[string]any{"username": "ada"})
	other := e.createUser(map[string]any{"username": "bob"})
	base := "/api/users/" + u.ID + "/mfa-verifications"

	var list []mfaOutT
	e.do("GET", base, nil).want(t, 200, &list)
	if list == nil || len(list) != 0 {
		t.Fatalf("a new user's factors: %+v", list)
	}
	// Backup codes need another factor first.
	e.do("POST", base, map[string]any{"type": "BackupCode"}).wantCode(t, 422, "session.mfa.backup_code_can_not_be_alone")

	var created struct {
		Type, Secret, SecretQrCode string
		Codes                      []string
	}
	e.do("POST", base, map[string]any{"type": "Totp"}).want(t, 200, &created)
	if created.Type != "Totp" || !mfa.ValidTOTPSecret(created.Secret) || !strings.HasPrefix(created.SecretQrCode, "data:image/png;base64,") {
		t.Fatalf("created TOTP %+v", created)
	}
	e.do("POST", base, map[string]any{"type": "Totp"}).wantCode(t, 422, "user.totp_already_in_use")
	e.do("POST", "/api/users/"+other.ID+"/mfa-verifications", map[string]any{"type": "Totp", "secret": "not base32!"}).
		wantCode(t, 422, "user.totp_secret_invalid")
	e.do("POST", "/api/users/"+other.ID+"/mfa-verifications", map[string]any{"type": "Totp", "secret": "JBSWY3DPEHPK3PXP"}).want(t, 200, nil)

	// The secret given out is the one that verifies.
	svc := mfa.New(e.st, nil, nil)
	code, err := totp.GenerateCode(created.Secret, time.Now())
	must(t, err)
	if _, err := svc.Verify(t.Context(), mfa.Subject{UserID: u.ID}, mfa.TypeTotp, url.Values{"code": {code}}, "192.0.2.1"); err != nil {
		t.Fatalf("the created secret does not verify: %v", err)
	}

	e.do("POST", base, map[string]any{"type": "BackupCode", "codes": []string{"abc"}}).wantCode(t, 422, "user.wrong_backup_code_format")
	e.do("POST", base, map[string]any{"type": "BackupCode"}).want(t, 200, &created)
	if created.Type != "BackupCode" || !mfa.ValidBackupCodes(created.Codes) {
		t.Fatalf("created codes %+v", created)
	}
	e.do("POST", base, map[string]any{"type": "BackupCode"}).wantCode(t, 422, "user.backup_code_already_in_use")
	for _, bad := range []any{map[string]any{}, map[string]any{"type": "WebAuthn"}, map[string]any{"type": "Totp", "codes": []string{}},
		map[string]any{"type": "BackupCode", "secret": "JBSWY3DPEHPK3PXP"}, map[string]any{"type": "Totp", "extra": 1}} {
		e.do("POST", base, bad).want(t, 400, nil)
	}

	e.do("GET", base, nil).want(t, 200, &list)
	if len(list) != 2 || list[0].Type != "Totp" || list[1].Type != "BackupCode" || list[1].RemainCodes == nil || *list[1].RemainCodes != 10 ||
		list[0].RemainCodes != nil || !strings.HasSuffix(list[0].CreatedAt, "Z") {
		t.Fatalf("factors %s", e.do("GET", base, nil).body)
	}
	if body := string(e.do("GET", base, nil).body); strings.Contains(body, created.Codes[0]) || strings.Contains(body, "secret") {
		t.Fatalf("the listing shows a secret: %s", body)
	}

	// Another user's factor id is not found under this user.
	var theirs []mfaOutT
	e.do("GET", "/api/users/"+other.ID+"/mfa-verifications", nil).want(t, 200, &theirs)
	e.do("DELETE", base+"/"+theirs[0].ID, nil).wantCode(t, 404, "entity.not_found")
	e.do("DELETE", base+"/"+list[0].ID, nil).want(t, 204, nil)
	e.do("DELETE", base+"/"+list[0].ID, nil).wantCode(t, 404, "entity.not_found")
	e.do("GET", "/api/users/nobody/mfa-verifications", nil).want(t, 404, nil)
	e.do("GET", "/api/users/"+other.ID+"/mfa-verifications", nil).want(t, 200, &theirs)
	if len(theirs) != 1 {
		t.Fatalf("the other user's factors after the refused delete: %+v", theirs)
	}
	e.send(req{method: "GET", path: base, token: tokNoScope}).want(t, 403, nil)
	e.send(req{method: "DELETE", path: base + "/" + list[1].ID}).want(t, 401, nil)
}

// A passkey (a WebAuthn factor) is listed with its name, the browser
// that registered it and its last use, and deleted like any factor.
func TestUserMFAVerificationsPasskey(t *testing.T) {
	e := newEnv(t)
	e.mfa.Register(&passkey.Factor{})
	u := e.createUser(map[string]any{"username": "ada"})
	base := "/api/users/" + u.ID + "/mfa-verifications"
	must(t, e.mfa.Add(t.Context(), u.ID, mfa.TypeWebAuthn, "Laptop",
		[]byte(`{"rpId":"id.example.com","credentialId":"AQID","publicKey":"BAUG","counter":3,"agent":"Mozilla/5.0 (X11)"}`)))
	var list []struct {
		ID, Type, Name, Agent, CreatedAt string
	}
	e.do("GET", base, nil).want(t, 200, &list)
	if len(list) != 1 || list[0].Type != "WebAuthn" || list[0].Name != "Laptop" || list[0].Agent != "Mozilla/5.0 (X11)" {
		t.Fatalf("factors %s", e.do("GET", base, nil).body)
	}
	if body := string(e.do("GET", base, nil).body); strings.Contains(body, "BAUG") || strings.Contains(body, "publicKey") {
		t.Fatalf("the listing shows the key: %s", body)
	}
	e.do("DELETE", base+"/"+list[0].ID, nil).want(t, 204, nil)
	e.do("GET", base, nil).want(t, 200, &list)
	if len(list) != 0 {
		t.Fatalf("after the deletion: %+v", list)
	}
}
