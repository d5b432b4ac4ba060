package mfa

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image/png"
	"net/url"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
)

// TOTP is the time-based one-time password factor (RFC 6238: SHA-1, six
// digits, 30-second steps, as authenticator apps expect). A code is
// accepted one step either side of now, and never twice: the last step
// used is kept, and a code of that step or an earlier one is refused.
type TOTP struct{}

// totpPeriod is the step of the codes, in seconds.
const totpPeriod = 30

// totpData is the stored document of a TOTP factor.
type totpData struct {
	Secret   string `json:"secret"` // base32, no padding
	LastStep int64  `json:"lastStep,omitempty"`
}

// Type is Totp.
func (TOTP) Type() string { return TypeTotp }

// Single: a user holds one TOTP factor.
func (TOTP) Single() bool { return true }

// BeginBind makes a new secret: the page shows it, its otpauth:// URI
// and a QR code of the URI.
func (TOTP) BeginBind(_ context.Context, who Subject, issuer string) ([]byte, Shown, error) {
	key, err := NewTOTPSecret(issuer, orDefault(who.Label, who.UserID))
	if err != nil {
		return nil, nil, err
	}
	return []byte(key.Secret()), showKey(key), nil
}

// Show is the binding page of the secret state, again.
func (TOTP) Show(who Subject, issuer string, state []byte) Shown {
	key, err := TOTPKey(issuer, orDefault(who.Label, who.UserID), string(state))
	if err != nil {
		return Shown{"secret": string(state)}
	}
	return showKey(key)
}

func showKey(key *otp.Key) Shown {
	show := Shown{"secret": key.Secret(), "uri": key.URL()}
	if qr, err := QRCode(key); err == nil {
		show["qr"] = qr
	}
	return show
}

// QRCode is a PNG of key's URI as a data: URL.
func QRCode(key *otp.Key) (string, error) {
	img, err := key.Image(200, 200)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return "", err
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()), nil
}

// FinishBind checks a code of the new secret; the stored document
// remembers its step.
func (TOTP) FinishBind(_ context.Context, _ Subject, state []byte, answer url.Values, now time.Time) ([]byte, []string, error) {
	d := totpData{Secret: string(state)}
	step, ok := matchTOTP(d, answer.Get("code"), now)
	if !ok {
		return nil, nil, ErrWrongAnswer
	}
	d.LastStep = step
	b, err := json.Marshal(d)
	return b, nil, err
}

// Verify checks a code; the document remembers its step.
func (TOTP) Verify(_ context.Context, _ Subject, data []byte, answer url.Values, now time.Time) ([]byte, error) {
	var d totpData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("mfa: malformed totp document: %w", err)
	}
	step, ok := matchTOTP(d, answer.Get("code"), now)
	if !ok {
		return nil, ErrWrongAnswer
	}
	d.LastStep = step
	return json.Marshal(d)
}

// TOTPData is the stored document of a TOTP factor with secret (base32),
// for a factor bound through the Management API.
func TOTPData(secret string) ([]byte, error) {
	if !ValidTOTPSecret(secret) {
		return nil, fmt.Errorf("mfa: the secret is not base32 of 16 to 32 characters")
	}
	secret = strings.TrimRight(secret, "=")
	return json.Marshal(totpData{Secret: secret})
}

// ValidTOTPSecret reports whether secret is one Logto takes: 16 to 32
// characters of upper-case base32, padded or not.
func ValidTOTPSecret(secret string) bool {
	if len(secret) < 16 || len(secret) > 32 {
		return false
	}
	_, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.TrimRight(secret, "="))
	return err == nil && strings.ToUpper(secret) == secret
}

// NewTOTPSecret is a new random secret (base32) and its otpauth:// key
// for the account label at issuer.
func NewTOTPSecret(issuer, label string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{Issuer: issuer, AccountName: label, Period: totpPeriod, SecretSize: 20,
		Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
}

// TOTPKey is the otpauth:// key of secret for the account label at
// issuer.
func TOTPKey(issuer, label, secret string) (*otp.Key, error) {
	u := url.URL{Scheme: "otpauth", Host: "totp", Path: "/" + issuer + ":" + label}
	q := url.Values{"secret": {secret}, "issuer": {issuer}, "algorithm": {"SHA1"}, "digits": {"6"}, "period": {"30"}}
	u.RawQuery = q.Encode()
	return otp.NewKeyFromURL(u.String())
}

// matchTOTP finds the step, one either side of now and after the last
// used, whose code is code.
func matchTOTP(d totpData, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != 6 || d.Secret == "" {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	found, match := int64(0), false
	for step := cur - 1; step <= cur+1; step++ {
		want, err := hotp.GenerateCodeCustom(d.Secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > d.LastStep && !match {
			found, match = step, true
		}
	}
	return found, match
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
