package management

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/monban/monban/internal/store"
)

// checkName validates the name field of a body, a display name: present,
// not blank, no control characters, at most maxNameLen characters.
func checkName(v string) error {
	if strings.TrimSpace(v) == "" {
		return invalid("name is required and must not be blank")
	}
	return checkText("name", v, maxNameLen, false)
}

// namePatch is the name and description a PATCH body may change; either is
// left as it is when absent.
type namePatch struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
}

// check validates what the body gives, the name with validName.
func (p namePatch) check(validName func(string) error) error {
	if p.Name != nil {
		if err := validName(*p.Name); err != nil {
			return err
		}
	}
	if p.Description != nil {
		return checkText("description", *p.Description, maxDescriptionLen, true)
	}
	return nil
}

// apply copies what the body gives into name and description, and reports
// whether it gave anything.
func (p namePatch) apply(name, description *string) bool {
	if p.Name != nil {
		*name = *p.Name
	}
	if p.Description != nil {
		*description = *p.Description
	}
	return p.Name != nil || p.Description != nil
}

// checkText validates free text. Descriptions may hold line breaks and tabs;
// no value may hold NUL or other control characters, which no client means
// to send and some stores and terminals mishandle.
func checkText(field, v string, max int, multiline bool) error {
	if n := utf8.RuneCountInString(v); n > max {
		return invalid(fmt.Sprintf("%s is too long (%d characters; at most %d)", field, n, max))
	}
	for _, c := range v {
		if multiline && (c == '\n' || c == '\r' || c == '\t') {
			continue
		}
		if unicode.IsControl(c) {
			return invalid(field + " must not contain control characters such as NUL")
		}
	}
	return nil
}

// checkScopeName validates a scope name: it travels in the space-separated
// scope parameter, so it cannot hold whitespace.
func checkScopeName(v string) error {
	if v == "" {
		return invalid("name is required")
	}
	if err := checkText("name", v, maxNameLen, false); err != nil {
		return err
	}
	if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return invalid("name must not contain whitespace")
	}
	return nil
}

// checkIndicator validates a resource indicator: an absolute URI with a
// scheme and host and no fragment (RFC 8707 §2).
func checkIndicator(v string) error {
	if v == "" {
		return invalid("indicator is required")
	}
	if err := checkText("indicator", v, maxIndicatorLen, false); err != nil {
		return err
	}
	if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return invalid("indicator must not contain whitespace")
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return invalid("indicator must be an absolute URI with a scheme and host, such as https://api.example.com")
	}
	if u.Fragment != "" || strings.Contains(v, "#") {
		return invalid("indicator must not contain a fragment")
	}
	return nil
}

// checkTTL validates accessTokenTtl in seconds.
func checkTTL(v int) error {
	if v < 1 || v > MaxAccessTokenTTL {
		return invalid(fmt.Sprintf("accessTokenTtl must be an integer from 1 to %d seconds", MaxAccessTokenTTL))
	}
	return nil
}

// checkIDs validates a list of ids in a body and drops repeats.
func checkIDs(field string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, invalid(field + " must be a non-empty array of ids")
	}
	if len(ids) > maxIDsPerRequest {
		return nil, invalid(fmt.Sprintf("%s has more than %d ids", field, maxIDsPerRequest))
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !validID(id) {
			return nil, invalid(field + " must hold non-empty ids without control characters")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func validID(id string) bool {
	return id != "" && len(id) <= maxIDLen && strings.IndexFunc(id, unicode.IsControl) < 0
}

// pathID returns a path parameter. A value no stored row can have is
// answered 404 without asking the store.
func pathID(r *http.Request, name, what string) (string, error) {
	id := r.PathValue(name)
	if !validID(id) {
		return "", notFound(what + " not found")
	}
	return id, nil
}

// pathIDs returns two path parameters, as pathID does.
func pathIDs(r *http.Request, name1, what1, name2, what2 string) (string, string, error) {
	id1, err := pathID(r, name1, what1)
	if err != nil {
		return "", "", err
	}
	id2, err := pathID(r, name2, what2)
	return id1, id2, err
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
