package storetest

import (
	"context"
	"testing"

	"github.com/monban/monban/internal/store"
)

// ssoConnectorCases are the conformance tests of store.SSOConnectorStore.
var ssoConnectorCases = []testCase{
	{"SSOConnectorsCRUD", testSSOConnectorsCRUD},
}

func ssoConnector(id, name string, i int) store.SSOConnector {
	return store.SSOConnector{ID: id, ProviderName: "OIDC", ConnectorName: name,
		Config:  []byte(`{"clientId":"c","clientSecret":"s3cret ` + id + `","issuer":"https://idp.example.com"}`),
		Domains: []string{id + ".example.com"}, Branding: []byte(`{"displayName":"` + name + `"}`), CreatedAt: at(i)}
}

// testSSOConnectorsCRUD: SSO connectors round-trip (sealed config, domains
// and branding included), are listed oldest first in pages with a total,
// and their names are unique.
func testSSOConnectorsCRUD(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, b := ssoConnector("a", "Alpha", 0), ssoConnector("b", "Beta", 1)
	b.Domains, b.Branding = nil, nil
	must(t, s.CreateSSOConnector(ctx, a))
	must(t, s.CreateSSOConnector(ctx, b))
	wantErr(t, s.CreateSSOConnector(ctx, a), store.ErrConflict, "CreateSSOConnector of a used id")
	wantErr(t, s.CreateSSOConnector(ctx, ssoConnector("c", "Alpha", 2)), store.ErrConflict, "CreateSSOConnector of a used name")

	got, err := s.GetSSOConnector(ctx, "a")
	ok(t, err, "GetSSOConnector")
	same(t, "SSO connector a", got, a)
	got, err = s.GetSSOConnector(ctx, "b")
	ok(t, err, "GetSSOConnector b")
	b.Domains, b.Branding = []string{}, []byte("{}")
	same(t, "SSO connector b (empty domains and branding)", got, b)
	_, err = s.GetSSOConnector(ctx, "zz")
	wantErr(t, err, store.ErrNotFound, "GetSSOConnector of no connector")

	list, total, err := s.ListSSOConnectors(ctx, store.Page{})
	ok(t, err, "ListSSOConnectors")
	same(t, "SSO connectors", ids(list), []string{"a", "b"})
	same(t, "total", total, 2)
	list, total, err = s.ListSSOConnectors(ctx, store.Page{Offset: 1, Limit: 1})
	ok(t, err, "ListSSOConnectors page 2")
	same(t, "SSO connectors page 2", ids(list), []string{"b"})
	same(t, "total of page 2", total, 2)

	a.ConnectorName, a.Config, a.Domains, a.SyncProfile = "Alpha 2", []byte(`{"metadata":"<x/>"}`), []string{"x.example", "y.example"}, true
	ok(t, s.UpdateSSOConnector(ctx, a), "UpdateSSOConnector")
	got, err = s.GetSSOConnector(ctx, "a")
	ok(t, err, "GetSSOConnector after an update")
	same(t, "updated SSO connector", got, a)
	a.ConnectorName = "Beta"
	wantErr(t, s.UpdateSSOConnector(ctx, a), store.ErrConflict, "UpdateSSOConnector to another's name")
	wantErr(t, s.UpdateSSOConnector(ctx, ssoConnector("zz", "Z", 0)), store.ErrNotFound, "UpdateSSOConnector of no connector")

	ok(t, s.DeleteSSOConnector(ctx, "b"), "DeleteSSOConnector")
	wantErr(t, s.DeleteSSOConnector(ctx, "b"), store.ErrNotFound, "DeleteSSOConnector twice")
}
