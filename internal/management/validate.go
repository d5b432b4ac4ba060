package management

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
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

// query returns the first value of a query parameter, or nil when it is
// absent.
func query(r *http.Request, name string) *string {
	if v, ok := r.URL.Query()[name]; ok {
		return &v[0]
	}
	return nil
}

// msTimeOrNil is a time given in Unix milliseconds, or nil.
func msTimeOrNil(v *int64) *time.Time {
	if v == nil {
		return nil
	}
	t := time.UnixMilli(*v)
	return &t
}

// pageOf reads the page (1-based) and page_size query parameters.
func pageOf(r *http.Request) (store.Page, error) {
	q := r.URL.Query()
	page, size := 1, defaultPageSize
	if v, ok := q["page"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 {
			return store.Page{}, invalid("page must be a positive integer")
		}
		page = n
	}
	if v, ok := q["page_size"]; ok {
		n, err := strconv.Atoi(v[0])
		if err != nil || n < 1 || n > maxPageSize {
			return store.Page{}, invalid(fmt.Sprintf("page_size must be an integer from 1 to %d", maxPageSize))
		}
		size = n
	}
	if page-1 > math.MaxInt32/size {
		return store.Page{}, invalid("page is too large")
	}
	return store.Page{Offset: (page - 1) * size, Limit: size}, nil
}
