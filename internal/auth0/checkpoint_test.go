package auth0_test

import (
	"fmt"
	"net/url"
	"slices"
	"testing"
)

// Checkpoint pagination (from, take), which Auth0's Node SDK sends on every
// call of client-grants, a role's users and connections: {<key>, next},
// next only while items remain, and following it walks the whole list.
func TestCheckpointPagination(t *testing.T) {
	ts := start(t, nil)
	tok := ts.admin()
	role := ts.must(tok, "POST", "/api/v2/roles", map[string]any{"name": "Paged"}, 200)["id"].(string)
	var want []string
	for i := range 5 {
		u := newUser(ts, tok, fmt.Sprintf("p%d@example.com", i), fmt.Sprintf("P%d", i), nil)
		want = append(want, u["user_id"].(string))
	}
	ts.must(tok, "POST", "/api/v2/roles/"+role+"/users", map[string]any{"users": want}, 200)

	var got []string
	from := ""
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("more than 3 pages of 2: %v", got)
		}
		q := url.Values{"take": {"2"}, "include_totals": {"true"}}
		if from != "" {
			q.Set("from", from)
		}
		m := ts.must(tok, "GET", "/api/v2/roles/"+role+"/users?"+q.Encode(), nil, 200)
		users, _ := m["users"].([]any)
		if _, totals := m["total"]; totals || len(users) == 0 || len(users) > 2 {
			t.Fatalf("page %d: %v", pages, m)
		}
		for _, u := range users {
			got = append(got, u.(map[string]any)["user_id"].(string))
		}
		next, more := m["next"].(string)
		if !more {
			if pages != 2 {
				t.Fatalf("ended after page %d: %v", pages, m)
			}
			break
		}
		from = next
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("walked %v, want %v", got, want)
	}

	// The SDK's first call of each list: take=50 and include_totals=true.
	if m := ts.must(tok, "GET", "/api/v2/client-grants?include_totals=true&take=50", nil, 200); m["client_grants"] == nil || m["next"] != nil {
		t.Fatalf("client-grants %v", m)
	}
	if m := ts.must(tok, "GET", "/api/v2/connections?include_totals=true&take=50", nil, 200); len(m["connections"].([]any)) != 1 || m["next"] != nil {
		t.Fatalf("connections %v", m)
	}
	// Past the end: an empty page, no next.
	if m := ts.must(tok, "GET", "/api/v2/connections?from=1&take=1", nil, 200); len(m["connections"].([]any)) != 0 || m["next"] != nil {
		t.Fatalf("connections past the end %v", m)
	}
	for _, bad := range []string{"take=0", "take=101", "take=x", "from=-1", "from=01", "from=abc&take=2", "take=2&page=0", "from=2&per_page=5"} {
		wantError(t, ts.api(tok, "GET", "/api/v2/roles/"+role+"/users?"+bad, nil), 400, "invalid_query_string")
	}
	// Lists without checkpoint pagination in Auth0 refuse it.
	wantError(t, ts.api(tok, "GET", "/api/v2/roles?take=2", nil), 400, "invalid_query_string")
}
