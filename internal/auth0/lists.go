package auth0

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/auth0shape"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/store"
)

// parseQuery reads the request's query strictly: a malformed one is a 400,
// not a partly read one.
func parseQuery(r *http.Request) (url.Values, error) {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, badQuery("Query validation error: the query string is malformed.")
	}
	return q, nil
}

type queryKey struct{}

// withQuery is r carrying its checked query, which handlers read with
// query rather than parsing it again.
func withQuery(r *http.Request, q url.Values) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), queryKey{}, q))
}

// query is the request's query as the route checked it (checkQuery runs
// before every handler); empty when there was none.
func query(r *http.Request) url.Values {
	q, _ := r.Context().Value(queryKey{}).(url.Values)
	return q
}

// pagedQuery is the request's checked query and the page it asks for.
func pagedQuery(r *http.Request) (url.Values, pageQuery, error) {
	q := query(r)
	p, err := readPage(q)
	return q, p, err
}

// pageQuery is Auth0's pagination of a list: page (from 0) of per_page
// items, and whether to answer with totals; or, on the routes that take
// them, Auth0's checkpoint pagination: take items from the cursor from
// (the next of the previous answer).
type pageQuery struct {
	page, perPage int
	totals        bool
	// checkpoint is set when from or take was given; from is then the
	// offset the cursor names.
	checkpoint bool
	from       int
}

// offset is the index of the page's first item.
func (p pageQuery) offset() int {
	if p.checkpoint {
		return p.from
	}
	return p.page * p.perPage
}

func (p pageQuery) store() store.Page {
	return store.Page{Offset: p.offset(), Limit: p.perPage}
}

// readPage reads page, per_page and include_totals, or from and take
// (which routes accept them is the route table's business).
func readPage(q url.Values) (pageQuery, error) {
	p := pageQuery{perPage: defaultPerPage}
	if q.Has("from") || q.Has("take") {
		return readCheckpoint(q)
	}
	if v := q.Get("page"); v != "" || q.Has("page") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 1_000_000 {
			return p, badQuery("Query validation error: 'page' must be an integer from 0.")
		}
		p.page = n
	}
	if v := q.Get("per_page"); v != "" || q.Has("per_page") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return p, badQuery("Query validation error: 'per_page' must be an integer from 1 to " + strconv.Itoa(maxPerPage) + ".")
		}
		p.perPage = n
	}
	var err error
	if p.totals, err = boolParam(q, "include_totals", false); err != nil {
		return p, err
	}
	return p, nil
}

// readCheckpoint reads from and take. The cursor is opaque to clients
// (it is the offset of the next item, as the previous answer's next gave
// it); include_totals is accepted and, as in Auth0, has no effect on a
// checkpoint answer. page and per_page do not mix with it.
func readCheckpoint(q url.Values) (pageQuery, error) {
	p := pageQuery{perPage: defaultPerPage, checkpoint: true}
	if q.Has("page") || q.Has("per_page") {
		return p, badQuery("Query validation error: 'page' and 'per_page' cannot be combined with 'from' and 'take'.")
	}
	if v := q.Get("take"); v != "" || q.Has("take") {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return p, badQuery("Query validation error: 'take' must be an integer from 1 to " + strconv.Itoa(maxPerPage) + ".")
		}
		p.perPage = n
	}
	if v := q.Get("from"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > 100_000_000 || strconv.Itoa(n) != v {
			return p, badQuery("Query validation error: 'from' is not a cursor this server gave.")
		}
		p.from = n
	}
	if _, err := boolParam(q, "include_totals", false); err != nil {
		return p, err
	}
	return p, nil
}

// readPagedSelection reads the query of a list that pages and selects
// fields: the query, its page and its field selection.
func readPagedSelection(r *http.Request) (url.Values, pageQuery, fieldSelection, error) {
	q, p, err := pagedQuery(r)
	if err != nil {
		return q, p, fieldSelection{}, err
	}
	sel, err := readFields(q)
	return q, p, sel, err
}

// boolParam reads a true/false query parameter.
func boolParam(q url.Values, name string, def bool) (bool, error) {
	if !q.Has(name) {
		return def, nil
	}
	switch q.Get(name) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badQuery("Query validation error: '" + name + "' must be true or false.")
}

// fieldSelection is fields and include_fields: which keys of each item an
// answer keeps. The zero value keeps them all.
type fieldSelection struct {
	fields  []string
	include bool
}

func readFields(q url.Values) (fieldSelection, error) {
	sel := fieldSelection{include: true}
	if v := q.Get("fields"); v != "" {
		for f := range strings.SplitSeq(v, ",") {
			if f = strings.TrimSpace(f); f != "" {
				sel.fields = append(sel.fields, f)
			}
		}
		if len(sel.fields) > 64 {
			return sel, badQuery("Query validation error: 'fields' names at most 64 fields.")
		}
	}
	var err error
	sel.include, err = boolParam(q, "include_fields", true)
	return sel, err
}

// apply keeps (or drops) the selected keys of item, a JSON object.
func (sel fieldSelection) apply(item any) any {
	if len(sel.fields) == 0 {
		return item
	}
	b, err := json.Marshal(item)
	if err != nil {
		return item
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return item
	}
	out := map[string]json.RawMessage{}
	for k, v := range m {
		if contains(sel.fields, k) == sel.include {
			out[k] = v
		}
	}
	return out
}

// writeList answers a list: the items alone, or with include_totals
// Auth0's {start, limit, length, total, <key>} object; with checkpoint
// pagination {<key>, next}, next only while items remain.
func writeList[T any](w http.ResponseWriter, p pageQuery, key string, items []T, total int) {
	if items == nil {
		items = []T{}
	}
	if p.checkpoint {
		out := map[string]any{key: items}
		if end := p.from + len(items); end < total {
			out["next"] = strconv.Itoa(end)
		}
		httpjson.Write(w, http.StatusOK, out)
		return
	}
	if !p.totals {
		httpjson.Write(w, http.StatusOK, items)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{
		"start": p.page * p.perPage, "limit": p.perPage, "length": len(items), "total": total, key: items,
	})
}

// pageOf cuts one page out of a whole list.
func pageOf[T any](all []T, p pageQuery) []T {
	start := min(p.offset(), len(all))
	end := min(start+p.perPage, len(all))
	return all[start:end]
}

// iso formats a time as Auth0 does (UTC, milliseconds).
func iso(t time.Time) string { return auth0shape.Time(t) }

// decode reads a JSON request body into v, refusing unknown fields.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	return httpjson.Decode(w, r, v, maxBodyBytes)
}
