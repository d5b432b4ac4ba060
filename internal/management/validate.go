package management

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/store"
)

// namePatch is the name and description a PATCH body may change; either is
// left as it is when absent.
type namePatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// pathID returns a path parameter. A value no stored row can have is
// answered 404 without asking the store.
func pathID(r *http.Request, name, what string) (string, error) {
	id := r.PathValue(name)
	if !directory.ValidID(id) {
		return "", notFound(what + " not found")
	}
	return id, nil
}

// msTimeOrNil is a time given in Unix milliseconds, or nil.
func msTimeOrNil(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := time.UnixMilli(*v)
	return &t
}

// invalidPagination is Logto's answer to a page or page_size it cannot
// read.
func invalidPagination(message string) error {
	return &apiError{http.StatusBadRequest, "guard.invalid_pagination", message}
}

// pageOf reads the page (1-based) and page_size query parameters, as
// Logto's pagination does: an empty one is absent. When optional and both
// are absent, the list is not paginated: paged is false and page is every
// row.
func pageOf(r *http.Request, optional bool) (page store.Page, paged bool, err error) {
	q := r.URL.Query()
	rawPage, rawSize := q.Get("page"), q.Get("page_size")
	if optional && rawPage == "" && rawSize == "" {
		return store.Page{}, false, nil
	}
	n, size := 1, defaultPageSize
	if rawPage != "" {
		v, err := strconv.Atoi(rawPage)
		if err != nil || v < 1 {
			return store.Page{}, false, invalidPagination("page must be a positive integer")
		}
		n = v
	}
	if rawSize != "" {
		v, err := strconv.Atoi(rawSize)
		if err != nil || v < 1 || v > maxPageSize {
			return store.Page{}, false, invalidPagination(fmt.Sprintf("page_size must be an integer from 1 to %d", maxPageSize))
		}
		size = v
	}
	if n-1 > math.MaxInt32/size {
		return store.Page{}, false, invalidPagination("page is too large")
	}
	return store.Page{Offset: (n - 1) * size, Limit: size}, true, nil
}

// pageLinks are Logto's Link header values for page of a list of total
// rows: first, prev (past the first page), last and next (before the last
// page), each the request's URL with its page parameter replaced.
func pageLinks(r *http.Request, page store.Page, total int) []string {
	totalPages := max((total+page.Limit-1)/page.Limit, 1)
	n := page.Offset/page.Limit + 1
	links := []string{pageLink(r, 1, "first")}
	if n > 1 {
		links = append(links, pageLink(r, n-1, "prev"))
	}
	links = append(links, pageLink(r, totalPages, "last"))
	if n < totalPages {
		links = append(links, pageLink(r, n+1, "next"))
	}
	return links
}

// pageLink is one Link value: <origin/path?query with page=n>; rel="rel".
// The origin is the request's (relative when it has no host); the other
// query parameters keep their order.
func pageLink(r *http.Request, n int, rel string) string {
	var pairs []string
	replaced := false
	for _, pair := range strings.Split(r.URL.RawQuery, "&") {
		if pair == "" {
			continue
		}
		key, _, _ := strings.Cut(pair, "=")
		if k, err := url.QueryUnescape(key); err == nil && k == "page" {
			if replaced {
				continue
			}
			replaced = true
			pair = "page=" + strconv.Itoa(n)
		}
		pairs = append(pairs, pair)
	}
	if !replaced {
		pairs = append(pairs, "page="+strconv.Itoa(n))
	}
	origin := ""
	if r.Host != "" {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		origin = scheme + "://" + r.Host
	}
	return "<" + origin + r.URL.Path + "?" + strings.Join(pairs, "&") + `>; rel="` + rel + `"`
}

// listQuery is what a list route reads from its query: page and page_size
// (optional: without both, every row; whole: never), the parameters params
// names and, when search, Logto's search parameters. Any other parameter is
// refused.
type listQuery struct {
	params   []string
	optional bool
	search   bool
	whole    bool // not paginated (or one object's flags): page and page_size are refused too
}

type listQueryKey struct{}

// queryRule returns the list route rule the request was checked against,
// or the default one (mandatory pagination, nothing else).
func queryRule(r *http.Request) listQuery {
	q, _ := r.Context().Value(listQueryKey{}).(listQuery)
	return q
}

// checkQuery refuses a query parameter the route does not read, naming
// it, before h runs.
func (q listQuery) checkQuery(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		keys := make([]string, 0)
		for k := range r.URL.Query() {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if !q.whole && (k == "page" || k == "page_size") || slices.Contains(q.params, k) || q.search && directory.SearchParams(k) {
				continue
			}
			return invalid(fmt.Sprintf("query parameter `%s` is not supported here", k))
		}
		return h(w, r.WithContext(context.WithValue(r.Context(), listQueryKey{}, q)))
	}
}
