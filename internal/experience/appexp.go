package experience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/monban/monban/internal/store"
)

// AppSettings is Logto's application sign-in experience: an
// application's own branding, terms and privacy links and display name,
// which the hosted pages show instead of the sign-in experience's when
// the sign-in is that application's.
type AppSettings struct {
	TenantID         string      `json:"tenantId"`
	ApplicationID    string      `json:"applicationId"`
	Color            AppColor    `json:"color"`
	Branding         AppBranding `json:"branding"`
	CustomCSS        *string     `json:"customCss"`
	TermsOfUseURL    *string     `json:"termsOfUseUrl"`
	PrivacyPolicyURL *string     `json:"privacyPolicyUrl"`
	DisplayName      *string     `json:"displayName"`
}

// AppColor is Logto's PartialColor: what is left out is the sign-in
// experience's.
type AppColor struct {
	PrimaryColor      string `json:"primaryColor,omitempty"`
	IsDarkModeEnabled *bool  `json:"isDarkModeEnabled,omitempty"`
	DarkPrimaryColor  string `json:"darkPrimaryColor,omitempty"`
}

// AppBranding is Logto's Branding.
type AppBranding struct {
	LogoURL     string `json:"logoUrl,omitempty"`
	DarkLogoURL string `json:"darkLogoUrl,omitempty"`
	Favicon     string `json:"favicon,omitempty"`
	DarkFavicon string `json:"darkFavicon,omitempty"`
}

// MaxAppBodyBytes bounds an application sign-in experience's JSON.
const MaxAppBodyBytes = 16 << 10

const maxDisplayName = 256

// appBody is the body of PUT: every field optional; what it leaves out
// keeps its stored value.
type appBody struct {
	Color            *AppColor       `json:"color"`
	Branding         *AppBranding    `json:"branding"`
	CustomCSS        json.RawMessage `json:"customCss"`
	TermsOfUseURL    json.RawMessage `json:"termsOfUseUrl"`
	PrivacyPolicyURL json.RawMessage `json:"privacyPolicyUrl"`
	DisplayName      json.RawMessage `json:"displayName"`
}

// App returns the sign-in experience of application appID; found is false
// when it has none. It answers from a cache that a change drops.
func (s *Service) App(ctx context.Context, appID string) (st AppSettings, found bool, err error) {
	if v, ok := s.apps.Load(appID); ok {
		if p := v.(*AppSettings); p != nil {
			return *p, true, nil
		}
		return AppSettings{}, false, nil
	}
	doc, err := s.text().AppSignInExperience(ctx, appID)
	if errors.Is(err, store.ErrNotFound) {
		s.apps.Store(appID, (*AppSettings)(nil))
		return AppSettings{}, false, nil
	}
	if err != nil {
		return AppSettings{}, false, err
	}
	if err := json.Unmarshal(doc, &st); err != nil {
		return AppSettings{}, false, fmt.Errorf("experience: stored application sign-in experience: %w", err)
	}
	st.TenantID, st.ApplicationID = "default", appID
	s.apps.Store(appID, &st)
	return st, true, nil
}

// PutApp applies Logto's PUT body to the sign-in experience of appID
// (created when it has none: created reports it). An application that
// does not exist is a 404 *Error.
func (s *Service) PutApp(ctx context.Context, appID string, body json.RawMessage) (AppSettings, bool, error) {
	if len(body) > MaxAppBodyBytes {
		return AppSettings{}, false, invalid(fmt.Sprintf("the body is larger than %d bytes", MaxAppBodyBytes))
	}
	var b appBody
	if err := strictDecode(body, &b); err != nil {
		return AppSettings{}, false, invalid("the body: " + plain(err))
	}
	cur, _, err := s.App(ctx, appID)
	if err != nil {
		return AppSettings{}, false, err
	}
	cur.TenantID, cur.ApplicationID = "default", appID
	if b.Color != nil {
		cur.Color = *b.Color
	}
	if b.Branding != nil {
		cur.Branding = *b.Branding
	}
	for _, f := range []struct {
		name string
		raw  json.RawMessage
		dst  **string
	}{
		{"customCss", b.CustomCSS, &cur.CustomCSS}, {"termsOfUseUrl", b.TermsOfUseURL, &cur.TermsOfUseURL},
		{"privacyPolicyUrl", b.PrivacyPolicyURL, &cur.PrivacyPolicyURL}, {"displayName", b.DisplayName, &cur.DisplayName},
	} {
		if f.raw == nil {
			continue
		}
		var v *string
		if err := json.Unmarshal(f.raw, &v); err != nil {
			return AppSettings{}, false, invalid(f.name + " must be a string or null")
		}
		*f.dst = v
	}
	if err := checkApp(cur); err != nil {
		return AppSettings{}, false, err
	}
	doc, err := json.Marshal(cur)
	if err != nil {
		return AppSettings{}, false, err
	}
	created, err := s.text().PutAppSignInExperience(ctx, appID, doc)
	if errors.Is(err, store.ErrNotFound) {
		return AppSettings{}, false, AppNotFound(appID)
	}
	if err != nil {
		return AppSettings{}, false, err
	}
	s.apps.Delete(appID)
	return cur, created, nil
}

// AppNotFound is Logto's answer for an application, or its sign-in
// experience, that does not exist.
func AppNotFound(appID string) *Error {
	return &Error{Code: "entity.not_exists_with_id", Status: 404,
		Message: fmt.Sprintf("The entity with ID `%s` does not exist.", bounded(appID))}
}

// checkApp holds an application sign-in experience to Logto's guard, and
// refuses customCss, which the hosted pages do not apply.
func checkApp(st AppSettings) error {
	for name, c := range map[string]string{"color.primaryColor": st.Color.PrimaryColor, "color.darkPrimaryColor": st.Color.DarkPrimaryColor} {
		if c != "" && !hexColor.MatchString(c) {
			return invalid(name + " must be a hex color such as #6139F6")
		}
	}
	for name, v := range map[string]string{
		"branding.logoUrl": st.Branding.LogoURL, "branding.darkLogoUrl": st.Branding.DarkLogoURL,
		"branding.favicon": st.Branding.Favicon, "branding.darkFavicon": st.Branding.DarkFavicon,
	} {
		if v != "" && !isURL(v) {
			return invalid(name + " must be an http or https URL")
		}
	}
	for name, v := range map[string]*string{"termsOfUseUrl": st.TermsOfUseURL, "privacyPolicyUrl": st.PrivacyPolicyURL} {
		if v != nil && *v != "" && !isURL(*v) {
			return invalid(name + " must be an http or https URL, \"\" or null")
		}
	}
	if v := st.DisplayName; v != nil && utf8.RuneCountInString(*v) > maxDisplayName {
		return invalid(fmt.Sprintf("displayName must be at most %d characters", maxDisplayName))
	}
	if st.CustomCSS != nil && *st.CustomCSS != "" {
		return &Error{Code: CodeNotSupported, Status: 400, Message: "Input is invalid. customCss is not supported by this server (the hosted pages apply no custom CSS)"}
	}
	return nil
}
