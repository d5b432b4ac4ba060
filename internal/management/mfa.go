package management

import (
	_ "embed"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/mfa"
	"github.com/monban/monban/internal/store"
)

// The routes of a user's second factors (Logto's MFA verifications),
// with Logto's paths, bodies and codes.

func (s *server) mfaRoutes() []route {
	return []route{
		{pattern: "GET /api/users/{id}/mfa-verifications", handle: s.listUserMFA, query: noQuery},
		{pattern: "POST /api/users/{id}/mfa-verifications", handle: s.createUserMFA},
		{pattern: "DELETE /api/users/{id}/mfa-verifications/{verificationId}", handle: s.deleteUserMFA},
	}
}

// mfaVerificationOut is one factor in Logto's shape
// (userMfaVerificationResponseGuard).
type mfaVerificationOut struct {
	ID          string  `json:"id"`
	CreatedAt   string  `json:"createdAt"`
	LastUsedAt  *string `json:"lastUsedAt,omitempty"`
	Type        string  `json:"type"`
	Name        *string `json:"name,omitempty"`
	Agent       *string `json:"agent,omitempty"`
	RemainCodes *int    `json:"remainCodes,omitempty"`
}

// logtoTime is a time as Logto's MFA verifications write it: ISO 8601
// in UTC with milliseconds.
func logtoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// listUserMFA answers the user's factors.
func (s *server) listUserMFA(w http.ResponseWriter, r *http.Request) error {
	u, err := s.dir.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	vs, err := s.MFA.List(r.Context(), u.ID)
	if err != nil {
		return err
	}
	out := make([]mfaVerificationOut, 0, len(vs))
	for _, v := range vs {
		o := mfaVerificationOut{ID: v.ID, CreatedAt: logtoTime(v.CreatedAt), Type: v.Type}
		switch v.Type {
		case mfa.TypeBackupCode:
			data, err := s.MFA.Open(v)
			if err != nil {
				return err
			}
			n := mfa.BackupCodesLeft(data)
			o.RemainCodes = &n
		case mfa.TypeWebAuthn:
			name, agent := v.Name, s.MFA.Describe(v)["agent"]
			o.Name, o.Agent = &name, &agent
			if v.LastUsedAt != nil {
				at := logtoTime(*v.LastUsedAt)
				o.LastUsedAt = &at
			}
		}
		out = append(out, o)
	}
	httpjson.Write(w, http.StatusOK, out)
	return nil
}

// createUserMFA binds a TOTP secret (given, or made here) or a set of
// backup codes (given, or made here) to the user, as Logto's route does:
// the secret or codes are in the answer, this once.
func (s *server) createUserMFA(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Type   *string   `json:"type"`
		Secret *string   `json:"secret"`
		Codes  *[]string `json:"codes"`
	}
	if err := decode(w, r, &body); err != nil {
		return err
	}
	if body.Type == nil || (*body.Type != mfa.TypeTotp && *body.Type != mfa.TypeBackupCode) {
		return invalid("type must be Totp or BackupCode")
	}
	u, err := s.dir.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	label := firstOf(u.Username, u.PrimaryEmail, u.PrimaryPhone, u.Name, "Unnamed User")
	issuer := r.Host
	if h, err := url.Parse("//" + r.Host); err == nil && h.Hostname() != "" {
		issuer = h.Hostname()
	}
	ctx := r.Context()
	vs, err := s.MFA.List(ctx, u.ID)
	if err != nil {
		return err
	}
	if *body.Type == mfa.TypeTotp {
		if body.Codes != nil {
			return invalid("codes belong to type BackupCode")
		}
		if slices.ContainsFunc(vs, func(v store.MFAVerification) bool { return v.Type == mfa.TypeTotp }) {
			return &apiError{http.StatusUnprocessableEntity, "user.totp_already_in_use", "The user has a TOTP factor already."}
		}
		secret := ""
		if body.Secret != nil {
			if !mfa.ValidTOTPSecret(*body.Secret) {
				return &apiError{http.StatusUnprocessableEntity, "user.totp_secret_invalid", "The secret is not 16 to 32 characters of base32."}
			}
			secret = *body.Secret
		} else {
			key, err := mfa.NewTOTPSecret(issuer, label)
			if err != nil {
				return err
			}
			secret = key.Secret()
		}
		data, err := mfa.TOTPData(secret)
		if err != nil {
			return err
		}
		key, err := mfa.TOTPKey(issuer, label, secret)
		if err != nil {
			return err
		}
		qr, err := mfa.QRCode(key)
		if err != nil {
			return err
		}
		if err := s.addMFA(r, u.ID, mfa.TypeTotp, data); err != nil {
			return err
		}
		httpjson.Write(w, http.StatusOK, struct {
			Type         string `json:"type"`
			Secret       string `json:"secret"`
			SecretQrCode string `json:"secretQrCode"`
		}{mfa.TypeTotp, secret, qr})
		return nil
	}
	if body.Secret != nil {
		return invalid("secret belongs to type Totp")
	}
	if !slices.ContainsFunc(vs, func(v store.MFAVerification) bool { return v.Type != mfa.TypeBackupCode }) {
		return &apiError{http.StatusUnprocessableEntity, "session.mfa.backup_code_can_not_be_alone", "Backup codes need another factor beside them."}
	}
	codes := mfa.NewBackupCodes()
	if body.Codes != nil {
		if !mfa.ValidBackupCodes(*body.Codes) {
			return &apiError{http.StatusUnprocessableEntity, "user.wrong_backup_code_format", "Backup codes are ten codes of ten hexadecimal digits."}
		}
		codes = *body.Codes
	}
	data, err := mfa.BackupCodeData(codes)
	if err != nil {
		return err
	}
	if err := s.addMFA(r, u.ID, mfa.TypeBackupCode, data); err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, struct {
		Codes []string `json:"codes"`
		Type  string   `json:"type"`
	}{codes, mfa.TypeBackupCode})
	return nil
}

// addMFA stores a factor, answering the domain's refusals as Logto does.
func (s *server) addMFA(r *http.Request, userID, typ string, data []byte) error {
	err := s.MFA.Add(r.Context(), userID, typ, "", data)
	switch {
	case errors.Is(err, mfa.ErrAlreadyBound) && typ == mfa.TypeTotp:
		return &apiError{http.StatusUnprocessableEntity, "user.totp_already_in_use", "The user has a TOTP factor already."}
	case errors.Is(err, mfa.ErrAlreadyBound):
		return &apiError{http.StatusUnprocessableEntity, "user.backup_code_already_in_use", "The user has unused backup codes already."}
	case errors.Is(err, store.ErrNotFound):
		return notFound("user not found")
	case err != nil:
		return err
	}
	s.userChanged(r)
	return nil
}

// deleteUserMFA removes one of the user's factors: 204, or 404
// entity.not_found when the user has no such factor (another user's
// factor is not found either).
func (s *server) deleteUserMFA(w http.ResponseWriter, r *http.Request) error {
	u, err := s.dir.User(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	err = s.MFA.Delete(r.Context(), u.ID, r.PathValue("verificationId"))
	if errors.Is(err, store.ErrNotFound) {
		return &apiError{http.StatusNotFound, "entity.not_found", "The user has no such MFA verification."}
	}
	if err != nil {
		return err
	}
	s.userChanged(r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// firstOf is the first of vs that is not "".
func firstOf(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// openAPIMFA documents these routes; it is merged into openAPI.
//
//go:embed openapi_mfa.json
var openAPIMFA []byte

func init() { addOpenAPI(openAPIMFA) }
