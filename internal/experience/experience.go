// Package experience holds the sign-in experience: Logto's
// SignInExperience (sign-in methods, sign-up identifiers, the password
// policy, branding, languages, terms and privacy links, and the rest of
// Logto's fields), its defaults, and the rules a change must satisfy. The
// hosted pages read it through Get on every request (it is cached); the
// Management API's /api/sign-in-exp, configuration as code and the console
// change it through Update.
//
// The settings are one JSON document in the store. Every instance caches
// the decoded document; a change appends an outbox event, and Apply (a
// subscriber of the outbox follower) drops the cache of every instance.
package experience

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/monban/monban/internal/password"
	"github.com/monban/monban/internal/store"
)

// Channels a verification code is sent through, as Options.HasConnector
// is asked about them.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms"
)

// Options are a Service's settings.
type Options struct {
	// HasConnector reports whether codes can be sent through the channel
	// ("email" or "sms"); nil: through none. A change that needs a channel
	// without a connector (verification-code sign-in, a passwordless
	// sign-up identifier, a forgot-password method) is refused.
	HasConnector func(channel string) bool
	// SignUpDisabled turns sign-up off whatever the stored signInMode says
	// (the server's MONBAN_SIGN_UP=false); the stored settings are left as
	// they are, and GET answers them.
	SignUpDisabled bool
}

// Service reads and changes the sign-in experience. It is safe for
// concurrent use.
type Service struct {
	st   store.SignInExperienceStore
	opts Options

	mu     sync.Mutex // serialises loads and updates
	cached *Settings  // nil: read the store on the next Get

	phraseMu  sync.Mutex
	pageWords map[string]map[string]string // nil: read the store on the next PageWords
	apps      sync.Map                     // application id → *AppSettings (nil: none)
}

// New returns a Service over st.
func New(st store.SignInExperienceStore, opts Options) *Service {
	if opts.HasConnector == nil {
		opts.HasConnector = func(string) bool { return false }
	}
	return &Service{st: st, opts: opts}
}

// Get returns the sign-in experience: the stored one, or the defaults when
// none is stored. It answers from the cache after the first call.
func (s *Service) Get(ctx context.Context) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.load(ctx)
}

// load reads the settings into the cache; s.mu is held.
func (s *Service) load(ctx context.Context) (Settings, error) {
	if s.cached != nil {
		return s.withOptions(*s.cached), nil
	}
	doc, err := s.st.SignInExperience(ctx)
	if errors.Is(err, store.ErrNotFound) {
		// Nothing stored yet: the defaults, until a change's event.
		st := Defaults()
		s.cached = &st
		return s.withOptions(st), nil
	}
	if err != nil {
		return Settings{}, err
	}
	st, err := decodeStored(doc)
	if err != nil {
		return Settings{}, err
	}
	s.cached = &st
	return s.withOptions(st), nil
}

func (s *Service) withOptions(st Settings) Settings {
	st.signUpOff = s.opts.SignUpDisabled
	return st.clone()
}

// Update applies a PATCH in Logto's shape: the top-level fields it names
// replace the stored ones. The result is held to every rule (see Check)
// before it is stored; a refusal is an *Error.
func (s *Service) Update(ctx context.Context, patch json.RawMessage) (Settings, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cur, err := s.load(ctx)
	if err != nil {
		return Settings{}, err
	}
	next, err := applyPatch(cur, patch)
	if err != nil {
		return Settings{}, err
	}
	if err := s.Check(next); err != nil {
		return Settings{}, err
	}
	doc, err := json.Marshal(next)
	if err != nil {
		return Settings{}, fmt.Errorf("experience: %w", err)
	}
	if err := s.st.PutSignInExperience(ctx, doc); err != nil {
		return Settings{}, err
	}
	s.cached = &next
	return s.withOptions(next), nil
}

// Ensure stores the defaults unless settings are stored already (first
// start), so that every instance answers the same document.
func (s *Service) Ensure(ctx context.Context) error {
	doc, err := json.Marshal(Defaults())
	if err != nil {
		return err
	}
	_, err = s.st.EnsureSignInExperience(ctx, doc)
	return err
}

// Forget drops the caches: the next Get, PageWords or App reads the
// store.
func (s *Service) Forget() {
	s.mu.Lock()
	s.cached = nil
	s.mu.Unlock()
	s.forgetPhrases()
	s.apps.Clear()
}

// Apply drops the cache when a batch of outbox events holds a change of
// the sign-in experience (an events.Handler).
func (s *Service) Apply(_ context.Context, evs []store.Event) error {
	for _, ev := range evs {
		if ev.Kind == store.EventSignInExperienceUpdated {
			s.Forget()
			return nil
		}
	}
	return nil
}

// clone copies what the settings share through slices, maps and
// pointers, so that a caller cannot change the cache.
func (st Settings) clone() Settings {
	out := st
	out.TermsOfUse, out.PrivacyPolicy, out.CustomCSS = clonePtr(st.TermsOfUse), clonePtr(st.PrivacyPolicy), clonePtr(st.CustomCSS)
	out.SupportEmail, out.SupportWebsiteURL, out.UnknownSessionRedirectURL = clonePtr(st.SupportEmail), clonePtr(st.SupportWebsiteURL), clonePtr(st.UnknownSessionRedirectURL)
	out.SignIn.Methods = slices.Clone(st.SignIn.Methods)
	out.SignUp.Identifiers = slices.Clone(st.SignUp.Identifiers)
	out.SignUp.SecondaryIdentifiers = slices.Clone(st.SignUp.SecondaryIdentifiers)
	for i, sec := range out.SignUp.SecondaryIdentifiers {
		out.SignUp.SecondaryIdentifiers[i].Verify = clonePtr(sec.Verify)
	}
	out.SocialSignIn = SocialSignIn{AutomaticAccountLinking: clonePtr(st.SocialSignIn.AutomaticAccountLinking), SkipRequiredIdentifiers: clonePtr(st.SocialSignIn.SkipRequiredIdentifiers)}
	out.SocialSignInConnectorTargets = slices.Clone(st.SocialSignInConnectorTargets)
	out.CustomContent = maps.Clone(st.CustomContent)
	out.Policy = st.Policy.clone()
	out.MFA.Factors = slices.Clone(st.MFA.Factors)
	out.AdaptiveMFA.Enabled, out.CaptchaPolicy.Enabled = clonePtr(st.AdaptiveMFA.Enabled), clonePtr(st.CaptchaPolicy.Enabled)
	out.ForgotPasswordMethods = slices.Clone(st.ForgotPasswordMethods)
	for _, raw := range []*json.RawMessage{&out.CustomUIAssets, &out.CustomUICSP, &out.SentinelPolicy, &out.EmailBlocklistPolicy,
		&out.VerificationCodePolicy, &out.PasskeySignIn, &out.SignUpProfileFields, &out.PasswordExpiration, &out.UsernamePolicy} {
		*raw = slices.Clone(*raw)
	}
	return out
}

func (ps PolicySettings) clone() PolicySettings {
	out := PolicySettings{}
	if l := ps.Length; l != nil {
		out.Length = &struct {
			Min *int `json:"min,omitempty"`
			Max *int `json:"max,omitempty"`
		}{clonePtr(l.Min), clonePtr(l.Max)}
	}
	if c := ps.CharacterTypes; c != nil {
		out.CharacterTypes = &struct {
			Min *int `json:"min,omitempty"`
		}{clonePtr(c.Min)}
	}
	if r := ps.Rejects; r != nil {
		out.Rejects = &struct {
			Pwned                 *bool    `json:"pwned,omitempty"`
			RepetitionAndSequence *bool    `json:"repetitionAndSequence,omitempty"`
			UserInfo              *bool    `json:"userInfo,omitempty"`
			Words                 []string `json:"words,omitempty"`
		}{clonePtr(r.Pwned), clonePtr(r.RepetitionAndSequence), clonePtr(r.UserInfo), slices.Clone(r.Words)}
	}
	return out
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

// PasswordPolicy returns the password policy in force, for the directory
// (directory.Config.PasswordPolicy).
func (s *Service) PasswordPolicy(ctx context.Context) (password.Policy, error) {
	st, err := s.Get(ctx)
	if err != nil {
		return password.Policy{}, err
	}
	return st.PasswordPolicy(), nil
}

// CheckPatch reports whether Update would accept patch now, without
// storing anything.
func (s *Service) CheckPatch(ctx context.Context, patch json.RawMessage) error {
	cur, err := s.Get(ctx)
	if err != nil {
		return err
	}
	next, err := applyPatch(cur, patch)
	if err != nil {
		return err
	}
	return s.Check(next)
}
