package auth0

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/monban/monban/internal/store"
)

// The user search (q) of GET /api/v2/users, in the subset of Auth0's
// Lucene-like syntax Monban answers:
//
//	query := or
//	or    := and ("OR" and)*
//	and   := unary ("AND" unary)*
//	unary := "NOT" unary | "(" or ")" | field ":" value
//	value := "quoted string" | word, where a word may end with * (a prefix)
//
// "&&", "||" and "!" are AND, OR and NOT. Fields: email, email_verified
// (true or false), name, username, phone_number, user_id (auth0|{id}) and
// app_metadata.{key}[.{key}…]. A backslash escapes the next character. Anything else (a term without a
// field, terms side by side without AND or OR, ranges, fuzzy or leading
// wildcards) is refused rather than read in another way.

// Bounds of a query.
const (
	maxQueryLen   = 1024
	maxQueryTerms = 64
	maxQueryDepth = 16
)

// queryFields maps Auth0's field names onto the store's.
var queryFields = map[string]string{
	"email":        store.QueryEmail,
	"name":         store.QueryName,
	"username":     store.QueryUsername,
	"phone_number": store.QueryPhone,
	"user_id":      store.QueryUserID,
	// true or false, whole.
	"email_verified": store.QueryEmailVerified,
}

// QueryError is a query that cannot be read; its message says why.
type QueryError struct{ Message string }

func (e *QueryError) Error() string { return e.Message }

func queryErr(format string, args ...any) error {
	return &QueryError{Message: fmt.Sprintf(format, args...)}
}

type tokenKind int

const (
	tokTerm tokenKind = iota + 1
	tokAnd
	tokOr
	tokNot
	tokOpen
	tokClose
)

type qtoken struct {
	kind   tokenKind
	field  string
	value  string
	prefix bool
	pos    int
}

// ParseQuery reads q into a user query.
func ParseQuery(q string) (store.UserQuery, error) {
	if len(q) > maxQueryLen {
		return store.UserQuery{}, queryErr("q must be at most %d bytes", maxQueryLen)
	}
	if !utf8.ValidString(q) {
		return store.UserQuery{}, queryErr("q must be UTF-8")
	}
	toks, err := lex(q)
	if err != nil {
		return store.UserQuery{}, err
	}
	if len(toks) == 0 {
		return store.UserQuery{}, queryErr("q is empty")
	}
	p := &parser{toks: toks}
	out, err := p.or(0)
	if err != nil {
		return store.UserQuery{}, err
	}
	if p.i < len(p.toks) {
		t := p.toks[p.i]
		if t.kind == tokTerm || t.kind == tokOpen || t.kind == tokNot {
			return store.UserQuery{}, queryErr("join the terms of q with AND or OR (at character %d)", t.pos+1)
		}
		return store.UserQuery{}, queryErr("unexpected %s in q at character %d", describeTok(t), t.pos+1)
	}
	return out, nil
}

func describeTok(t qtoken) string {
	switch t.kind {
	case tokAnd:
		return "AND"
	case tokOr:
		return "OR"
	case tokNot:
		return "NOT"
	case tokOpen:
		return "'('"
	case tokClose:
		return "')'"
	}
	return "term"
}

// lex splits q into tokens.
func lex(q string) ([]qtoken, error) {
	var out []qtoken
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, qtoken{kind: tokOpen, pos: i})
			i++
		case c == ')':
			out = append(out, qtoken{kind: tokClose, pos: i})
			i++
		case strings.HasPrefix(q[i:], "&&"):
			out = append(out, qtoken{kind: tokAnd, pos: i})
			i += 2
		case strings.HasPrefix(q[i:], "||"):
			out = append(out, qtoken{kind: tokOr, pos: i})
			i += 2
		case c == '!':
			out = append(out, qtoken{kind: tokNot, pos: i})
			i++
		default:
			t, next, err := lexWord(q, i)
			if err != nil {
				return nil, err
			}
			out = append(out, t)
			i = next
		}
		if len(out) > 4*maxQueryTerms {
			return nil, queryErr("q has too many terms (at most %d)", maxQueryTerms)
		}
	}
	return out, nil
}

// special are the characters of Lucene's syntax that a bare value may not
// hold unescaped.
const special = `+-&|!(){}[]^"~?:/`

// lexWord reads an operator or a field:value term at q[start:].
func lexWord(q string, start int) (qtoken, int, error) {
	i := start
	for i < len(q) && q[i] != ':' && !strings.ContainsRune(" \t\r\n()\"", rune(q[i])) {
		i++
	}
	word := q[start:i]
	if i >= len(q) || q[i] != ':' {
		switch word {
		case "AND":
			return qtoken{kind: tokAnd, pos: start}, i, nil
		case "OR":
			return qtoken{kind: tokOr, pos: start}, i, nil
		case "NOT":
			return qtoken{kind: tokNot, pos: start}, i, nil
		}
		if word == "" {
			return qtoken{}, 0, queryErr("unexpected '\"' in q at character %d: a value needs a field, as in email:\"…\"", start+1)
		}
		return qtoken{}, 0, queryErr("%q in q has no field: search a field, as in email:%s", shorten(word), shorten(word))
	}
	field := word
	if err := checkField(field); err != nil {
		return qtoken{}, 0, err
	}
	i++ // the colon
	t := qtoken{kind: tokTerm, field: field, pos: start}
	if i < len(q) && q[i] == '"' {
		var b strings.Builder
		i++
		for {
			if i >= len(q) {
				return qtoken{}, 0, queryErr("a quoted value in q is not closed")
			}
			c := q[i]
			if c == '\\' && i+1 < len(q) {
				b.WriteByte(q[i+1])
				i += 2
				continue
			}
			if c == '"' {
				i++
				break
			}
			b.WriteByte(c)
			i++
		}
		t.value = b.String()
		if i < len(q) && !strings.ContainsRune(" \t\r\n)", rune(q[i])) {
			return qtoken{}, 0, queryErr("unexpected %q after a quoted value in q", q[i])
		}
		return t, i, nil
	}
	var b strings.Builder
	for i < len(q) && !strings.ContainsRune(" \t\r\n)", rune(q[i])) {
		c := q[i]
		switch {
		case c == '\\' && i+1 < len(q):
			b.WriteByte(q[i+1])
			i += 2
			continue
		case c == '*' && (i+1 == len(q) || strings.ContainsRune(" \t\r\n)", rune(q[i+1]))):
			t.prefix = true
		case c == '*':
			return qtoken{}, 0, queryErr("a wildcard in q may only end a value")
		case strings.IndexByte(special, c) >= 0 || c == '\\':
			return qtoken{}, 0, queryErr("%q in a value of q must be escaped with a backslash, or the value quoted", c)
		default:
			b.WriteByte(c)
		}
		i++
	}
	t.value = b.String()
	if t.value == "" {
		if t.prefix {
			return qtoken{}, 0, queryErr("a wildcard in q needs at least one character before it")
		}
		return qtoken{}, 0, queryErr("field %s in q has no value", shorten(field))
	}
	return t, i, nil
}

// checkField accepts the fields Monban searches.
func checkField(field string) error {
	if _, ok := queryFields[field]; ok {
		return nil
	}
	if path, ok := strings.CutPrefix(field, "app_metadata."); ok {
		for k := range strings.SplitSeq(path, ".") {
			if !metadataKey(k) {
				return queryErr("app_metadata keys in q are 1 to 64 letters, digits, '_' and '-'")
			}
		}
		return nil
	}
	return queryErr("q cannot search field %q; it searches email, email_verified, name, username, phone_number, user_id and app_metadata.*", shorten(field))
}

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

func shorten(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}

type parser struct {
	toks  []qtoken
	i     int
	terms int
}

func (p *parser) peek() (qtoken, bool) {
	if p.i >= len(p.toks) {
		return qtoken{}, false
	}
	return p.toks[p.i], true
}

func (p *parser) or(depth int) (store.UserQuery, error) {
	return p.joined(depth, tokOr, store.QueryOr, p.and)
}

func (p *parser) and(depth int) (store.UserQuery, error) {
	return p.joined(depth, tokAnd, store.QueryAnd, p.unary)
}

// joined reads operands joined by the operator kind.
func (p *parser) joined(depth int, kind tokenKind, op store.QueryOp, operand func(int) (store.UserQuery, error)) (store.UserQuery, error) {
	first, err := operand(depth)
	if err != nil {
		return first, err
	}
	list := []store.UserQuery{first}
	for {
		t, ok := p.peek()
		if !ok || t.kind != kind {
			break
		}
		p.i++
		next, err := operand(depth)
		if err != nil {
			return next, err
		}
		list = append(list, next)
	}
	if len(list) == 1 {
		return first, nil
	}
	return store.UserQuery{Op: op, Children: list}, nil
}

func (p *parser) unary(depth int) (store.UserQuery, error) {
	if depth > maxQueryDepth {
		return store.UserQuery{}, queryErr("q is nested too deeply (at most %d levels)", maxQueryDepth)
	}
	t, ok := p.peek()
	if !ok {
		return store.UserQuery{}, queryErr("q ends where a term is expected")
	}
	p.i++
	switch t.kind {
	case tokNot:
		inner, err := p.unary(depth + 1)
		if err != nil {
			return inner, err
		}
		return store.UserQuery{Op: store.QueryNot, Children: []store.UserQuery{inner}}, nil
	case tokOpen:
		inner, err := p.or(depth + 1)
		if err != nil {
			return inner, err
		}
		if c, ok := p.peek(); !ok || c.kind != tokClose {
			return inner, queryErr("a '(' in q is not closed")
		}
		p.i++
		return inner, nil
	case tokTerm:
		if p.terms++; p.terms > maxQueryTerms {
			return store.UserQuery{}, queryErr("q has too many terms (at most %d)", maxQueryTerms)
		}
		if t.field == "email_verified" && (t.prefix || (t.value != "true" && t.value != "false")) {
			return store.UserQuery{}, queryErr("email_verified in q is true or false")
		}
		return termQuery(t), nil
	}
	return store.UserQuery{}, queryErr("unexpected %s in q at character %d", describeTok(t), t.pos+1)
}

// termQuery is the store's condition for one term.
func termQuery(t qtoken) store.UserQuery {
	if path, ok := strings.CutPrefix(t.field, "app_metadata."); ok {
		return store.UserQuery{Field: store.AppMetadataField + path, Value: t.value, Prefix: t.prefix}
	}
	q := store.UserQuery{Field: queryFields[t.field], Value: t.value, Prefix: t.prefix}
	if t.field == "user_id" {
		// Every user here is of the database connection: auth0|{id}. Ids
		// never hold '|', so another connection's user_id matches no one.
		if id, ok := strings.CutPrefix(t.value, userIDPrefix); ok {
			q.Value = id
		} else if t.prefix && strings.HasPrefix(userIDPrefix, t.value) {
			q.Value = "" // a prefix of "auth0|": every user
		}
	}
	return q
}
