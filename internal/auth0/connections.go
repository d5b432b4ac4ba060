package auth0

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// connectionJSON is Auth0's connection. Monban has one: its users with
// their passwords, as Auth0's database connection.
type connectionJSON struct {
	ID                 string         `json:"id"`
	Name               string         `json:"name"`
	DisplayName        string         `json:"display_name"`
	Strategy           string         `json:"strategy"`
	Realms             []string       `json:"realms"`
	EnabledClients     []string       `json:"enabled_clients"`
	IsDomainConnection bool           `json:"is_domain_connection"`
	Options            map[string]any `json:"options"`
}

// connection is the database connection: every client that signs users in
// may use it.
func (s *server) connection(r *http.Request) (connectionJSON, error) {
	apps, _, err := s.dir.Applications(r.Context(), appsSigningIn, store.Page{})
	if err != nil {
		return connectionJSON{}, err
	}
	c := connectionJSON{ID: connectionID, Name: connectionName, DisplayName: connectionName, Strategy: "auth0",
		Realms: []string{connectionName}, EnabledClients: []string{},
		Options: map[string]any{"brute_force_protection": true, "requires_username": false}}
	for _, a := range apps {
		c.EnabledClients = append(c.EnabledClients, a.ID)
	}
	return c, nil
}

func (s *server) listConnections(w http.ResponseWriter, r *http.Request) error {
	q, p, sel, err := readPagedSelection(r)
	if err != nil {
		return err
	}
	var all []any
	if (q.Get("strategy") == "" || q.Get("strategy") == "auth0") && (q.Get("name") == "" || q.Get("name") == connectionName) {
		c, err := s.connection(r)
		if err != nil {
			return err
		}
		all = append(all, sel.apply(c))
	}
	writeList(w, p, "connections", pageOf(all, p), len(all))
	return nil
}

func (s *server) getConnection(w http.ResponseWriter, r *http.Request) error {
	if r.PathValue("id") != connectionID {
		return notFound("connection")
	}
	q := query(r)
	sel, err := readFields(q)
	if err != nil {
		return err
	}
	c, err := s.connection(r)
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, sel.apply(c))
	return nil
}

// appsSigningIn are the applications that sign users in.
var appsSigningIn = directory.AppQuery{Filter: store.ApplicationFilter{Types: []store.AppType{store.AppTraditional, store.AppSPA, store.AppNative}}}
