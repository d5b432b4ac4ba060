package auth0

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/monban/monban/internal/store"
)

func term(field, v string) store.UserQuery { return store.UserQuery{Field: field, Value: v} }

func prefix(field, v string) store.UserQuery {
	return store.UserQuery{Field: field, Value: v, Prefix: true}
}

func join(op store.QueryOp, c ...store.UserQuery) store.UserQuery {
	return store.UserQuery{Op: op, Children: c}
}

func TestParseQuery(t *testing.T) {
	and, or := store.QueryAnd, store.QueryOr
	for _, tc := range []struct {
		q    string
		want store.UserQuery
	}{
		{`email:jane@example.com`, term(store.QueryEmail, "jane@example.com")},
		{`email:"jane@example.com"`, term(store.QueryEmail, "jane@example.com")},
		{`name:"Jane Doe"`, term(store.QueryName, "Jane Doe")},
		{`name:Jan*`, prefix(store.QueryName, "Jan")},
		{`name:"Jan*"`, term(store.QueryName, "Jan*")},
		{`user_id:"auth0|abc123"`, term(store.QueryUserID, "abc123")},
		{`user_id:auth0\|abc123`, term(store.QueryUserID, "abc123")},
		{`user_id:"google-oauth2|1"`, term(store.QueryUserID, "google-oauth2|1")},
		{`user_id:auth0*`, prefix(store.QueryUserID, "")},
		{`username:jane_doe`, term(store.QueryUsername, "jane_doe")},
		{`phone_number:"+15550100"`, term(store.QueryPhone, "+15550100")},
		{`app_metadata.plan:gold`, term("appMetadata.plan", "gold")},
		{`app_metadata.org.id:"o-1"`, term("appMetadata.org.id", "o-1")},
		{`name:"say \"hi\""`, term(store.QueryName, `say "hi"`)},
		{`email:a@x.io AND name:A`, join(and, term(store.QueryEmail, "a@x.io"), term(store.QueryName, "A"))},
		{`email:a@x.io OR email:b@x.io OR email:c@x.io`, join(or, term(store.QueryEmail, "a@x.io"), term(store.QueryEmail, "b@x.io"), term(store.QueryEmail, "c@x.io"))},
		{`name:A OR name:B AND app_metadata.x:1`, join(or, term(store.QueryName, "A"), join(and, term(store.QueryName, "B"), term("appMetadata.x", "1")))},
		{`(name:A OR name:B) AND app_metadata.x:1`, join(and, join(or, term(store.QueryName, "A"), term(store.QueryName, "B")), term("appMetadata.x", "1"))},
		{`name:A && (name:B || !name:C)`, join(and, term(store.QueryName, "A"), join(or, term(store.QueryName, "B"),
			store.UserQuery{Op: store.QueryNot, Children: []store.UserQuery{term(store.QueryName, "C")}}))},
		{`NOT app_metadata.plan:gold`, store.UserQuery{Op: store.QueryNot, Children: []store.UserQuery{term("appMetadata.plan", "gold")}}},
		{"  email:a@x.io\t", term(store.QueryEmail, "a@x.io")},
		{`email_verified:true`, term(store.QueryEmailVerified, "true")},
		{`email_verified:"false" AND app_metadata.x:1`, join(and, term(store.QueryEmailVerified, "false"), term("appMetadata.x", "1"))},
	} {
		got, err := ParseQuery(tc.q)
		if err != nil {
			t.Errorf("%s: %v", tc.q, err)
			continue
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.q, got, tc.want)
		}
	}
}

func TestParseQueryRefusals(t *testing.T) {
	for _, tc := range []struct{ q, says string }{
		{``, "empty"},
		{`jane`, "no field"},
		{`email:a@x.io name:b`, "AND or OR"},
		{`email:a@x.io AND`, "ends"},
		{`AND email:a`, "unexpected AND"},
		{`(email:a`, "not closed"},
		{`email:a)`, "unexpected ')'"},
		{`email:"a`, "not closed"},
		{`email:`, "no value"},
		{`email:*`, "at least one character"},
		{`name:*ane`, "only end"},
		{`name:j*ne`, "only end"},
		{`name:ja?e`, "escaped"},
		{`created_at:[2020 TO 2021]`, "cannot search field"},
		{`password:x`, "cannot search field"},
		{`email_verified:yes`, "true or false"},
		{`email_verified:t*`, "true or false"},
		{`email_verified:TRUE`, "true or false"},
		{`app_metadata.:x`, "app_metadata keys"},
		{`app_metadata.a'b:x`, "app_metadata keys"},
		{`name:"a"b`, "after a quoted value"},
		{`"jane"`, "needs a field"},
		{strings.Repeat("(", 20) + "name:a" + strings.Repeat(")", 20), "nested too deeply"},
		{strings.Repeat("name:a OR ", 70) + "name:a", "too many terms"},
		{strings.Repeat("x", maxQueryLen+1), "at most"},
		{"name:\xff", "UTF-8"},
	} {
		_, err := ParseQuery(tc.q)
		var qe *QueryError
		if !errors.As(err, &qe) || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%q: got %v, want a QueryError saying %q", tc.q, err, tc.says)
		}
	}
}

// FuzzParseQuery: any input is parsed or refused with a QueryError, never
// a panic, and what parses stays within the bounds the store is given.
func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{`email:a@x.io`, `name:"J D" AND app_metadata.p:gold`, `(a:b OR c:d)`, `user_id:auth0\|x*`,
		`!name:a || name:b && NOT name:c`, `name:"\"`, `app_metadata.a.b.c:1`, `((((name:a))))`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := ParseQuery(q)
		if err != nil {
			var qe *QueryError
			if !errors.As(err, &qe) || qe.Message == "" {
				t.Fatalf("%q: error %v is not a QueryError", q, err)
			}
			return
		}
		terms := 0
		var walk func(u store.UserQuery, depth int)
		walk = func(u store.UserQuery, depth int) {
			if depth > 2*maxQueryDepth+2 {
				t.Fatalf("%q: nested %d deep", q, depth)
			}
			switch u.Op {
			case store.QueryAnd, store.QueryOr:
				if len(u.Children) < 2 {
					t.Fatalf("%q: %s with %d children", q, u.Op, len(u.Children))
				}
			case store.QueryNot:
				if len(u.Children) != 1 {
					t.Fatalf("%q: NOT with %d children", q, len(u.Children))
				}
			case "":
				terms++
				path, isMeta := strings.CutPrefix(u.Field, store.AppMetadataField)
				_, plain := map[string]bool{store.QueryEmail: true, store.QueryName: true, store.QueryUsername: true,
					store.QueryPhone: true, store.QueryUserID: true}[u.Field]
				if !plain && !(isMeta && path != "") {
					t.Fatalf("%q: field %q", q, u.Field)
				}
				return
			default:
				t.Fatalf("%q: op %q", q, u.Op)
			}
			for _, c := range u.Children {
				walk(c, depth+1)
			}
		}
		walk(got, 0)
		if terms == 0 || terms > maxQueryTerms {
			t.Fatalf("%q: %d terms", q, terms)
		}
	})
}
