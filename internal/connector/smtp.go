package connector

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/wneessen/go-mail"

	"github.com/monban/monban/internal/verifycode"
	"github.com/monban/monban/internal/webhook"
)

// smtpConfig is Logto's SMTP connector config (nodemailer's options).
type smtpConfig struct {
	Host      string           `json:"host"`
	Port      int              `json:"port"`
	Auth      *smtpAuth        `json:"auth"`
	FromEmail string           `json:"fromEmail"`
	ReplyTo   string           `json:"replyTo,omitempty"`
	Templates []configTemplate `json:"templates"`

	Secure     bool     `json:"secure,omitempty"`
	RequireTLS bool     `json:"requireTLS,omitempty"`
	IgnoreTLS  bool     `json:"ignoreTLS,omitempty"`
	TLS        *smtpTLS `json:"tls,omitempty"`
	Servername string   `json:"servername,omitempty"`
	Name       string   `json:"name,omitempty"`
	Headers    smtpHdrs `json:"customHeaders,omitempty"`
	Timeouts
	// Accepted for a Logto export to move over; they change nothing here:
	// Monban never reads files or URLs into a message, and logs its own
	// way.
	Logger            *bool  `json:"logger,omitempty"`
	Debug             *bool  `json:"debug,omitempty"`
	DisableFileAccess *bool  `json:"disableFileAccess,omitempty"`
	DisableURLAccess  *bool  `json:"disableUrlAccess,omitempty"`
	LocalAddress      string `json:"localAddress,omitempty"`
}

// Timeouts are nodemailer's, in milliseconds; the connection timeout and
// the socket timeout bound an attempt (below the dispatcher's own bound).
type Timeouts struct {
	ConnectionTimeout *int64 `json:"connectionTimeout,omitempty"`
	GreetingTimeout   *int64 `json:"greetingTimeout,omitempty"`
	SocketTimeout     *int64 `json:"socketTimeout,omitempty"`
	DNSTimeout        *int64 `json:"dnsTimeout,omitempty"`
}

type smtpAuth struct {
	Type        string `json:"type,omitempty"`
	User        string `json:"user,omitempty"`
	Pass        string `json:"pass,omitempty"`
	AccessToken string `json:"accessToken,omitempty"`
}

// smtpTLS is the part of Node's TLS options that has a meaning here.
type smtpTLS struct {
	RejectUnauthorized *bool  `json:"rejectUnauthorized,omitempty"`
	Servername         string `json:"servername,omitempty"`
	MinVersion         string `json:"minVersion,omitempty"`
}

type smtpHdrs map[string]string

var headerNameRe = regexp.MustCompile(`^[A-Za-z0-9!#$%&'*+\-.^_` + "`" + `|~]{1,76}$`)

// reservedHeaders are set by the connector and may not be overridden.
var reservedHeaders = map[string]bool{"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "reply-to": true,
	"date": true, "message-id": true, "mime-version": true, "content-type": true, "content-transfer-encoding": true}

func parseSMTP(raw []byte) (messenger, error) {
	var c smtpConfig
	if err := decodeStrict(raw, &c); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	return &c, nil
}

func (c *smtpConfig) check() error {
	switch {
	case c.Host == "" || len(c.Host) > 253 || strings.ContainsAny(c.Host, " /:@\r\n") && net.ParseIP(c.Host) == nil:
		return errorf(InvalidConfig, "host must be a host name or IP address")
	case c.Port < 1 || c.Port > 65535:
		return errorf(InvalidConfig, "port must be a number from 1 to 65535")
	case c.Auth == nil:
		return errorf(InvalidConfig, "auth is required (an empty object for a relay without credentials)")
	case !plainAddress(c.FromEmail):
		return errorf(InvalidConfig, "fromEmail must be an e-mail address (\"Name <addr@example.com>\" is accepted)")
	case c.ReplyTo != "" && !plainAddress(c.ReplyTo):
		return errorf(InvalidConfig, "replyTo must be an e-mail address")
	case c.LocalAddress != "":
		return errorf(InvalidConfig, "localAddress is not supported")
	case c.Secure && (c.RequireTLS || c.IgnoreTLS):
		return errorf(InvalidConfig, "secure (implicit TLS) cannot be combined with requireTLS or ignoreTLS")
	case c.RequireTLS && c.IgnoreTLS:
		return errorf(InvalidConfig, "requireTLS and ignoreTLS contradict each other")
	case len(c.Name) > 253 || strings.ContainsAny(c.Name, " \r\n"):
		return errorf(InvalidConfig, "name must be a host name")
	}
	if err := c.Auth.check(); err != nil {
		return err
	}
	if c.IgnoreTLS && c.Auth.credentials() {
		return errorf(InvalidConfig, "ignoreTLS cannot be used with credentials: they would be sent in the clear")
	}
	if c.TLS != nil {
		if v := c.TLS.MinVersion; v != "" && v != "TLSv1.2" && v != "TLSv1.3" {
			return errorf(InvalidConfig, "tls.minVersion must be TLSv1.2 or TLSv1.3")
		}
	}
	for name, v := range c.Headers {
		if !headerNameRe.MatchString(name) || reservedHeaders[strings.ToLower(name)] || strings.ContainsAny(v, "\r\n") || len(v) > 998 {
			return errorf(InvalidConfig, "customHeaders: %q is not a header that can be added", name)
		}
	}
	for _, t := range []*int64{c.ConnectionTimeout, c.GreetingTimeout, c.SocketTimeout, c.DNSTimeout} {
		if t != nil && *t <= 0 {
			return errorf(InvalidConfig, "timeouts must be positive numbers of milliseconds")
		}
	}
	return checkConfigTemplates(c.Templates, true)
}

func (a *smtpAuth) check() error {
	switch strings.ToLower(a.Type) {
	case "", "login":
		if a.AccessToken != "" {
			return errorf(InvalidConfig, "auth.accessToken needs auth.type oauth2")
		}
		if (a.User == "") != (a.Pass == "") {
			return errorf(InvalidConfig, "auth.user and auth.pass go together")
		}
	case "oauth2":
		if a.User == "" || a.AccessToken == "" || a.Pass != "" {
			return errorf(InvalidConfig, "auth of type oauth2 needs user and accessToken (refreshing tokens and service accounts are not supported)")
		}
	default:
		return errorf(InvalidConfig, "auth.type must be login or oauth2")
	}
	return nil
}

func (a *smtpAuth) credentials() bool { return a.User != "" }

// plainAddress accepts "addr@example.com" and "Name <addr@example.com>".
func plainAddress(s string) bool {
	if s == "" || len(s) > maxAddrText || strings.ContainsAny(s, "\r\n") {
		return false
	}
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s = s[i+1 : len(s)-1]
	}
	_, err := verifycode.Normalize(verifycode.ChannelEmail, s)
	return err == nil
}

func (c *smtpConfig) template(p verifycode.Purpose) (Details, bool) {
	return fromConfig(c.Templates, p)
}

// timeout is the config's bound on an attempt, if it sets one.
func (c *smtpConfig) timeout(limit time.Duration) time.Duration {
	for _, t := range []*int64{c.ConnectionTimeout, c.SocketTimeout} {
		if t != nil {
			limit = min(limit, time.Duration(*t)*time.Millisecond)
		}
	}
	return limit
}

func (c *smtpConfig) tlsConfig(e *env) *tls.Config {
	cfg := &tls.Config{ServerName: c.Host, RootCAs: e.roots, MinVersion: tls.VersionTLS12}
	if c.Servername != "" {
		cfg.ServerName = c.Servername
	}
	if c.TLS != nil {
		if c.TLS.Servername != "" {
			cfg.ServerName = c.TLS.Servername
		}
		if c.TLS.MinVersion == "TLSv1.3" {
			cfg.MinVersion = tls.VersionTLS13
		}
		if c.TLS.RejectUnauthorized != nil && !*c.TLS.RejectUnauthorized {
			cfg.InsecureSkipVerify = true // the administrator's explicit choice, as in Logto
		}
	}
	return cfg
}

// implicitTLS dials through the egress policy and speaks TLS from the
// first byte (go-mail leaves TLS to a dial function it is given).
func implicitTLS(e *env, cfg *tls.Config) mail.DialContextFunc {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := e.dial(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, err
		}
		return tc, nil
	}
}

// authMechanisms are the SASL mechanisms tried, in order, for a user and
// password: the first the server offers is used (over TLS only).
var authMechanisms = []mail.SMTPAuthType{mail.SMTPAuthSCRAMSHA256, mail.SMTPAuthSCRAMSHA1, mail.SMTPAuthPlain, mail.SMTPAuthLogin}

func (c *smtpConfig) clientOptions(e *env, timeout time.Duration) []mail.Option {
	cfg := c.tlsConfig(e)
	opts := []mail.Option{mail.WithPort(c.Port), mail.WithTimeout(timeout), mail.WithTLSConfig(cfg)}
	switch {
	case c.Secure:
		opts = append(opts, mail.WithSSL(), mail.WithDialContextFunc(implicitTLS(e, cfg)))
	case c.RequireTLS || c.Auth.credentials():
		// Credentials only over TLS: STARTTLS is required to use them.
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory), mail.WithDialContextFunc(e.dial))
	case c.IgnoreTLS:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS), mail.WithDialContextFunc(e.dial))
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic), mail.WithDialContextFunc(e.dial))
	}
	if c.Name != "" {
		opts = append(opts, mail.WithHELO(c.Name))
	}
	switch {
	case strings.EqualFold(c.Auth.Type, "oauth2"):
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthXOAUTH2), mail.WithUsername(c.Auth.User), mail.WithPassword(c.Auth.AccessToken))
	case c.Auth.credentials():
		opts = append(opts, mail.WithOpportunisticSMTPAuth(authMechanisms...), mail.WithUsername(c.Auth.User), mail.WithPassword(c.Auth.Pass))
	}
	return opts
}

func (c *smtpConfig) message(m verifycode.Message, tmpl Details) (*mail.Msg, error) {
	msg := mail.NewMsg()
	msg.SetUserAgent(webhook.UserAgent)
	from := c.FromEmail
	if tmpl.SendFrom != "" {
		from = render(tmpl.SendFrom, m)
	}
	if err := msg.From(from); err != nil {
		return nil, errorf(InvalidConfig, "the sender address %q is not valid", from)
	}
	if err := msg.To(m.To); err != nil {
		return nil, errorf(InvalidInput, "the recipient address is not valid")
	}
	replyTo := c.ReplyTo
	if tmpl.ReplyTo != "" {
		replyTo = render(tmpl.ReplyTo, m)
	}
	if replyTo != "" {
		if err := msg.ReplyTo(replyTo); err != nil {
			return nil, errorf(InvalidConfig, "the reply-to address %q is not valid", replyTo)
		}
	}
	msg.Subject(render(tmpl.Subject, m))
	ct := mail.TypeTextPlain
	if tmpl.ContentType == ContentHTML {
		ct = mail.TypeTextHTML
	}
	msg.SetBodyString(ct, renderAs(tmpl.Content, m, ct == mail.TypeTextHTML))
	for k, v := range c.Headers {
		msg.SetGenHeader(mail.Header(k), v)
	}
	msg.SetMessageID()
	msg.SetDate()
	return msg, nil
}

func (c *smtpConfig) send(ctx context.Context, e *env, m verifycode.Message, tmpl Details) error {
	msg, err := c.message(m, tmpl)
	if err != nil {
		return err
	}
	timeout := c.timeout(e.timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client, err := mail.NewClient(c.Host, c.clientOptions(e, timeout)...)
	if err != nil {
		return errorf(InvalidConfig, "smtp: %v", err)
	}
	if err := client.DialAndSendWithContext(ctx, msg); err != nil {
		return errorf(SendFailed, "smtp %s: %v", net.JoinHostPort(c.Host, strconv.Itoa(c.Port)), scrub(err, c.Auth))
	}
	return nil
}

// scrub keeps credentials out of an error's text.
func scrub(err error, a *smtpAuth) string {
	msg := err.Error()
	for _, s := range []string{a.Pass, a.AccessToken} {
		if s != "" {
			msg = strings.ReplaceAll(msg, s, "[secret]")
		}
	}
	return fmt.Sprint(msg)
}
