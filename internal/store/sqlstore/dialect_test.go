package sqlstore

import (
	"testing"

	"github.com/monban/monban/internal/store"
)

func TestRebind(t *testing.T) {
	pg := &Dialect{DollarPlaceholders: true}
	for in, want := range map[string]string{
		"SELECT 1": "SELECT 1",
		"SELECT a FROM t WHERE x = ? AND y IN (?, ?)": "SELECT a FROM t WHERE x = $1 AND y IN ($2, $3)",
		"SELECT '?', \"a?\" FROM t WHERE x = ?":       "SELECT '?', \"a?\" FROM t WHERE x = $1",
		"SELECT 'it''s ?' WHERE x = ?":                "SELECT 'it''s ?' WHERE x = $1",
	} {
		if got := pg.rebind(in); got != want {
			t.Errorf("rebind(%q) = %q, want %q", in, got, want)
		}
	}
	lite := &Dialect{}
	if q := "SELECT ? WHERE '?'"; lite.rebind(q) != q {
		t.Errorf("rebind without DollarPlaceholders changed %q", q)
	}
}

func TestPageClause(t *testing.T) {
	for _, tc := range []struct {
		page          store.Page
		limit, offset int64
	}{
		{store.Page{}, 1<<63 - 1, 0},
		{store.Page{Offset: 5, Limit: 10}, 10, 5},
		{store.Page{Offset: -1, Limit: -1}, 1<<63 - 1, 0},
	} {
		_, args := pageClause(tc.page)
		if args[0] != tc.limit || args[1] != tc.offset {
			t.Errorf("pageClause(%+v) args = %v, want [%d %d]", tc.page, args, tc.limit, tc.offset)
		}
	}
}
