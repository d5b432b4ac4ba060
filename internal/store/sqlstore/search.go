package sqlstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/store"
)

// searchColumns are the fields a list's search may name and their
// columns, in the order a search of every field looks in.
type searchColumns struct {
	names []string
	cols  []string
}

// conds gathers the conditions of a list query and their arguments; d is
// the dialect they are written for.
type conds struct {
	d    *Dialect
	list []string
	args []any
	err  error
}

// add adds cond with its arguments when on.
func (f *conds) add(on bool, cond string, args ...any) {
	if on {
		f.list, f.args = append(f.list, cond), append(f.args, args...)
	}
}

// search adds the condition of a Logto search on cols.
func (f *conds) search(cols searchColumns, match store.Search) {
	cond, args, err := cols.where(f.d, match)
	if err != nil && f.err == nil {
		f.err = err
	}
	f.add(cond != "", cond, args...)
}

// from is "FROM table" with the conditions, joined by AND.
func (f *conds) from(table string) string {
	if len(f.list) == 0 {
		return "FROM " + table
	}
	return "FROM " + table + " WHERE " + strings.Join(f.list, " AND ")
}

// marks is n placeholders separated by commas.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// likePattern escapes the LIKE wildcards of s but %, which stays the
// wildcard it is in Logto's search, for ESCAPE '\'.
func likePattern(s string) string {
	return strings.NewReplacer(`\`, `\\`, `_`, `\_`).Replace(s)
}

// globPattern is the GLOB pattern (which compares with case) matching what
// likePattern(s) matches: % becomes *, and GLOB's own wildcards *, ? and [
// are bracketed into plain characters.
func globPattern(s string) string {
	return strings.NewReplacer(`%`, `*`, `*`, `[*]`, `?`, `[?]`, `[`, `[[]`).Replace(s)
}

// where is the condition of search, with its arguments; "" when it has no
// match.
func (c searchColumns) where(d *Dialect, search store.Search) (string, []any, error) {
	if len(search.Matches) == 0 {
		return "", nil, nil
	}
	var conds []string
	var args []any
	for _, m := range search.Matches {
		cond, a, err := c.match(d, m, search.CaseSensitive)
		if err != nil {
			return "", nil, err
		}
		conds, args = append(conds, cond), append(args, a...)
	}
	joint := " OR "
	if search.All {
		joint = " AND "
	}
	return "(" + strings.Join(conds, joint) + ")", args, nil
}

// match is the condition of one search match, with its arguments. A like
// match with case is LIKE where LIKE compares with case (PostgreSQL), and
// GLOB where it does not (SQLite, see Dialect.LikeIgnoresCase).
func (c searchColumns) match(d *Dialect, m store.Match, caseSensitive bool) (string, []any, error) {
	cols := c.cols
	if m.Field != "" {
		cols = nil
		for i, n := range c.names {
			if n == m.Field {
				cols = []string{c.cols[i]}
			}
		}
		if cols == nil {
			return "", nil, fmt.Errorf("unknown search field %q", m.Field)
		}
	}
	if len(m.Values) == 0 {
		return "", nil, errors.New("search match without a value")
	}
	var conds []string
	var args []any
	for _, col := range cols {
		switch {
		case !m.Exact && !caseSensitive:
			conds = append(conds, "lower("+col+") LIKE ? ESCAPE '\\'")
			args = append(args, likePattern(strings.ToLower(m.Values[0])))
			continue
		case !m.Exact && d.LikeIgnoresCase:
			conds = append(conds, col+" GLOB ?")
			args = append(args, globPattern(m.Values[0]))
			continue
		case !m.Exact:
			conds = append(conds, col+" LIKE ? ESCAPE '\\'")
			args = append(args, likePattern(m.Values[0]))
			continue
		}
		if !caseSensitive {
			col = "lower(" + col + ")"
		}
		conds = append(conds, col+" IN ("+marks(len(m.Values))+")")
		for _, v := range m.Values {
			if !caseSensitive {
				v = strings.ToLower(v)
			}
			args = append(args, v)
		}
	}
	return "(" + strings.Join(conds, " OR ") + ")", args, nil
}
