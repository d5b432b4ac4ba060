package directory

import (
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

func hasControl(v string) bool { return strings.IndexFunc(v, unicode.IsControl) >= 0 }

// checkName validates a display name: present, not blank, no control
// characters, at most maxNameLen characters.
func checkName(v string) error {
	if strings.TrimSpace(v) == "" {
		return invalid("name is required and must not be blank")
	}
	return checkText("name", v, maxNameLen, false)
}

// required checks a value that must be given, named field, with check.
func required(field string, v *string, check func(string) error) error {
	if v == nil {
		return invalid(field + " is required")
	}
	return check(*v)
}

// firstErr returns the first error that is not nil.
func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// NamePatch is the name and description a change may give; either is left
// as it is when nil.
type NamePatch struct {
	Name        *string
	Description *string
}

// check validates what the patch gives, the name with validName.
func (p NamePatch) check(validName func(string) error) error {
	if p.Name != nil {
		if err := validName(*p.Name); err != nil {
			return err
		}
	}
	if p.Description != nil {
		return checkDescription(*p.Description)
	}
	return nil
}

// apply copies what the patch gives into name and description, and
// reports whether it gave anything.
func (p NamePatch) apply(name, description *string) bool {
	if p.Name != nil {
		*name = *p.Name
	}
	if p.Description != nil {
		*description = *p.Description
	}
	return p.Name != nil || p.Description != nil
}

func checkDescription(v string) error { return checkText("description", v, maxDescriptionLen, true) }

// checkText validates free text. Descriptions may hold line breaks and
// tabs; no value may hold NUL or other control characters, which no client
// means to send and some stores and terminals mishandle.
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

// CheckText validates free text as every name and description is: at most
// max characters and no control characters (line breaks and tabs allowed
// when multiline). field names the value in the message.
func CheckText(field, v string, max int, multiline bool) error {
	return checkText(field, v, max, multiline)
}

// checkScopeName validates a scope name: it travels in the space-separated
// scope parameter, so it cannot hold whitespace.
func checkScopeName(v string) error { return checkWord("name", v, maxNameLen) }

// checkWord validates a value that must be given and holds no whitespace
// or control characters.
func checkWord(field, v string, max int) error {
	if v == "" {
		return invalid(field + " is required")
	}
	if err := checkText(field, v, max, false); err != nil {
		return err
	}
	if strings.IndexFunc(v, unicode.IsSpace) >= 0 {
		return invalid(field + " must not contain whitespace")
	}
	return nil
}

// checkIndicator validates a resource indicator: an absolute URI with a
// scheme and host and no fragment (RFC 8707 §2).
func checkIndicator(v string) error {
	if err := checkWord("indicator", v, maxIndicatorLen); err != nil {
		return err
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

// checkTTL validates an access token lifetime in seconds.
func checkTTL(v int) error {
	if v < 1 || v > MaxAccessTokenTTL {
		return invalid(fmt.Sprintf("accessTokenTtl must be an integer from 1 to %d seconds", MaxAccessTokenTTL))
	}
	return nil
}

// CheckIDs validates a list of ids named field and drops repeats: it must
// hold 1 to MaxIDsPerRequest ids, each one ValidID.
func CheckIDs(field string, ids []string) ([]string, error) {
	if len(ids) == 0 {
		return nil, invalid(field + " must be a non-empty array of ids")
	}
	if len(ids) > MaxIDsPerRequest {
		return nil, invalid(fmt.Sprintf("%s has more than %d ids", field, MaxIDsPerRequest))
	}
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !ValidID(id) {
			return nil, invalid(field + " must hold non-empty ids without control characters")
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

// checkSet validates the ids of an exact set (a replacement): nil is
// refused, an empty list means none.
func checkSet(field string, ids []string) ([]string, error) {
	if ids == nil {
		return nil, invalid(field + " is required (an empty array removes every role)")
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return CheckIDs(field, ids)
}
