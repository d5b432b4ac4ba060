package declare

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"

	"github.com/monban/monban/internal/experience"
)

// The sign-in experience: the document holds Logto's fields
// (/api/sign-in-exp) as a partial object; the fields it names replace the
// server's, the others are left alone. The rules are the experience
// package's.

// ExperienceTarget is a Target that keeps the sign-in experience. A
// document that declares one is refused by a target that is not one, or
// whose Read gives no State.SignInExperience.
type ExperienceTarget interface {
	Target
	// CheckSignInExperience reports whether the target would accept the
	// change, before the first write; a target that cannot tell returns
	// nil and leaves it to the write.
	CheckSignInExperience(ctx context.Context, patch json.RawMessage) error
	UpdateSignInExperience(ctx context.Context, patch json.RawMessage) error
}

// readOnlyExperience are the fields a document neither declares nor
// exports.
var readOnlyExperience = []string{"id", "tenantId"}

// exportedExperience are the fields an export always names, the ones the
// hosted pages act on; another field is exported when it is not Logto's
// default.
var exportedExperience = []string{"color", "branding", "languageInfo", "termsOfUseUrl", "privacyPolicyUrl", "agreeToTermsPolicy",
	"signIn", "signUp", "signInMode", "passwordPolicy", "forgotPasswordMethods"}

// experienceMap is settings as the document's object.
func experienceMap(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	err = json.Unmarshal(b, &m)
	return m, err
}

// exportExperience is what an export declares of the sign-in experience
// cur: the fields the pages act on, and any other that is not the default.
func exportExperience(cur map[string]any) map[string]any {
	if cur == nil {
		return nil
	}
	defaults, _ := experienceMap(experience.Defaults())
	out := map[string]any{}
	for k, v := range cur {
		switch {
		case slices.Contains(readOnlyExperience, k):
		case slices.Contains(exportedExperience, k), show(v) != show(defaults[k]):
			out[k] = v
		}
	}
	return out
}

func (p *planner) signInExperience() {
	want := p.want.SignInExperience
	if len(want) == 0 {
		return
	}
	et, ok := p.t.(ExperienceTarget)
	if !ok || p.st.SignInExperience == nil {
		p.problem("signInExperience: this server does not keep a sign-in experience; remove the signInExperience section")
		return
	}
	f := fields{}
	changed := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if slices.Contains(readOnlyExperience, k) {
			continue
		}
		if was := p.st.SignInExperience[k]; show(was) != show(want[k]) {
			f.set(k, was, want[k])
			changed[k] = want[k]
		}
	}
	patch, err := json.Marshal(want)
	if err != nil {
		p.problem("signInExperience: %v", err)
		return
	}
	p.checked("signInExperience", et.CheckSignInExperience(context.Background(), patch))
	if len(changed) == 0 {
		return
	}
	p.add(Change{Op: Update, Kind: "sign-in experience", Key: experience.DefaultID, Lines: f.lines, do: func(ctx context.Context, _ *run) error {
		return et.UpdateSignInExperience(ctx, patch)
	}})
}

var _ ExperienceTarget = (*Offline)(nil)

// errNoExperience is the refusal of an Offline target without an
// experience service; a plan does not get this far (see Make).
var errNoExperience = errors.New("this server does not keep a sign-in experience")

// readExperience is the database's sign-in experience, or nil without an
// experience service.
func (o *Offline) readExperience(ctx context.Context) (map[string]any, error) {
	if o.Experience == nil {
		return nil, nil
	}
	st, err := o.Experience.Get(ctx)
	if err != nil {
		return nil, err
	}
	return experienceMap(st)
}

// CheckSignInExperience implements ExperienceTarget.
func (o *Offline) CheckSignInExperience(ctx context.Context, patch json.RawMessage) error {
	if o.Experience == nil {
		return errNoExperience
	}
	return o.Experience.CheckPatch(ctx, patch)
}

// UpdateSignInExperience implements ExperienceTarget.
func (o *Offline) UpdateSignInExperience(ctx context.Context, patch json.RawMessage) error {
	if o.Experience == nil {
		return errNoExperience
	}
	_, err := o.Experience.Update(ctx, patch)
	return err
}

var _ ExperienceTarget = (*Remote)(nil)

// readExperience is the server's sign-in experience; nil when it has no
// such route.
func (r *Remote) readExperience(ctx context.Context) (map[string]any, error) {
	var out map[string]any
	_, err := r.call(ctx, http.MethodGet, "/api/sign-in-exp", nil, &out)
	var re *RemoteError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return nil, nil
	}
	return out, err
}

// CheckSignInExperience implements ExperienceTarget: the server judges
// the change when it is written.
func (r *Remote) CheckSignInExperience(context.Context, json.RawMessage) error { return nil }

// UpdateSignInExperience implements ExperienceTarget.
func (r *Remote) UpdateSignInExperience(ctx context.Context, patch json.RawMessage) error {
	_, err := r.call(ctx, http.MethodPatch, "/api/sign-in-exp", patch, nil)
	return err
}
