package experience

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MaxPatchBytes bounds a change's JSON.
const MaxPatchBytes = 256 << 10

// field is one top-level field of a PATCH: how it is decoded into the
// settings. A nil set marks a field Logto's guard strips (read-only).
type field struct {
	set      func(st *Settings, raw json.RawMessage) error
	nullable bool // null is a value ("none"), not a mistake
}

// into decodes raw strictly into *dst.
func into[T any](dst func(*Settings) *T) func(*Settings, json.RawMessage) error {
	return func(st *Settings, raw json.RawMessage) error {
		var v T
		if err := strictDecode(raw, &v); err != nil {
			return err
		}
		*dst(st) = v
		return nil
	}
}

// rawObject keeps raw when it is a JSON object.
func rawObject(dst func(*Settings) *json.RawMessage) func(*Settings, json.RawMessage) error {
	return func(st *Settings, raw json.RawMessage) error {
		var v map[string]json.RawMessage
		if err := strictDecode(raw, &v); err != nil || v == nil {
			return errors.New("must be an object")
		}
		*dst(st) = compact(raw)
		return nil
	}
}

// fields are the top-level fields of Logto's sign-in experience.
var fields = map[string]field{
	"tenantId":           {},
	"id":                 {},
	"color":              {set: into(func(s *Settings) *Color { return &s.Color })},
	"branding":           {set: into(func(s *Settings) *Logos { return &s.Logos })},
	"hideLogtoBranding":  {set: into(func(s *Settings) *bool { return &s.HideLogtoBranding })},
	"languageInfo":       {set: into(func(s *Settings) *LanguageInfo { return &s.LanguageInfo })},
	"termsOfUseUrl":      {set: into(func(s *Settings) **string { return &s.TermsOfUse }), nullable: true},
	"privacyPolicyUrl":   {set: into(func(s *Settings) **string { return &s.PrivacyPolicy }), nullable: true},
	"agreeToTermsPolicy": {set: into(func(s *Settings) *string { return &s.AgreeToTermsPolicy })},
	"signIn":             {set: into(func(s *Settings) *SignIn { return &s.SignIn })},
	"signUp":             {set: into(func(s *Settings) *SignUp { return &s.SignUp })},
	"socialSignIn":       {set: into(func(s *Settings) *SocialSignIn { return &s.SocialSignIn })},
	"socialSignInConnectorTargets": {set: into(func(s *Settings) *[]string {
		return &s.SocialSignInConnectorTargets
	})},
	"signInMode":                {set: into(func(s *Settings) *string { return &s.SignInMode })},
	"customCss":                 {set: into(func(s *Settings) **string { return &s.CustomCSS }), nullable: true},
	"customContent":             {set: into(func(s *Settings) *map[string]string { return &s.CustomContent })},
	"customUiAssets":            {set: rawOrNull(func(s *Settings) *json.RawMessage { return &s.CustomUIAssets }), nullable: true},
	"customUiCsp":               {set: rawObject(func(s *Settings) *json.RawMessage { return &s.CustomUICSP })},
	"passwordPolicy":            {set: into(func(s *Settings) *PolicySettings { return &s.Policy })},
	"mfa":                       {set: into(func(s *Settings) *MFA { return &s.MFA })},
	"adaptiveMfa":               {set: into(func(s *Settings) *Toggle { return &s.AdaptiveMFA })},
	"singleSignOnEnabled":       {set: into(func(s *Settings) *bool { return &s.SingleSignOnEnabled })},
	"supportEmail":              {set: into(func(s *Settings) **string { return &s.SupportEmail }), nullable: true},
	"supportWebsiteUrl":         {set: into(func(s *Settings) **string { return &s.SupportWebsiteURL }), nullable: true},
	"unknownSessionRedirectUrl": {set: into(func(s *Settings) **string { return &s.UnknownSessionRedirectURL }), nullable: true},
	"captchaPolicy":             {set: into(func(s *Settings) *Toggle { return &s.CaptchaPolicy })},
	"sentinelPolicy":            {set: rawObject(func(s *Settings) *json.RawMessage { return &s.SentinelPolicy })},
	"emailBlocklistPolicy":      {set: rawObject(func(s *Settings) *json.RawMessage { return &s.EmailBlocklistPolicy })},
	"verificationCodePolicy":    {set: rawObject(func(s *Settings) *json.RawMessage { return &s.VerificationCodePolicy })},
	"forgotPasswordMethods":     {set: into(func(s *Settings) *[]string { return &s.ForgotPasswordMethods })},
	"passkeySignIn":             {set: rawObject(func(s *Settings) *json.RawMessage { return &s.PasskeySignIn })},
	"signUpProfileFields":       {set: rawOrNull(func(s *Settings) *json.RawMessage { return &s.SignUpProfileFields }), nullable: true},
	"passwordExpiration":        {set: rawObject(func(s *Settings) *json.RawMessage { return &s.PasswordExpiration })},
	"usernamePolicy":            {set: rawObject(func(s *Settings) *json.RawMessage { return &s.UsernamePolicy })},
}

// rawOrNull keeps raw as it is (null included); Check judges it.
func rawOrNull(dst func(*Settings) *json.RawMessage) func(*Settings, json.RawMessage) error {
	return func(st *Settings, raw json.RawMessage) error {
		var v any
		if err := strictDecode(raw, &v); err != nil {
			return err
		}
		*dst(st) = compact(raw)
		return nil
	}
}

// applyPatch returns cur with the fields patch names replaced. A patch
// that is not a JSON object, names a field Logto does not have, or gives a
// field a value of the wrong shape is refused with guard.invalid_input.
func applyPatch(cur Settings, patch json.RawMessage) (Settings, error) {
	if len(patch) > MaxPatchBytes {
		return cur, invalid(fmt.Sprintf("the body is larger than %d bytes", MaxPatchBytes))
	}
	var top map[string]json.RawMessage
	if err := strictDecode(patch, &top); err != nil || top == nil {
		return cur, invalid("the body must be a JSON object")
	}
	next := cur.clone()
	for _, name := range sortedKeys(top) {
		raw := top[name]
		f, ok := fields[name]
		if !ok {
			return cur, invalid(fmt.Sprintf("%s is not a field of the sign-in experience", name))
		}
		if f.set == nil {
			continue
		}
		if isNull(raw) && !f.nullable {
			return cur, invalid(name + " cannot be null")
		}
		if err := f.set(&next, raw); err != nil {
			return cur, invalid(fmt.Sprintf("%s: %v", name, plain(err)))
		}
	}
	return next, nil
}

// decodeStored reads a stored document; a field missing from it (stored
// by an older release) keeps its default.
func decodeStored(doc []byte) (Settings, error) {
	st := Defaults()
	if err := json.Unmarshal(doc, &st); err != nil {
		return Settings{}, fmt.Errorf("experience: stored settings: %w", err)
	}
	return st, nil
}

func strictDecode(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("unexpected data after the value")
	}
	return nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

func sortedKeys(m map[string]json.RawMessage) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// plain turns a decoding error into words that name no Go type.
func plain(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s has the wrong type (a JSON %s)", te.Field, te.Value)
		}
		return fmt.Sprintf("wrong type (a JSON %s)", te.Value)
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	return msg
}
