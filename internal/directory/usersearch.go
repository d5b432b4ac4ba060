package directory

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/monban/monban/internal/store"
)

// maxSearchValues bounds how many values one search may name.
const maxSearchValues = 100

// The fields Logto's search of each list may name, as search.<field> and
// mode.<field>.
var (
	userSearchFields = []string{"id", "username", "primaryEmail", "primaryPhone", "name"}
	roleSearchFields = []string{"id", "name", "description"} // roles' and scopes'

	appSearchFields = []string{"id", "name", "description"}
)

// errRegexMode is why the search modes similar_to and posix, regular
// expressions that Logto hands to PostgreSQL, are refused: a pattern is
// the client's, and neither SQLite (which has no regular expressions) nor
// PostgreSQL (whose engine backtracks) can run one within a bounded time,
// and filtering in the server instead would read every row of a list to
// count it.
const errRegexMode = "regular expressions are not run on the database, as their cost cannot be bounded"

// logtoAppTypes are the application types Logto knows; the ones Monban
// has not are listed empty.
var logtoAppTypes = []string{"Native", "SPA", "Traditional", "MachineToMachine", "Protected", "SAML"}

// AppQuery is an application list query: Filter, or nothing at all when
// None (third-party applications, or only types Monban has not).
type AppQuery struct {
	Filter store.ApplicationFilter
	None   bool
}

// ApplicationSearch reads Logto's application list query: types
// (repeatable), isThirdParty, excludeRoleId and the search of id, name and
// description (see parseSearch). Monban's applications are all
// first-party: isThirdParty=true lists none.
func ApplicationSearch(q url.Values) (AppQuery, error) {
	f, none, err := appFilter(q)
	return AppQuery{Filter: f, None: none}, err
}

func appFilter(q url.Values) (f store.ApplicationFilter, none bool, err error) {
	for _, t := range q["types"] {
		if !slices.Contains(logtoAppTypes, t) {
			return f, false, invalid(fmt.Sprintf("types: `%s` is not one of %s", t, strings.Join(logtoAppTypes, ", ")))
		}
		if store.AppType(t).Valid() {
			f.Types = append(f.Types, store.AppType(t))
		}
	}
	none = len(q["types"]) > 0 && len(f.Types) == 0
	switch q.Get("isThirdParty") {
	case "", "false":
	case "true":
		none = true
	default:
		return f, false, invalid("isThirdParty must be true or false")
	}
	if f.Match, err = parseSearch(q, appSearchFields); err != nil {
		return f, false, err
	}
	if f.ExcludeRoleID, err = optionalID(q, "excludeRoleId"); err != nil {
		return f, false, err
	}
	if f.ExcludeOrganizationID, err = optionalID(q, "excludeOrganizationId"); err != nil {
		return f, false, err
	}
	return f, none, nil
}

// SearchParams reports whether a query parameter is one of Logto's search
// parameters: search, search.<field>, mode, mode.<field>, joint (or
// jointMode) and isCaseSensitive.
func SearchParams(name string) bool {
	switch name {
	case "search", "mode", "joint", "jointMode", "isCaseSensitive":
		return true
	}
	return strings.HasPrefix(name, "search.") || strings.HasPrefix(name, "mode.")
}

// searchField returns the field a search.<field> or mode.<field> parameter
// names ("" for the general one), or an error when the field is not one a
// search may name.
func searchField(key string, fields []string) (string, error) {
	_, field, nested := strings.Cut(key, ".")
	if !nested {
		return "", nil
	}
	if strings.Contains(field, ".") {
		return "", invalid(fmt.Sprintf("unsupported nested search field path `%s`; only the first level field is supported", field))
	}
	for _, f := range fields {
		if f == field {
			return field, nil
		}
	}
	return "", invalid(fmt.Sprintf("search field `%s` is not allowed; expect one of %s", field, strings.Join(fields, ", ")))
}

// YesNo reads a boolean query parameter named name, as Logto's yes()
// does, but refuses a value that is neither.
func YesNo(name, v string) (bool, error) { return yesNo(name, v) }

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

// UserSearch reads Logto's user search from a query (see parseSearch)
// and excludeRoleId. Other parameters are left to the caller.
func UserSearch(q url.Values) (store.UserFilter, error) {
	var f store.UserFilter
	var err error
	if f.Match, err = parseSearch(q, userSearchFields); err != nil {
		return f, err
	}
	if f.ExcludeRoleID, err = optionalID(q, "excludeRoleId"); err != nil {
		return f, err
	}
	if f.ExcludeOrganizationID, err = optionalID(q, "excludeOrganizationId"); err != nil {
		return f, err
	}
	return f, nil
}

// RoleSearch reads Logto's role list query: type, the search of id, name
// and description (see parseSearch), excludeUserId and
// excludeApplicationId.
func RoleSearch(q url.Values) (store.RoleFilter, error) {
	var f store.RoleFilter
	var err error
	if _, ok := q["type"]; ok {
		if f.Type = store.RoleType(q.Get("type")); !f.Type.Valid() {
			return f, errRoleTypeValue
		}
	}
	if f.Match, err = parseSearch(q, roleSearchFields); err != nil {
		return f, err
	}
	if f.ExcludeUserID, err = optionalID(q, "excludeUserId"); err != nil {
		return f, err
	}
	if f.ExcludeApplicationID, err = optionalID(q, "excludeApplicationId"); err != nil {
		return f, err
	}
	return f, nil
}

// ScopeSearch reads Logto's scope search, on id, name and description
// (see parseSearch).
func ScopeSearch(q url.Values) (store.Search, error) {
	return parseSearch(q, roleSearchFields)
}

// RoleMatch reads Logto's search of the roles a user or an application
// holds, on id, name and description (see parseSearch).
func RoleMatch(q url.Values) (store.Search, error) {
	return parseSearch(q, roleSearchFields)
}

// ApplicationMatch reads Logto's search of the applications holding a
// role, on id, name and description (see parseSearch).
func ApplicationMatch(q url.Values) (store.Search, error) {
	return parseSearch(q, appSearchFields)
}

// optionalID reads an id query parameter; "" when absent or empty.
func optionalID(q url.Values, name string) (string, error) {
	id := q.Get(name)
	if id != "" && !ValidID(id) {
		return "", invalid(name + " is not a valid id")
	}
	return id, nil
}

// parseSearch reads Logto's search from a query, as its
// parseSearchParamsForSearch does: search and search.<field> (one of
// fields; a LIKE pattern whose wildcard is %, or with mode exact one or
// more values), mode and mode.<field> (like or exact; similar_to and posix
// are refused, see errRegexMode), joint (and, or; or by default) and
// isCaseSensitive.
func parseSearch(q url.Values, allowed []string) (store.Search, error) {
	var f store.Search
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
		field, err := searchField(k, allowed)
		if err != nil {
			return f, err
		}
		if isMode {
			switch m := q[k][len(q[k])-1]; m {
			case "like", "exact":
				modes[field] = m == "exact"
			case "similar_to", "posix":
				return f, invalid(fmt.Sprintf("search match mode `%s` is not supported: %s; use like or exact", m, errRegexMode))
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
		f.Matches = append(f.Matches, store.Match{Field: field, Exact: exact, Values: vs})
	}
	return f, nil
}
