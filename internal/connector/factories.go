package connector

import (
	"context"
	"encoding/json"

	"github.com/monban/monban/internal/verifycode"
)

// Factory is a kind of connector that can be configured: Logto's
// connector factory, with its metadata.
type Factory struct {
	ID          string
	Target      string
	Type        Type
	Name        map[string]string
	Description map[string]string
	// FormItems are Logto's form items, which the console renders.
	FormItems []FormItem
	// secrets are the config's secret fields.
	secrets []secretPath
	// parse checks a config and returns what sends with it.
	parse func(raw []byte) (messenger, error)
	// IsStandard: a generic social factory (OpenID Connect, OAuth 2.0),
	// of which there may be several connectors, each with its own
	// target in its metadata.
	IsStandard bool
	// social checks a social connector's config and returns what builds
	// its provider; nil for message connectors.
	social func(raw []byte) (socialBuilder, error)
}

// FormItem is one field of a factory's configuration form.
type FormItem struct {
	Key          string `json:"key"`
	Label        string `json:"label"`
	Type         string `json:"type"` // Text, Number, Json, Switch
	Required     bool   `json:"required"`
	Placeholder  string `json:"placeholder,omitempty"`
	Description  string `json:"description,omitempty"`
	DefaultValue any    `json:"defaultValue,omitempty"`
}

// Channel is the channel the factory delivers on.
func (f Factory) Channel() verifycode.Channel {
	switch f.Type {
	case TypeSMS:
		return verifycode.ChannelSMS
	case TypeEmail:
		return verifycode.ChannelEmail
	}
	return "" // a social connector delivers nothing
}

// messenger sends one message with a checked configuration.
type messenger interface {
	// send delivers m, its text from tmpl.
	send(ctx context.Context, e *env, m verifycode.Message, tmpl Details) error
	// template is the config's own template of a purpose, if any.
	template(p verifycode.Purpose) (Details, bool)
}

// Factory ids, as Logto's.
const (
	FactorySMTP    = "simple-mail-transfer-protocol"
	FactoryHTTPSMS = "http-sms"
	FactoryTwilio  = "twilio-short-message-service"
)

var factories = []Factory{
	{
		ID: FactorySMTP, Target: "smtp", Type: TypeEmail,
		Name: map[string]string{"en": "SMTP", "ja": "SMTP"},
		Description: map[string]string{
			"en": "The SMTP is an internet standard communication protocol for electronic mail transmission.",
			"ja": "SMTP は電子メールを送信するためのインターネット標準の通信プロトコルです。",
		},
		FormItems: []FormItem{
			{Key: "host", Label: "Host", Type: "Text", Required: true, Placeholder: "<host>"},
			{Key: "port", Label: "Port", Type: "Number", Required: true, Placeholder: "587"},
			{Key: "auth", Label: "Auth", Type: "Json", Required: true, DefaultValue: map[string]any{"type": "login", "user": "<username>", "pass": "<password>"}},
			{Key: "fromEmail", Label: "From Email", Type: "Text", Required: true, Placeholder: "<from_email_address@your.domain>"},
			{Key: "replyTo", Label: "Reply To", Type: "Text", Placeholder: "<do-reply@your.domain>"},
			{Key: "templates", Label: "Templates", Type: "Json", Required: true, DefaultValue: []any{}},
			{Key: "secure", Label: "Secure", Type: "Switch", Description: "Implicit TLS from the first byte (usually port 465); otherwise STARTTLS when the server offers it.", DefaultValue: false},
			{Key: "requireTLS", Label: "Require TLS", Type: "Switch", Description: "Refuse to send unless the server upgrades the connection with STARTTLS."},
			{Key: "ignoreTLS", Label: "Ignore TLS", Type: "Switch", Description: "Never use STARTTLS (only without credentials)."},
			{Key: "tls", Label: "TLS", Type: "Json", DefaultValue: map[string]any{}},
			{Key: "servername", Label: "Servername", Type: "Text", Placeholder: "<servername>"},
			{Key: "name", Label: "Name", Type: "Text", Placeholder: "<HELO name>"},
			{Key: "connectionTimeout", Label: "Connection Timeout", Type: "Number", Placeholder: "milliseconds"},
			{Key: "customHeaders", Label: "Custom Headers", Type: "Json", DefaultValue: map[string]any{}},
		},
		secrets: []secretPath{{"auth", "pass"}, {"auth", "accessToken"}},
		parse:   parseSMTP,
	},
	{
		ID: FactoryHTTPSMS, Target: "http-sms", Type: TypeSMS,
		Name: map[string]string{"en": "HTTP SMS", "ja": "HTTP SMS"},
		Description: map[string]string{
			"en": "Send SMS via HTTP call: a signed JSON body posted to your endpoint.",
			"ja": "HTTP 呼び出しで SMS を送信します（署名付きの JSON をエンドポイントに POST します）。",
		},
		FormItems: []FormItem{
			{Key: "endpoint", Label: "Endpoint", Type: "Text", Required: true, Placeholder: "<https://example.com/your-http-sms-endpoint>"},
			{Key: "authorization", Label: "Authorization Header", Type: "Text", Placeholder: "<Bearer your-token>"},
			{Key: "signingKey", Label: "Signing Key", Type: "Text", Description: "Signs each body: HMAC-SHA256, hex, in the logto-signature-sha-256 header."},
		},
		secrets: []secretPath{{"authorization"}, {"signingKey"}},
		parse:   parseHTTPSMS,
	},
	{
		ID: FactoryTwilio, Target: "twilio-sms", Type: TypeSMS,
		Name: map[string]string{"en": "Twilio SMS Service", "ja": "Twilio SMS サービス"},
		Description: map[string]string{
			"en": "Twilio provides programmable communication tools for phone calls and messages.",
			"ja": "Twilio は電話とメッセージのためのプログラム可能な通信ツールを提供します。",
		},
		FormItems: []FormItem{
			{Key: "accountSID", Label: "Account SID", Type: "Text", Required: true, Placeholder: "<account-sid>"},
			{Key: "authToken", Label: "Auth Token", Type: "Text", Required: true, Placeholder: "<auth-token>"},
			{Key: "fromMessagingServiceSID", Label: "From Messaging Service SID", Type: "Text", Required: true, Placeholder: "<from-messaging-service-sid>"},
			{Key: "disableRiskCheck", Label: "Disable risk check", Type: "Switch", DefaultValue: false},
			{Key: "templates", Label: "Templates", Type: "Json", Required: true, DefaultValue: []any{}},
			{Key: "endpoint", Label: "API endpoint", Type: "Text", Placeholder: "https://api.twilio.com", Description: "A Twilio-compatible API's base URL."},
		},
		secrets: []secretPath{{"authToken"}},
		parse:   parseTwilio,
	},
}

// Factories returns the factories, in a fixed order.
func Factories() []Factory { return append([]Factory(nil), factories...) }

// FactoryByID returns the factory with the id.
func FactoryByID(id string) (Factory, bool) {
	for _, f := range factories {
		if f.ID == id {
			return f, true
		}
	}
	return Factory{}, false
}

// factoriesOf returns the ids of the factories of a type.
func factoriesOf(t Type) []string {
	var ids []string
	for _, f := range factories {
		if f.Type == t {
			ids = append(ids, f.ID)
		}
	}
	return ids
}

// Check validates config for the factory.
func (f Factory) Check(config []byte) error {
	if f.social != nil {
		_, err := f.social(config)
		return err
	}
	_, err := f.parse(config)
	return err
}

// Public returns config without its secrets.
func (f Factory) Public(config []byte) json.RawMessage {
	return withoutSecrets(config, f.secrets)
}

// SecretPaths are the paths of the config's secret fields (such as
// ["auth", "pass"]), which GET never answers.
func (f Factory) SecretPaths() [][]string {
	out := make([][]string, len(f.secrets))
	for i, p := range f.secrets {
		out[i] = append([]string(nil), p...)
	}
	return out
}
