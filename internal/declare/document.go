// Package declare is configuration as code: a document that declares the
// resources, applications, roles, custom JWT scripts and webhooks a
// server should have; the plan that makes a server match it (what to
// create, change and, when asked, delete); and the apply that carries the
// plan out through a Target: the directory of a database (offline, and at
// start-up) or a running server's Management API.
//
// The package holds no rule of its own about the values: it checks a
// document with the directory's own checks before the first write, and
// every write goes through the directory or the Management API.
package declare

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Version is the document version this package reads and writes.
const Version = 1

// MaxDocumentBytes bounds a document read.
const MaxDocumentBytes = 4 << 20

// Document is the desired configuration: one YAML document.
type Document struct {
	Version      int           `yaml:"version" doc:"The document version; 1."`
	Resources    []Resource    `yaml:"resources,omitempty" doc:"API resources, matched by indicator."`
	Applications []Application `yaml:"applications,omitempty" doc:"Applications, matched by id when given, else by name. Secrets are never part of the document."`
	Roles        []Role        `yaml:"roles,omitempty" doc:"Roles, matched by name."`
	CustomJWT    []CustomJWT   `yaml:"customJwt,omitempty" doc:"Custom JWT claims scripts, one per token type."`
	Webhooks     []Webhook     `yaml:"webhooks,omitempty" doc:"Webhooks, matched by name."`
	// SignInExperience is Logto's sign-in experience, in the shape of
	// /api/sign-in-exp.
	Connectors       []Connector     `yaml:"connectors,omitempty" doc:"Message connectors (e-mail, SMS), matched by connectorId; one of each type at a time. Secrets are ${NAME} environment references, never exported. See docs/config-as-code.md."`
	EmailTemplates   []EmailTemplate `yaml:"emailTemplates,omitempty" doc:"E-mail templates, matched by languageTag and templateType (Logto's /api/email-templates)."`
	SignInExperience map[string]any  `yaml:"signInExperience,omitempty" doc:"The sign-in experience, with Logto's field names (GET /api/sign-in-exp): the fields given replace the server's, the others are left alone. See docs/sign-in-experience.md."`
}

// Resource is an API resource with its permissions (scopes).
type Resource struct {
	Name           string  `yaml:"name" doc:"Display name." schema:"required"`
	Indicator      string  `yaml:"indicator" doc:"The resource indicator (an absolute URI); it identifies the resource and cannot change." schema:"required"`
	AccessTokenTTL *int    `yaml:"accessTokenTtl,omitempty" doc:"Access token lifetime in seconds; default 3600."`
	IsDefault      *bool   `yaml:"isDefault,omitempty" doc:"The default resource of tokens requested without one; at most one resource. Default false."`
	Scopes         []Scope `yaml:"scopes,omitempty" doc:"The resource's permissions, matched by name."`
}

// Scope is a permission of a resource.
type Scope struct {
	Name        string `yaml:"name" doc:"The scope's name, as it appears in tokens." schema:"required"`
	Description string `yaml:"description,omitempty" doc:"What the permission allows."`
}

// Application is an application, without its secrets.
type Application struct {
	ID                     string         `yaml:"id,omitempty" doc:"Match the application with this id instead of by name. An application that does not exist yet is created with a new id."`
	Name                   string         `yaml:"name" doc:"Display name; the application's key when no id is given." schema:"required"`
	Type                   string         `yaml:"type" doc:"The application type; it cannot change." schema:"required,enum=Native|SPA|Traditional|MachineToMachine"`
	Description            string         `yaml:"description,omitempty" doc:"Description."`
	RedirectURIs           []string       `yaml:"redirectUris,omitempty" doc:"Redirect URIs, matched exactly (not for MachineToMachine)."`
	PostLogoutRedirectURIs []string       `yaml:"postLogoutRedirectUris,omitempty" doc:"Post-logout redirect URIs (not for MachineToMachine)."`
	CORSAllowedOrigins     []string       `yaml:"corsAllowedOrigins,omitempty" doc:"Origins that may call the token endpoints from a browser, besides those of the redirect URIs."`
	RotateRefreshToken     *bool          `yaml:"rotateRefreshToken,omitempty" doc:"A new refresh token on every use; default true."`
	RefreshTokenTTLDays    *int           `yaml:"refreshTokenTtlInDays,omitempty" doc:"Refresh token lifetime in days, 1 to 90; default 14."`
	AllowPasswordGrant     *bool          `yaml:"allowPasswordGrant,omitempty" doc:"Allow the resource owner password grant; default false."`
	AllowTokenExchange     *bool          `yaml:"allowTokenExchange,omitempty" doc:"Allow the token exchange grant (RFC 8693); default false."`
	RequirePAR             *bool          `yaml:"requirePushedAuthorizationRequests,omitempty" doc:"Take authorization requests only as pushed ones (RFC 9126); default false."`
	RequireDPoP            *bool          `yaml:"requireDpop,omitempty" doc:"Refuse the application tokens not bound to a DPoP key (RFC 9449); default false."`
	IsDeviceFlow           *bool          `yaml:"isDeviceFlow,omitempty" doc:"A Native application of the device authorization grant (RFC 8628); default false."`
	CustomData             map[string]any `yaml:"customData,omitempty" doc:"The application's own JSON object. Keys are set one by one: a key left out of the document is kept."`
}

// Role is a role with its permissions and the applications holding it.
type Role struct {
	Name         string       `yaml:"name" doc:"The role's name, its key." schema:"required"`
	Description  string       `yaml:"description" doc:"Description (required by the directory)." schema:"required"`
	Type         string       `yaml:"type,omitempty" doc:"User or MachineToMachine; default User; it cannot change." schema:"enum=User|MachineToMachine"`
	IsDefault    *bool        `yaml:"isDefault,omitempty" doc:"Given to every new user (User roles); default false."`
	Permissions  []Permission `yaml:"permissions,omitempty" doc:"The scopes the role grants, by resource indicator: the complete list."`
	Applications []string     `yaml:"applications,omitempty" doc:"The MachineToMachine applications holding the role, by name (or id): the complete list among the applications the document declares."`
}

// Permission names scopes of one resource.
type Permission struct {
	Resource string   `yaml:"resource" doc:"The resource's indicator, or management-api for the built-in Management API resource, management-api-v2 for the built-in Management API v2." schema:"required"`
	Scopes   []string `yaml:"scopes" doc:"Scope names of that resource." schema:"required"`
}

// CustomJWT is the custom claims script of one token type.
type CustomJWT struct {
	TokenType            string            `yaml:"tokenType" doc:"access-token (user tokens) or client-credentials (M2M tokens)." schema:"required,enum=access-token|client-credentials"`
	Script               string            `yaml:"script" doc:"The getCustomJwtClaims script, or an Auth0 Action (JavaScript)." schema:"required"`
	EnvironmentVariables map[string]string `yaml:"environmentVariables,omitempty" doc:"Values the script reads from context.environmentVariables. Write each value as a ${NAME} reference to an environment variable of the process that applies the document, never the value itself."`
	BlockIssuanceOnError *bool             `yaml:"blockIssuanceOnError,omitempty" doc:"Refuse the token when the script fails; default false."`
}

// Webhook is a webhook, matched by name. Its signing key is the server's,
// never in a document.
type Webhook struct {
	Name    string            `yaml:"name" doc:"The webhook's name, its key." schema:"required"`
	URL     string            `yaml:"url" doc:"Where events are posted: an http or https URL the server's egress policy allows." schema:"required"`
	Events  []string          `yaml:"events" doc:"The events that trigger it (Logto's names, such as PostRegister or User.Created): the complete list." schema:"required"`
	Headers map[string]string `yaml:"headers,omitempty" doc:"Headers sent with every call. Write each value as a ${NAME} reference to an environment variable of the process that applies the document (export writes ${WEBHOOK_<HOOK>_<HEADER>}), never the value itself."`
	Enabled *bool             `yaml:"enabled,omitempty" doc:"Events are delivered; default true."`
}

// Parse reads a document strictly: an unknown key, a value of the wrong
// type, a second document or a missing version is an error naming the
// line. ${NAME} references stay as they are (see Resolve).
func Parse(r io.Reader) (*Document, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxDocumentBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxDocumentBytes {
		return nil, fmt.Errorf("the document is larger than %d MiB", MaxDocumentBytes>>20)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var doc Document
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("the document is empty")
		}
		return nil, yamlError(err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("the file holds more than one YAML document")
	}
	if doc.Version != Version {
		return nil, fmt.Errorf("version must be %d (got %d)", Version, doc.Version)
	}
	return &doc, nil
}

// yamlError rewords the YAML library's errors: "line 4: field colour
// not found in type declare.Resource" becomes "line 4: unknown key
// \"colour\"".
func yamlError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		msgs = append(msgs, rewordYAML(m))
	}
	return errors.New(strings.Join(msgs, "; "))
}

var (
	unknownField = regexp.MustCompile(`^(line \d+): field (\S+) not found in type \S+$`)
	wrongType    = regexp.MustCompile("^(line \\d+): cannot unmarshal !!(\\w+) `(.*)` into (\\S+)$")
)

func rewordYAML(m string) string {
	if g := unknownField.FindStringSubmatch(m); g != nil {
		return fmt.Sprintf("%s: unknown key %q", g[1], g[2])
	}
	if g := wrongType.FindStringSubmatch(m); g != nil {
		want := g[4]
		switch {
		case strings.HasPrefix(want, "[]"):
			want = "a list"
		case strings.HasPrefix(want, "map["), strings.HasPrefix(want, "declare."):
			want = "a mapping"
		case want == "int" || want == "*int":
			want = "a whole number"
		case want == "bool" || want == "*bool":
			want = "true or false"
		case want == "string":
			want = "a string"
		}
		return fmt.Sprintf("%s: %q is not %s", g[1], g[3], want)
	}
	return m
}

// Marshal writes a document as YAML, with a comment naming its schema.
func Marshal(doc *Document) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("# yaml-language-server: $schema=" + SchemaID + "\n")
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
