package catalog

import (
	"net/url"
	"strings"

	"github.com/monban/monban/internal/store"
)

// UserIndex is what issuing user tokens reads from the catalog besides the
// scopes roles grant (see Snapshot.Authz): resources by id, and the browser
// origins apps may call from.
type UserIndex struct {
	Resources map[string]*store.Resource
	// Origins are the CORS origins of every app that signs users in: its
	// corsAllowedOrigins and the origins of its redirect URIs.
	Origins map[string]bool
}

func buildUserIndex(cat *store.Catalog) *UserIndex {
	ix := &UserIndex{
		Resources: make(map[string]*store.Resource, len(cat.Resources)),
		Origins:   make(map[string]bool),
	}
	for i := range cat.Resources {
		ix.Resources[cat.Resources[i].ID] = &cat.Resources[i]
	}
	for _, a := range cat.Applications {
		if a.Type == store.AppMachineToMachine {
			continue
		}
		for _, o := range a.CORSAllowedOrigins {
			ix.Origins[strings.TrimRight(o, "/")] = true
		}
		for _, uri := range a.RedirectURIs {
			if o := Origin(uri); o != "" {
				ix.Origins[o] = true
			}
		}
	}
	return ix
}

// Origin returns the origin (scheme://host[:port]) of an http(s) URL, or ""
// for anything else.
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + strings.ToLower(u.Host)
}
