package sqlstore

import (
	"errors"
	"fmt"
	"strings"

	"github.com/monban/monban/internal/store"
)

// maxQueryDepth and maxQueryTerms bound a user query's SQL.
const (
	maxQueryDepth = 16
	maxQueryTerms = 64
)

// userQueryColumns are the columns of the plain fields of a user query.
var userQueryColumns = map[string]string{
	store.QueryUserID:   "users.id",
	store.QueryEmail:    "users.primary_email",
	store.QueryName:     "users.name",
	store.QueryUsername: "users.username",
	store.QueryPhone:    "users.primary_phone",
}

// userQuery is the condition of q, with its arguments.
func (s *Store) userQuery(q store.UserQuery) (string, []any, error) {
	terms := 0
	return s.userQueryAt(q, 0, &terms)
}

func (s *Store) userQueryAt(q store.UserQuery, depth int, terms *int) (string, []any, error) {
	if depth > maxQueryDepth {
		return "", nil, errors.New("user query nested too deeply")
	}
	switch q.Op {
	case store.QueryAnd, store.QueryOr:
		if len(q.Children) == 0 {
			return "", nil, errors.New("user query without conditions")
		}
		var parts []string
		var args []any
		for _, c := range q.Children {
			cond, a, err := s.userQueryAt(c, depth+1, terms)
			if err != nil {
				return "", nil, err
			}
			parts, args = append(parts, cond), append(args, a...)
		}
		return "(" + strings.Join(parts, " "+strings.ToUpper(string(q.Op))+" ") + ")", args, nil
	case store.QueryNot:
		if len(q.Children) != 1 {
			return "", nil, errors.New("user query NOT needs one condition")
		}
		cond, args, err := s.userQueryAt(q.Children[0], depth+1, terms)
		if err != nil {
			return "", nil, err
		}
		return "NOT COALESCE(" + cond + ", FALSE)", args, nil
	case "":
	default:
		return "", nil, fmt.Errorf("unknown user query operator %q", q.Op)
	}
	if *terms++; *terms > maxQueryTerms {
		return "", nil, errors.New("user query has too many terms")
	}
	if q.Field == store.QueryEmailVerified {
		if q.Prefix || (q.Value != "true" && q.Value != "false") {
			return "", nil, errors.New("a user query on emailVerified is true or false")
		}
		return "(users.primary_email IS NOT NULL AND users.email_verified = ?)", []any{q.Value == "true"}, nil
	}
	var expr string
	var args []any
	if path, ok := strings.CutPrefix(q.Field, store.AppMetadataField); ok {
		keys := strings.Split(path, ".")
		for _, k := range keys {
			if !metadataKey(k) {
				return "", nil, fmt.Errorf("app metadata key %q is not letters, digits, '_' and '-'", k)
			}
		}
		if s.d.JSONText == nil {
			return "", nil, errors.New("this database cannot search app metadata")
		}
		expr, args = s.d.JSONText("users.app_metadata", keys)
	} else if col, ok := userQueryColumns[q.Field]; ok {
		expr = col
	} else {
		return "", nil, fmt.Errorf("unknown user query field %q", q.Field)
	}
	value := q.Value
	if q.Field == store.QueryEmail {
		expr, value = "lower("+expr+")", strings.ToLower(value)
	}
	if q.Prefix {
		return expr + ` LIKE ? ESCAPE '\'`, append(args, likeEscape(value)+"%"), nil
	}
	return expr + " = ?", append(args, value), nil
}

// metadataKey reports whether k may be a key of an app metadata path.
func metadataKey(k string) bool {
	if k == "" || len(k) > 64 {
		return false
	}
	for _, c := range k {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
