package connector

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// Logto's /api/email-templates: templates per language and usage type,
// which the e-mail connector prefers to its config's own.

// TemplateInput is one template of a PUT.
type TemplateInput struct {
	LanguageTag  string
	TemplateType string
	Details      Details
}

// DetailsPatch is a partial change of a template's details.
type DetailsPatch struct {
	Subject, Content, ContentType, ReplyTo, SendFrom *string
}

// maxTemplates bounds the templates of one PUT.
const maxTemplates = 100

func checkFilter(f store.TemplateFilter) error {
	if f.LanguageTag != "" && !ValidLanguageTag(f.LanguageTag) {
		return errorf(InvalidInput, "languageTag must be a language tag such as en or ja-JP")
	}
	if f.TemplateType != "" && !ValidTemplateType(f.TemplateType) {
		return errorf(InvalidInput, "templateType must be one of Logto's template types (SignIn, Register, ForgotPassword, Generic, ...)")
	}
	return nil
}

// Templates returns the templates matching f, oldest first.
func (s *Service) Templates(ctx context.Context, f store.TemplateFilter) ([]store.EmailTemplate, error) {
	if err := checkFilter(f); err != nil {
		return nil, err
	}
	return s.st.ListEmailTemplates(ctx, f)
}

// PutTemplates stores each template in place of the one of its language
// and type.
func (s *Service) PutTemplates(ctx context.Context, in []TemplateInput) ([]store.EmailTemplate, error) {
	if len(in) == 0 || len(in) > maxTemplates {
		return nil, errorf(InvalidInput, "templates must hold 1 to %d templates", maxTemplates)
	}
	now := s.now()
	ts := make([]store.EmailTemplate, len(in))
	seen := map[store.TemplateFilter]bool{}
	for i, t := range in {
		key := store.TemplateFilter{LanguageTag: t.LanguageTag, TemplateType: t.TemplateType}
		switch {
		case t.LanguageTag == "" || t.TemplateType == "":
			return nil, errorf(InvalidInput, "templates[%d]: languageTag and templateType are required", i)
		case seen[key]:
			return nil, errorf(InvalidInput, "templates[%d]: %s/%s is given twice", i, t.LanguageTag, t.TemplateType)
		}
		seen[key] = true
		if err := checkFilter(key); err != nil {
			return nil, err
		}
		if err := t.Details.Check(); err != nil {
			return nil, errorf(InvalidInput, "templates[%d].%s", i, err.Error())
		}
		details, _ := json.Marshal(t.Details) // strings always encode
		ts[i] = store.EmailTemplate{ID: randid.ID(), LanguageTag: t.LanguageTag, TemplateType: t.TemplateType, Details: details, CreatedAt: now}
	}
	return s.st.UpsertEmailTemplates(ctx, ts)
}

func templateNotFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errorf(TemplateMissing, "email template %q not found", id)
	}
	return err
}

// Template returns the template with the id.
func (s *Service) Template(ctx context.Context, id string) (store.EmailTemplate, error) {
	t, err := s.st.GetEmailTemplate(ctx, id)
	return t, templateNotFound(err, id)
}

// PatchTemplate changes the details p sets.
func (s *Service) PatchTemplate(ctx context.Context, id string, p DetailsPatch) (store.EmailTemplate, error) {
	t, err := s.Template(ctx, id)
	if err != nil {
		return t, err
	}
	d, err := parseDetails(t.Details)
	if err != nil {
		d = Details{}
	}
	for _, f := range []struct {
		from *string
		to   *string
	}{{p.Subject, &d.Subject}, {p.Content, &d.Content}, {p.ContentType, &d.ContentType}, {p.ReplyTo, &d.ReplyTo}, {p.SendFrom, &d.SendFrom}} {
		if f.from != nil {
			*f.to = *f.from
		}
	}
	if err := d.Check(); err != nil {
		return t, err
	}
	details, _ := json.Marshal(d)
	t, err = s.st.UpdateEmailTemplate(ctx, id, details)
	return t, templateNotFound(err, id)
}

// DeleteTemplate removes a template.
func (s *Service) DeleteTemplate(ctx context.Context, id string) error {
	return templateNotFound(s.st.DeleteEmailTemplate(ctx, id), id)
}

// DeleteTemplates removes the templates matching f, which must name a
// language or a type, and says how many went.
func (s *Service) DeleteTemplates(ctx context.Context, f store.TemplateFilter) (int, error) {
	if f.LanguageTag == "" && f.TemplateType == "" {
		return 0, errorf(NoFilter, "at least one filter must be given: languageTag or templateType")
	}
	if err := checkFilter(f); err != nil {
		return 0, err
	}
	return s.st.DeleteEmailTemplates(ctx, f)
}
