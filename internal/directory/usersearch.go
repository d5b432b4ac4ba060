package directory

import (
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/monban/monban/internal/store"
)

// maxSearchValues bounds how many values one search may name.
const maxSearchValues = 100

// userSearchFields are the fields Logto's user search may name, as
// search.<field> and mode.<field>.
var userSearchFields = []string{"id", "username", "primaryEmail", "primaryPhone", "name"}

// UserSearchParams reports whether a query parameter is one of Logto's
// user search parameters: search, search.<field>, mode, mode.<field>,
// joint (or jointMode), isCaseSensitive and excludeRoleId.
func UserSearchParams(name string) bool {
	switch name {
	case "search", "mode", "joint", "jointMode", "isCaseSensitive", "excludeRoleId":
		return true
	}
	return strings.HasPrefix(name, "search.") || strings.HasPrefix(name, "mode.")
}

// searchField returns the field a search.<field> or mode.<field> parameter
// names ("" for the general one), or an error when the field is not one a
// search may name.
func searchField(key string) (string, error) {
	_, field, nested := strings.Cut(key, ".")
	if !nested {
		return "", nil
	}
	if strings.Contains(field, ".") {
		return "", invalid(fmt.Sprintf("unsupported nested search field path `%s`; only the first level field is supported", field))
	}
	for _, f := range userSearchFields {
		if f == field {
			return field, nil
		}
	}
	return "", invalid(fmt.Sprintf("search field `%s` is not allowed; expect one of %s", field, strings.Join(userSearchFields, ", ")))
}

// yesNo reads a boolean query value as Logto's yes() does.
func yesNo(name, v string) (bool, error) {
	switch strings.ToLower(v) {
	case "true", "1", "yes", "y":
		return true, nil
	case "false", "0", "no", "n", "":
		return false, nil
	}
	return false, invalid(fmt.Sprintf("%s must be true or false", name))
}

// UserSearch reads Logto's user search from a query: search and
// search.<field> (a LIKE pattern whose wildcard is %, or with mode exact
// one or more values), mode and mode.<field> (like or exact; similar_to
// and posix are refused), joint (and, or; or by default),
// isCaseSensitive (exact matches only) and excludeRoleId. Other
// parameters are left to the caller.
func UserSearch(q url.Values) (store.UserFilter, error) {
	var f store.UserFilter
	joint := q.Get("joint")
	if _, ok := q["joint"]; !ok {
		joint = q.Get("jointMode")
	}
	switch joint {
	case "", "or":
	case "and":
		f.All = true
	default:
		return f, invalid(fmt.Sprintf("search joint mode `%s` is not valid; expect one of and, or", joint))
	}
	var err error
	if f.CaseSensitive, err = yesNo("isCaseSensitive", q.Get("isCaseSensitive")); err != nil {
		return f, err
	}
	if id := q.Get("excludeRoleId"); id != "" {
		if !ValidID(id) {
			return f, invalid("excludeRoleId is not a valid id")
		}
		f.ExcludeRoleID = id
	}
	modes := map[string]bool{} // field: exact
	values := map[string][]string{}
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	n := 0
	for _, k := range keys {
		isMode := k == "mode" || strings.HasPrefix(k, "mode.")
		if !isMode && k != "search" && !strings.HasPrefix(k, "search.") {
			continue
		}
		field, err := searchField(k)
		if err != nil {
			return f, err
		}
		if isMode {
			switch m := q[k][len(q[k])-1]; m {
			case "like", "exact":
				modes[field] = m == "exact"
			case "similar_to", "posix":
				return f, invalid(fmt.Sprintf("search match mode `%s` is not supported; use like or exact", m))
			default:
				return f, invalid(fmt.Sprintf("search match mode `%s` is not valid; expect one of like, exact", m))
			}
			continue
		}
		for _, v := range q[k] {
			if err := checkText(k, v, maxSearchLen, false); err != nil {
				return f, err
			}
		}
		n += len(q[k])
		values[field] = q[k]
	}
	if n > maxSearchValues {
		return f, invalid(fmt.Sprintf("too many search values (%d; at most %d)", n, maxSearchValues))
	}
	fields := make([]string, 0, len(values))
	for field := range values {
		fields = append(fields, field)
	}
	sort.Strings(fields)
	for _, field := range fields {
		vs := values[field]
		exact, ok := modes[field]
		if !ok {
			exact = modes[""]
		}
		for _, v := range vs {
			if v == "" {
				return f, invalid("search value cannot be empty")
			}
		}
		if !exact && len(vs) != 1 {
			return f, invalid("only one search value is allowed when search mode is not `exact`")
		}
		if f.CaseSensitive && !exact {
			return f, invalid("isCaseSensitive=true is supported only with mode exact")
		}
		f.Matches = append(f.Matches, store.UserMatch{Field: field, Exact: exact, Values: vs})
	}
	return f, nil
}
