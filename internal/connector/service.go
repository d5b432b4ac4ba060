package connector

import (
	"bytes"
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"time"

	"github.com/monban/monban/internal/egress"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/verifycode"
)

// Options configure a Service. DefaultOptions gives every field its value;
// a zero field is zero, not "default".
type Options struct {
	// Egress is what providers may be reached besides public addresses.
	Egress egress.Policy
	// Roots are the CAs trusted for SMTP's TLS; nil is the system's.
	Roots *x509.CertPool
	// Timeout bounds one attempt at sending, from dial to answer.
	Timeout time.Duration
	// MaxAttempts is how many times a message is tried (at least 1).
	MaxAttempts int
	// BaseDelay is the wait after the first failure; each further failure
	// doubles it, up to MaxDelay.
	BaseDelay, MaxDelay time.Duration
	// Poll is how often the outbox is looked at when nothing wakes it.
	Poll time.Duration
	// Batch is how many messages one instance claims, and sends at once,
	// per round.
	Batch int
	// Retention is how long finished messages are kept (without their
	// codes) before they are pruned.
	Retention time.Duration
	// Audit, when set, is told of every failed attempt. It must not block.
	Audit  func(store.LogEntry)
	Logger *slog.Logger
	Now    func() time.Time
}

// DefaultOptions are the production settings: 10 s per attempt, 6
// attempts from 5 s to 1 min apart (a code lives 10 minutes), a look every
// second, finished messages kept a day.
func DefaultOptions() Options {
	return Options{Timeout: 10 * time.Second, MaxAttempts: 6, BaseDelay: 5 * time.Second, MaxDelay: time.Minute,
		Poll: time.Second, Batch: 16, Retention: 24 * time.Hour}
}

// IsZero reports whether o is the zero Options, which callers that build
// their configuration field by field take as "not configured".
func (o Options) IsZero() bool {
	return len(o.Egress.AllowHosts) == 0 && len(o.Egress.AllowNetworks) == 0 && o.Egress.MaxRedirects == 0 && o.Roots == nil &&
		o.Timeout == 0 && o.MaxAttempts == 0 && o.BaseDelay == 0 && o.MaxDelay == 0 && o.Poll == 0 && o.Batch == 0 &&
		o.Retention == 0 && o.Audit == nil && o.Logger == nil && o.Now == nil
}

// Service keeps connectors and templates and delivers messages.
type Service struct {
	st    store.Store
	opts  Options
	env   *env
	log   *slog.Logger
	now   func() time.Time
	owner string
	wake  chan struct{}

	pruned time.Time
}

// New returns a Service over st.
func New(st store.Store, opts Options) *Service {
	s := &Service{st: st, opts: opts, env: newEnv(opts.Egress, opts.Roots, opts.Timeout), log: opts.Logger, now: opts.Now,
		owner: randid.ID(), wake: make(chan struct{}, 1)}
	if s.log == nil {
		s.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.env.timeout <= 0 {
		s.env.timeout = DefaultOptions().Timeout
	}
	s.opts.MaxAttempts = max(s.opts.MaxAttempts, 1)
	s.opts.Batch = max(s.opts.Batch, 1)
	return s
}

// View is a connector with its factory.
type View struct {
	store.Connector
	Factory Factory
}

// PublicConfig is the connector's config without its secrets.
func (v View) PublicConfig() json.RawMessage { return v.Factory.Public(v.Config) }

func (s *Service) view(c store.Connector) View {
	f, ok := FactoryByID(c.ConnectorID)
	if !ok {
		// A factory this version does not know: shown, never used.
		f = Factory{ID: c.ConnectorID, Type: TypeEmail, parse: func([]byte) (messenger, error) {
			return nil, errorf(FactoryNotFound, "no connector factory %q", c.ConnectorID)
		}}
	}
	return View{Connector: c, Factory: f}
}

// Connectors returns every connector, oldest first.
func (s *Service) Connectors(ctx context.Context) ([]View, error) {
	list, err := s.st.ListConnectors(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]View, len(list))
	for i, c := range list {
		out[i] = s.view(c)
	}
	return out, nil
}

// Connector returns the connector with the id.
func (s *Service) Connector(ctx context.Context, id string) (View, error) {
	c, err := s.st.GetConnector(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return View{}, errorf(NotFound, "connector %q not found", id)
	}
	if err != nil {
		return View{}, err
	}
	return s.view(c), nil
}

// Input is a connector's creation or change; nil fields are unset.
type Input struct {
	ID                 string
	ConnectorID        string
	Config             json.RawMessage
	Metadata           json.RawMessage
	SyncProfile        *bool
	EnableTokenStorage *bool
}

var connectorIDRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,128}$`)

// checkFlags refuses what only social connectors have, and metadata but
// for a standard social connector's (checked).
func checkFlags(f Factory, in Input) error {
	hasMeta := len(in.Metadata) > 0 && string(bytes.TrimSpace(in.Metadata)) != "null"
	switch {
	case hasMeta && !f.IsStandard:
		return errorf(MetadataLocked, "this connector's metadata cannot be overwritten")
	case in.SyncProfile != nil && *in.SyncProfile && f.Type != TypeSocial:
		return errorf(SyncProfileUnsupported, "only social connectors sync the user's profile")
	case in.EnableTokenStorage != nil && *in.EnableTokenStorage:
		return errorf(TokenStorageUnsupported, "this connector does not support token storage")
	case hasMeta:
		_, err := parseMetadata(in.Metadata)
		return err
	}
	return nil
}

// Create stores a new connector and removes the other connectors of its
// type: there is one e-mail and one SMS connector at a time, as in Logto.
func (s *Service) Create(ctx context.Context, in Input) (View, error) {
	f, ok := FactoryByID(in.ConnectorID)
	if !ok {
		return View{}, errorf(FactoryNotFound, "no connector factory %q", in.ConnectorID)
	}
	if err := checkFlags(f, in); err != nil {
		return View{}, err
	}
	if in.ID == "" {
		in.ID = randid.ID()
	} else if !connectorIDRe.MatchString(in.ID) {
		return View{}, errorf(InvalidInput, "id must be 1 to 128 letters, digits, - or _")
	}
	if len(in.Config) == 0 {
		return View{}, errorf(InvalidConfig, "config is required")
	}
	if err := f.Check(in.Config); err != nil {
		return View{}, err
	}
	c := store.Connector{ID: in.ID, ConnectorID: f.ID, Config: compact(in.Config), Metadata: []byte("{}"), CreatedAt: s.now()}
	if f.IsStandard && len(in.Metadata) > 0 && string(bytes.TrimSpace(in.Metadata)) != "null" {
		c.Metadata = compact(in.Metadata)
	}
	if in.SyncProfile != nil {
		c.SyncProfile = *in.SyncProfile
	}
	if err := s.st.CreateConnector(ctx, c, replaced(f)); err != nil {
		return View{}, err
	}
	return s.view(c), nil
}

// Update changes a connector's config. A secret the new config leaves out
// keeps its stored value, so a config read back and sent again is whole.
func (s *Service) Update(ctx context.Context, id string, in Input) (View, error) {
	v, err := s.Connector(ctx, id)
	if err != nil {
		return View{}, err
	}
	if err := checkFlags(v.Factory, in); err != nil {
		return View{}, err
	}
	if v.Factory.IsStandard && len(in.Metadata) > 0 && string(bytes.TrimSpace(in.Metadata)) != "null" {
		v.Metadata = compact(in.Metadata)
	}
	if len(in.Config) > 0 && string(bytes.TrimSpace(in.Config)) != "null" {
		config, err := keepSecrets(in.Config, v.Config, v.Factory.secrets)
		if err != nil {
			return View{}, err
		}
		if err := v.Factory.Check(config); err != nil {
			return View{}, err
		}
		v.Config = config
	}
	if in.SyncProfile != nil {
		v.SyncProfile = *in.SyncProfile
	}
	if in.EnableTokenStorage != nil {
		v.EnableTokenStorage = *in.EnableTokenStorage
	}
	if err := s.st.UpdateConnector(ctx, v.Connector); err != nil {
		return View{}, orNotFound(err, id)
	}
	return v, nil
}

// Delete removes a connector.
func (s *Service) Delete(ctx context.Context, id string) error {
	return orNotFound(s.st.DeleteConnector(ctx, id), id)
}

func orNotFound(err error, id string) error {
	if errors.Is(err, store.ErrNotFound) {
		return errorf(NotFound, "connector %q not found", id)
	}
	return err
}

func compact(raw []byte) []byte {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// current is the connector that delivers on ch, if one is configured.
func (s *Service) current(ctx context.Context, ch verifycode.Channel) (View, bool, error) {
	list, err := s.Connectors(ctx)
	if err != nil {
		return View{}, false, err
	}
	for i := len(list) - 1; i >= 0; i-- {
		v := list[i]
		if _, known := FactoryByID(v.ConnectorID); known && v.Factory.Channel() == ch {
			return v, true, nil
		}
	}
	return View{}, false, nil
}

// HasChannel reports whether a connector delivers on ch. It implements
// verifycode.ChannelChecker.
func (s *Service) HasChannel(ch verifycode.Channel) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, ok, err := s.current(ctx, ch)
	if err != nil {
		s.log.Warn("reading the connectors failed", "err", err)
	}
	return ok
}

// Test sends a test message (the code 000000, Generic) with the factory
// and config given, now, and says how it went. Secrets the config leaves
// out are taken from the stored connector of the same factory, if any.
func (s *Service) Test(ctx context.Context, factoryID string, config json.RawMessage, ch verifycode.Channel, to, locale string) error {
	f, ok := FactoryByID(factoryID)
	if !ok {
		return errorf(FactoryNotFound, "no connector factory %q", factoryID)
	}
	if f.Channel() != ch {
		return errorf(UnexpectedType, "the %s connector does not send to %s", f.ID, ch)
	}
	list, err := s.Connectors(ctx)
	if err != nil {
		return err
	}
	for _, v := range list {
		if v.ConnectorID == f.ID {
			if config, err = keepSecrets(config, v.Config, f.secrets); err != nil {
				return err
			}
		}
	}
	msgr, err := f.parse(config)
	if err != nil {
		return err
	}
	to, err = verifycode.Normalize(ch, to)
	if err != nil {
		return errorf(InvalidInput, "the %s to send to is not valid", ch)
	}
	m := verifycode.Message{Channel: ch, To: to, Purpose: verifycode.PurposeGeneric, Locale: locale, Code: "000000",
		Vars: map[string]string{"minutes": strconv.Itoa(verifycode.Minutes(verifycode.DefaultTTL))}}
	tmpl, err := s.templateFor(ctx, msgr, f, m)
	if err != nil {
		return err
	}
	return msgr.send(ctx, s.env, m, tmpl)
}

// templateFor picks a message's text: for e-mail a stored template of its
// language, then the connector config's template of its purpose, then the
// built-in one of its language.
func (s *Service) templateFor(ctx context.Context, msgr messenger, f Factory, m verifycode.Message) (Details, error) {
	if f.Type == TypeEmail {
		for _, tag := range uniqueTags(m.Locale, baseLanguage(m.Locale)) {
			list, err := s.st.ListEmailTemplates(ctx, store.TemplateFilter{LanguageTag: tag, TemplateType: string(m.Purpose)})
			if err != nil {
				return Details{}, err
			}
			if len(list) > 0 {
				if d, err := parseDetails(list[0].Details); err == nil {
					return d, nil
				}
			}
		}
	}
	if d, ok := msgr.template(m.Purpose); ok {
		return d, nil
	}
	return defaultDetails(m.Purpose, m.Locale), nil
}

func uniqueTags(tags ...string) []string {
	var out []string
	for _, t := range tags {
		if t != "" && (len(out) == 0 || out[len(out)-1] != t) {
			out = append(out, t)
		}
	}
	return out
}
