package auth0

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/sso"
	"github.com/monban/monban/internal/store"
)

// connectionJSON is Auth0's connection. Monban's users with their
// passwords are Auth0's database connection; each enterprise SSO
// connector (internal/sso) is an enterprise connection named by its
// connector name.
type connectionJSON struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	DisplayName        string         `json:"display_name"`
	Strategy           string         `json:"strategy"`
	Realms             []string       `json:"realms"`
	EnabledClients     []string       `json:"enabled_clients"`
	IsDomainConnection bool           `json:"is_domain_connection"`
	ShowAsButton       *bool          `json:"show_as_button,omitempty"`
	Metadata           map[string]any `json:"metadata,omitempty"`
	Options            map[string]any `json:"options"`
}

// enterprisePrefix starts the id of an enterprise connection: "con_" and
// the SSO connector's id.
const enterprisePrefix = "con_"

// enterpriseStrategy is Auth0's strategy of an SSO provider.
var enterpriseStrategy = map[string]string{"SAML": "samlp", "AzureAD": "samlp", "OIDC": "oidc", "Okta": "okta", "GoogleWorkspace": "google-apps"}

// signingInClients are the ids of the applications that sign users in;
// every connection is enabled for all of them.
func (s *server) signingInClients(r *http.Request) ([]string, error) {
	apps, _, err := s.dir.Applications(r.Context(), appsSigningIn, store.Page{})
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, a := range apps {
		out = append(out, a.ID)
	}
	return out, nil
}

// connection is the database connection: every client that signs users in
// may use it.
func databaseConnection(clients []string) connectionJSON {
	return connectionJSON{ID: connectionID, Name: connectionName, DisplayName: connectionName, Strategy: "auth0",
		Realms: []string{connectionName}, EnabledClients: clients,
		Options: map[string]any{"brute_force_protection": true, "requires_username": false}}
}

// enterpriseConnection is an SSO connector in Auth0's shape; its options
// hold no secret.
func enterpriseConnection(v sso.View, clients []string) connectionJSON {
	show := true
	display := v.ConnectorName
	opts := map[string]any{"domain_aliases": v.Domains}
	if v.Provider.Type == sso.TypeOIDC {
		opts["type"] = "back_channel"
	}
	if id := strings.TrimSpace(jsonString(v.PublicConfig, "clientId")); id != "" {
		opts["client_id"] = id
	}
	if iss := jsonString(v.PublicConfig, "issuer"); iss != "" {
		opts["issuer"] = iss
	}
	if n := jsonString(v.Branding, "displayName"); n != "" {
		display = n
	}
	return connectionJSON{ID: enterprisePrefix + v.ID, Name: v.ConnectorName, DisplayName: display,
		Strategy: enterpriseStrategy[v.ProviderName], Realms: append([]string{}, v.Domains...), EnabledClients: clients,
		ShowAsButton: &show, Metadata: map[string]any{}, Options: opts}
}

// connections are every connection, the database one first.
func (s *server) connections(r *http.Request) ([]connectionJSON, error) {
	clients, err := s.signingInClients(r)
	if err != nil {
		return nil, err
	}
	all := []connectionJSON{databaseConnection(clients)}
	if s.SSO != nil {
		list, _, err := s.SSO.List(r.Context(), store.Page{})
		if err != nil {
			return nil, err
		}
		for _, v := range list {
			all = append(all, enterpriseConnection(v, clients))
		}
	}
	return all, nil
}

func (s *server) listConnections(w http.ResponseWriter, r *http.Request) error {
	q, p, sel, err := readPagedSelection(r)
	if err != nil {
		return err
	}
	all, err := s.connections(r)
	if err != nil {
		return err
	}
	var out []any
	for _, c := range all {
		if strategies := q["strategy"]; len(strategies) > 0 && !slices.Contains(strategies, c.Strategy) {
			continue
		}
		if n := q.Get("name"); n != "" && n != c.Name {
			continue
		}
		out = append(out, sel.apply(c))
	}
	writeList(w, p, "connections", pageOf(out, p), len(out))
	return nil
}

func (s *server) getConnection(w http.ResponseWriter, r *http.Request) error {
	q := query(r)
	sel, err := readFields(q)
	if err != nil {
		return err
	}
	all, err := s.connections(r)
	if err != nil {
		return err
	}
	for _, c := range all {
		if c.ID == r.PathValue("id") {
			httpjson.Write(w, http.StatusOK, sel.apply(c))
			return nil
		}
	}
	return notFound("connection")
}

// appsSigningIn are the applications that sign users in.
var appsSigningIn = directory.AppQuery{Filter: store.ApplicationFilter{Types: []store.AppType{store.AppTraditional, store.AppSPA, store.AppNative}}}

// jsonString is the string field key of a JSON object ("" if none).
func jsonString(raw []byte, key string) string {
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil {
		return ""
	}
	s, _ := m[key].(string)
	return s
}
