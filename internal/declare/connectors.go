package declare

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/connector"
	"github.com/monban/monban/internal/store"
)

// Message connectors and e-mail templates: the rules are the connector
// package's (factories, configs, template types). A connector's secrets
// are ${NAME} references in the document, never printed in a plan and
// never exported. Applied to a database, a plan compares secrets by
// digest; over the Management API, which never answers them, a secret
// changed alone is not seen (it is written with any other change of the
// connector, or through the console or the Management API).

// Connector is a message connector: an e-mail or SMS sender.
type Connector struct {
	ConnectorID string         `yaml:"connectorId" doc:"The connector factory (GET /api/connector-factories): simple-mail-transfer-protocol, http-sms or twilio-short-message-service. The connector's key: one e-mail and one SMS connector at a time." schema:"required"`
	Config      map[string]any `yaml:"config" doc:"The factory's configuration, in Logto's shape. Write secrets (SMTP auth.pass and auth.accessToken, HTTP SMS authorization and signingKey, Twilio authToken) as ${NAME} environment references." schema:"required"`
}

// EmailTemplate is an e-mail template of a language and usage type.
type EmailTemplate struct {
	LanguageTag  string `yaml:"languageTag" doc:"The language tag, such as en or ja." schema:"required"`
	TemplateType string `yaml:"templateType" doc:"Logto's template type: SignIn, Register, ForgotPassword, Generic, ..." schema:"required"`
	Subject      string `yaml:"subject" doc:"The subject; {{code}} is the one-time code." schema:"required"`
	Content      string `yaml:"content" doc:"The body; {{code}} is the one-time code." schema:"required"`
	ContentType  string `yaml:"contentType,omitempty" doc:"text/plain or text/html; default text/plain."`
	ReplyTo      string `yaml:"replyTo,omitempty" doc:"A reply-to address."`
	SendFrom     string `yaml:"sendFrom,omitempty" doc:"The sender's display name."`
}

// StateConnector is a connector as it is, without its secrets. Secrets
// holds a digest of each secret when the target can read them (a
// database), so that a changed secret is seen; nil over the Management
// API, which never answers them.
type StateConnector struct {
	ID string
	Connector
	Secrets map[string]string
}

// secretDigests are the digests of the secrets of config, by dotted path.
func secretDigests(factory string, config map[string]any) map[string]string {
	f, _ := connector.FactoryByID(factory)
	out := map[string]string{}
	for _, p := range f.SecretPaths() {
		if v, ok := valueAt(config, p); ok {
			sum := sha256.Sum256([]byte(show(v)))
			out[strings.Join(p, ".")] = hex.EncodeToString(sum[:])
		}
	}
	return out
}

// StateEmailTemplate is an e-mail template as it is.
type StateEmailTemplate struct {
	ID string
	EmailTemplate
}

// ConnectorTarget is a Target that keeps connectors and e-mail
// templates. A document that declares either is refused by a target that
// is not one, or whose Read gives no State.Connectors.
type ConnectorTarget interface {
	Target
	CreateConnector(ctx context.Context, c Connector) error
	// UpdateConnector sets c's config; a secret it leaves out keeps its
	// stored value.
	UpdateConnector(ctx context.Context, id string, c Connector) error
	DeleteConnector(ctx context.Context, id string) error
	PutEmailTemplates(ctx context.Context, ts []EmailTemplate) error
	DeleteEmailTemplate(ctx context.Context, id string) error
}

// templateKey is how a document names a template.
func templateKey(t EmailTemplate) string { return t.LanguageTag + "/" + t.TemplateType }

// publicConfig is c's config without its secrets, as a server answers it.
func publicConfig(c Connector) (map[string]any, error) {
	f, ok := connector.FactoryByID(c.ConnectorID)
	if !ok {
		return nil, errors.New("no connector factory " + show(c.ConnectorID) + " (GET /api/connector-factories lists them)")
	}
	raw, err := json.Marshal(c.Config)
	if err != nil {
		return nil, err
	}
	if err := f.Check(raw); err != nil {
		return nil, err
	}
	var out map[string]any
	err = json.Unmarshal(f.Public(raw), &out)
	return out, err
}

// secretLines are the plan's lines for the secrets c sets: named, never
// shown.
func secretLines(c Connector) []string {
	f, _ := connector.FactoryByID(c.ConnectorID)
	var out []string
	for _, p := range f.SecretPaths() {
		if _, ok := valueAt(c.Config, p); ok {
			out = append(out, "config."+strings.Join(p, ".")+": (sensitive value)")
		}
	}
	return out
}

func valueAt(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, k := range path {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = obj[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

func setAt(m map[string]any, path []string, v any) {
	for _, k := range path[:len(path)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// connectorReference is the environment variable an export names for a
// connector's secret: CONNECTOR_<FACTORY>_<PATH>.
func connectorReference(factory string, path []string) string {
	return "CONNECTOR_" + envWord(factory) + "_" + envWord(strings.Join(path, "_"))
}

// exportConnector is c as an export declares it: its secrets as
// references to environment variables (those the target holds, when it
// tells; else every secret of the factory whose object is there).
func exportConnector(s StateConnector) Connector {
	c := s.Connector
	f, ok := connector.FactoryByID(c.ConnectorID)
	if !ok {
		return c
	}
	b, _ := json.Marshal(c.Config)
	var cfg map[string]any
	_ = json.Unmarshal(b, &cfg)
	if cfg == nil {
		cfg = map[string]any{}
	}
	for _, p := range f.SecretPaths() {
		if _, held := s.Secrets[strings.Join(p, ".")]; s.Secrets != nil && !held {
			continue
		}
		parent := p[:len(p)-1]
		if _, ok := valueAt(cfg, parent); len(parent) == 0 || ok {
			setAt(cfg, p, "${"+connectorReference(c.ConnectorID, p)+"}")
		}
	}
	return Connector{ConnectorID: c.ConnectorID, Config: cfg}
}

func (p *planner) connectors() {
	want, wantT := p.want.Connectors, p.want.EmailTemplates
	ct, ok := p.t.(ConnectorTarget)
	if !ok || p.st.Connectors == nil {
		if len(want) == 0 && len(wantT) == 0 {
			return
		}
		p.problem("connectors: this server does not keep connectors; remove the connectors and emailTemplates sections")
		return
	}
	seen := map[string]bool{}
	types := map[connector.Type]string{}
	for i, c := range want {
		pub, err := publicConfig(c)
		if err != nil {
			p.problem("connectors[%d] (%s): %v", i, c.ConnectorID, err)
			continue
		}
		f, _ := connector.FactoryByID(c.ConnectorID)
		if seen[c.ConnectorID] {
			p.problem("connectors[%d]: %s is declared twice", i, c.ConnectorID)
			continue
		}
		if other, dup := types[f.Type]; dup {
			p.problem("connectors[%d]: %s and %s are both %s connectors; a server has one of each type", i, other, c.ConnectorID, f.Type)
			continue
		}
		seen[c.ConnectorID], types[f.Type] = true, c.ConnectorID
		c := c
		i := slices.IndexFunc(p.st.Connectors, func(s StateConnector) bool { return s.ConnectorID == c.ConnectorID })
		if i < 0 {
			fl := fields{create: true}
			for _, k := range sortedKeys(pub) {
				fl.set("config."+k, nil, pub[k])
			}
			p.add(Change{Op: Create, Kind: "connector", Key: c.ConnectorID, Lines: append(fl.lines, secretLines(c)...),
				do: func(ctx context.Context, _ *run) error { return ct.CreateConnector(ctx, c) }})
			continue
		}
		cur := p.st.Connectors[i]
		fl := fields{}
		for _, k := range sortedKeys(pub, cur.Config) {
			fl.set("config."+k, cur.Config[k], pub[k])
		}
		if cur.Secrets != nil {
			for path, d := range secretDigests(c.ConnectorID, c.Config) {
				if cur.Secrets[path] != d {
					fl.lines = append(fl.lines, "config."+path+": (sensitive value changed)")
				}
			}
			slices.Sort(fl.lines)
		}
		if len(fl.lines) == 0 {
			continue
		}
		if cur.Secrets == nil {
			fl.lines = append(fl.lines, secretLines(c)...)
		}
		p.add(Change{Op: Update, Kind: "connector", Key: c.ConnectorID, Lines: fl.lines,
			do: func(ctx context.Context, _ *run) error { return ct.UpdateConnector(ctx, cur.ID, c) }})
	}
	for _, s := range p.st.Connectors {
		if !seen[s.ConnectorID] {
			id := s.ID
			p.remove(Change{Op: Delete, Kind: "connector", Key: s.ConnectorID,
				do: func(ctx context.Context, _ *run) error { return ct.DeleteConnector(ctx, id) }}, "connector "+show(s.ConnectorID))
		}
	}
	p.emailTemplates(ct, wantT)
}

func (p *planner) emailTemplates(ct ConnectorTarget, want []EmailTemplate) {
	seen := map[string]bool{}
	var f fields
	for i, t := range want {
		key := templateKey(t)
		switch {
		case !connector.ValidLanguageTag(t.LanguageTag):
			p.problem("emailTemplates[%d]: languageTag must be a language tag such as en or ja-JP", i)
			continue
		case !connector.ValidTemplateType(t.TemplateType):
			p.problem("emailTemplates[%d]: templateType must be one of Logto's template types (SignIn, Register, ForgotPassword, Generic, ...)", i)
			continue
		case seen[key]:
			p.problem("emailTemplates[%d]: %s is declared twice", i, key)
			continue
		}
		seen[key] = true
		j := slices.IndexFunc(p.st.EmailTemplates, func(s StateEmailTemplate) bool { return templateKey(s.EmailTemplate) == key })
		if j >= 0 && p.st.EmailTemplates[j].EmailTemplate == t {
			continue
		}
		f = fields{create: j < 0}
		var was EmailTemplate
		if j >= 0 {
			was = p.st.EmailTemplates[j].EmailTemplate
		}
		f.set("subject", was.Subject, t.Subject)
		f.set("content", was.Content, t.Content)
		f.set("contentType", was.ContentType, t.ContentType)
		f.set("replyTo", was.ReplyTo, t.ReplyTo)
		f.set("sendFrom", was.SendFrom, t.SendFrom)
		op := Update
		if j < 0 {
			op = Create
		}
		t := t
		p.add(Change{Op: op, Kind: "e-mail template", Key: key, Lines: f.lines,
			do: func(ctx context.Context, _ *run) error { return ct.PutEmailTemplates(ctx, []EmailTemplate{t}) }})
	}
	for _, s := range p.st.EmailTemplates {
		if key := templateKey(s.EmailTemplate); !seen[key] {
			id := s.ID
			p.remove(Change{Op: Delete, Kind: "e-mail template", Key: key,
				do: func(ctx context.Context, _ *run) error { return ct.DeleteEmailTemplate(ctx, id) }}, "e-mail template "+show(key))
		}
	}
}

func sortedKeys(ms ...map[string]any) []string {
	var keys []string
	for _, m := range ms {
		for k := range m {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return slices.Compact(keys)
}

// normalTemplates fills in the default content type.
func normalTemplates(ts []EmailTemplate) []EmailTemplate {
	out := slices.Clone(ts)
	for i := range out {
		if out[i].ContentType == "" {
			out[i].ContentType = "text/plain"
		}
	}
	return out
}

func sortConnectors(cs []Connector) {
	slices.SortStableFunc(cs, func(a, b Connector) int { return cmp.Compare(a.ConnectorID, b.ConnectorID) })
}

func sortTemplates(ts []EmailTemplate) {
	slices.SortStableFunc(ts, func(a, b EmailTemplate) int { return cmp.Compare(templateKey(a), templateKey(b)) })
}

// Offline: through the connector service.

var _ ConnectorTarget = (*Offline)(nil)

var errNoConnectors = errors.New("this server does not keep connectors")

func (o *Offline) readConnectors(ctx context.Context) ([]StateConnector, []StateEmailTemplate, error) {
	if o.Connectors == nil {
		return nil, nil, nil
	}
	list, err := o.Connectors.Connectors(ctx)
	if err != nil {
		return nil, nil, err
	}
	cs := []StateConnector{}
	for _, v := range list {
		var cfg, full map[string]any
		if err := json.Unmarshal(v.PublicConfig(), &cfg); err != nil {
			return nil, nil, err
		}
		if err := json.Unmarshal(v.Config, &full); err != nil {
			return nil, nil, err
		}
		cs = append(cs, StateConnector{ID: v.ID, Connector: Connector{ConnectorID: v.ConnectorID, Config: cfg},
			Secrets: secretDigests(v.ConnectorID, full)})
	}
	tl, err := o.Connectors.Templates(ctx, store.TemplateFilter{})
	if err != nil {
		return nil, nil, err
	}
	ts := []StateEmailTemplate{}
	for _, t := range tl {
		ts = append(ts, StateEmailTemplate{ID: t.ID, EmailTemplate: templateOf(t)})
	}
	return cs, ts, nil
}

func templateOf(t store.EmailTemplate) EmailTemplate {
	var d connector.Details
	_ = json.Unmarshal(t.Details, &d)
	return normalTemplates([]EmailTemplate{{LanguageTag: t.LanguageTag, TemplateType: t.TemplateType, Subject: d.Subject, Content: d.Content,
		ContentType: d.ContentType, ReplyTo: d.ReplyTo, SendFrom: d.SendFrom}})[0]
}

func configOf(c Connector) (json.RawMessage, error) { return json.Marshal(c.Config) }

// CreateConnector implements ConnectorTarget.
func (o *Offline) CreateConnector(ctx context.Context, c Connector) error {
	if o.Connectors == nil {
		return errNoConnectors
	}
	cfg, err := configOf(c)
	if err != nil {
		return err
	}
	_, err = o.Connectors.Create(ctx, connector.Input{ConnectorID: c.ConnectorID, Config: cfg})
	return err
}

// UpdateConnector implements ConnectorTarget.
func (o *Offline) UpdateConnector(ctx context.Context, id string, c Connector) error {
	if o.Connectors == nil {
		return errNoConnectors
	}
	cfg, err := configOf(c)
	if err != nil {
		return err
	}
	_, err = o.Connectors.Update(ctx, id, connector.Input{Config: cfg})
	return err
}

// DeleteConnector implements ConnectorTarget.
func (o *Offline) DeleteConnector(ctx context.Context, id string) error {
	if o.Connectors == nil {
		return errNoConnectors
	}
	return o.Connectors.Delete(ctx, id)
}

func inputsOf(ts []EmailTemplate) []connector.TemplateInput {
	out := make([]connector.TemplateInput, len(ts))
	for i, t := range ts {
		out[i] = connector.TemplateInput{LanguageTag: t.LanguageTag, TemplateType: t.TemplateType,
			Details: connector.Details{Subject: t.Subject, Content: t.Content, ContentType: t.ContentType, ReplyTo: t.ReplyTo, SendFrom: t.SendFrom}}
	}
	return out
}

// PutEmailTemplates implements ConnectorTarget.
func (o *Offline) PutEmailTemplates(ctx context.Context, ts []EmailTemplate) error {
	if o.Connectors == nil {
		return errNoConnectors
	}
	_, err := o.Connectors.PutTemplates(ctx, inputsOf(ts))
	return err
}

// DeleteEmailTemplate implements ConnectorTarget.
func (o *Offline) DeleteEmailTemplate(ctx context.Context, id string) error {
	if o.Connectors == nil {
		return errNoConnectors
	}
	return o.Connectors.DeleteTemplate(ctx, id)
}

// Remote: through Logto's /api/connectors and /api/email-templates.

var _ ConnectorTarget = (*Remote)(nil)

type remoteConnector struct {
	ID          string         `json:"id"`
	ConnectorID string         `json:"connectorId"`
	Type        string         `json:"type"`
	Config      map[string]any `json:"config"`
}

type remoteTemplate struct {
	ID           string            `json:"id,omitempty"`
	LanguageTag  string            `json:"languageTag"`
	TemplateType string            `json:"templateType"`
	Details      connector.Details `json:"details"`
}

func (r *Remote) readConnectors(ctx context.Context) ([]StateConnector, []StateEmailTemplate, error) {
	var list []remoteConnector
	_, err := r.call(ctx, http.MethodGet, "/api/connectors", nil, &list)
	var re *RemoteError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	cs := []StateConnector{}
	for _, c := range list {
		if c.Type == "Social" {
			continue
		}
		cs = append(cs, StateConnector{ID: c.ID, Connector: Connector{ConnectorID: c.ConnectorID, Config: c.Config}})
	}
	var tl []remoteTemplate
	if _, err := r.call(ctx, http.MethodGet, "/api/email-templates", nil, &tl); err != nil {
		return nil, nil, err
	}
	ts := []StateEmailTemplate{}
	for _, t := range tl {
		d := t.Details
		ts = append(ts, StateEmailTemplate{ID: t.ID, EmailTemplate: normalTemplates([]EmailTemplate{{LanguageTag: t.LanguageTag, TemplateType: t.TemplateType,
			Subject: d.Subject, Content: d.Content, ContentType: d.ContentType, ReplyTo: d.ReplyTo, SendFrom: d.SendFrom}})[0]})
	}
	return cs, ts, nil
}

// CreateConnector implements ConnectorTarget.
func (r *Remote) CreateConnector(ctx context.Context, c Connector) error {
	_, err := r.call(ctx, http.MethodPost, "/api/connectors", map[string]any{"connectorId": c.ConnectorID, "config": c.Config}, nil)
	return err
}

// UpdateConnector implements ConnectorTarget.
func (r *Remote) UpdateConnector(ctx context.Context, id string, c Connector) error {
	_, err := r.call(ctx, http.MethodPatch, "/api/connectors/"+url.PathEscape(id), map[string]any{"config": c.Config}, nil)
	return err
}

// DeleteConnector implements ConnectorTarget.
func (r *Remote) DeleteConnector(ctx context.Context, id string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/connectors/"+url.PathEscape(id), nil, nil)
	return err
}

// PutEmailTemplates implements ConnectorTarget.
func (r *Remote) PutEmailTemplates(ctx context.Context, ts []EmailTemplate) error {
	body := make([]remoteTemplate, len(ts))
	for i, t := range ts {
		body[i] = remoteTemplate{LanguageTag: t.LanguageTag, TemplateType: t.TemplateType,
			Details: connector.Details{Subject: t.Subject, Content: t.Content, ContentType: t.ContentType, ReplyTo: t.ReplyTo, SendFrom: t.SendFrom}}
	}
	_, err := r.call(ctx, http.MethodPut, "/api/email-templates", map[string]any{"templates": body}, nil)
	return err
}

// DeleteEmailTemplate implements ConnectorTarget.
func (r *Remote) DeleteEmailTemplate(ctx context.Context, id string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/email-templates/"+url.PathEscape(id), nil, nil)
	return err
}
