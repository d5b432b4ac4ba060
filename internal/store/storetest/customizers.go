package storetest

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/monban/monban/internal/store"
)

// customizerCases are the conformance tests of store.CustomizerStore.
var customizerCases = []testCase{{"JWTCustomizers", testJWTCustomizers}}

func testJWTCustomizers(t *testing.T, s store.Store) {
	ctx := context.Background()
	if _, err := s.GetJWTCustomizer(ctx, store.TokenTypeClientCredentials); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Get of a missing customizer: %v", err)
	}
	if err := s.DeleteJWTCustomizer(ctx, store.TokenTypeClientCredentials); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Delete of a missing customizer: %v", err)
	}
	cc := store.JWTCustomizer{
		TokenType:            store.TokenTypeClientCredentials,
		Script:               "const getCustomJwtClaims = async () => ({ tier: 'gold' });",
		EnvironmentVariables: map[string]string{"API_KEY": "s3cret", "EMPTY": ""},
		ContextSample:        []byte(`{"application":{"id":"x"}}`),
		BlockIssuanceOnError: true,
		CreatedAt:            at(1),
		UpdatedAt:            at(1),
	}
	created, err := s.PutJWTCustomizer(ctx, cc)
	if err != nil || !created {
		t.Fatalf("first Put: created %v, %v", created, err)
	}
	got, err := s.GetJWTCustomizer(ctx, cc.TokenType)
	if err != nil || !reflect.DeepEqual(got, cc) {
		t.Fatalf("Get = %+v, %v; want %+v", got, err, cc)
	}

	replaced := cc
	replaced.Script = "function getCustomJwtClaims() { return {}; }"
	replaced.EnvironmentVariables = nil
	replaced.ContextSample = nil
	replaced.TokenSample = []byte(`{"jti":"j"}`)
	replaced.BlockIssuanceOnError = false
	replaced.CreatedAt = at(9) // ignored: a replacement keeps the creation time
	replaced.UpdatedAt = at(2)
	created, err = s.PutJWTCustomizer(ctx, replaced)
	if err != nil || created {
		t.Fatalf("second Put: created %v, %v", created, err)
	}
	want := replaced
	want.CreatedAt = cc.CreatedAt
	want.EnvironmentVariables = map[string]string{}
	if got, err = s.GetJWTCustomizer(ctx, cc.TokenType); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("Get after replace = %+v, %v; want %+v", got, err, want)
	}

	user := store.JWTCustomizer{TokenType: store.TokenTypeAccessToken, Script: "x", CreatedAt: at(3), UpdatedAt: at(3)}
	if _, err := s.PutJWTCustomizer(ctx, user); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListJWTCustomizers(ctx)
	if err != nil || len(list) != 2 || list[0].TokenType != store.TokenTypeAccessToken || list[1].TokenType != store.TokenTypeClientCredentials {
		t.Fatalf("List = %+v, %v", list, err)
	}
	cat, err := s.LoadCatalog(ctx)
	if err != nil || len(cat.JWTCustomizers) != 2 || !reflect.DeepEqual(cat.JWTCustomizers[1], want) {
		t.Fatalf("LoadCatalog customizers = %+v, %v", cat.JWTCustomizers, err)
	}
	if err := s.DeleteJWTCustomizer(ctx, store.TokenTypeAccessToken); err != nil {
		t.Fatal(err)
	}
	if list, err := s.ListJWTCustomizers(ctx); err != nil || len(list) != 1 {
		t.Fatalf("after Delete: %+v, %v", list, err)
	}
}
