package federation

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
)

// ClaimMapping names the claims (or user-info fields) an identity is read
// from; an empty name is the standard claim's. A name may be a dotted
// path into nested objects ("data.email").
type ClaimMapping struct {
	ID            string `json:"id,omitempty"`
	Email         string `json:"email,omitempty"`
	EmailVerified string `json:"email_verified,omitempty"`
	Phone         string `json:"phone,omitempty"`
	Name          string `json:"name,omitempty"`
	Picture       string `json:"avatar,omitempty"`
}

// The bounds of a mapped identity.
const (
	maxExternalID = 256
	maxClaimText  = 1024
)

// identity maps claims to an identity of kind, connector and target.
func (m ClaimMapping) identity(kind Kind, connectorID, target string, claims map[string]any) (Identity, error) {
	id := Identity{Kind: kind, ConnectorID: connectorID, Target: target, Details: claims,
		ExternalID:    text(lookup(claims, or(m.ID, "sub"))),
		Email:         text(lookup(claims, or(m.Email, "email"))),
		EmailVerified: truth(lookup(claims, or(m.EmailVerified, "email_verified"))),
		Phone:         text(lookup(claims, or(m.Phone, "phone_number"))),
		Name:          text(lookup(claims, or(m.Name, "name"))),
		Picture:       text(lookup(claims, or(m.Picture, "picture"))),
	}
	if id.ExternalID == "" || len(id.ExternalID) > maxExternalID {
		return Identity{}, fmt.Errorf("%w: the provider named no user id", ErrToken)
	}
	for _, s := range []*string{&id.Email, &id.Phone, &id.Name, &id.Picture} {
		if len(*s) > maxClaimText {
			*s = ""
		}
	}
	if id.Email == "" || !strings.Contains(id.Email, "@") {
		id.Email, id.EmailVerified = "", false
	}
	return id, nil
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// lookup is the value at a dotted path of claims.
func lookup(claims map[string]any, path string) any {
	var cur any = claims
	for _, part := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[part]
	}
	return cur
}

// text is a claim as text: a string, or a number (GitHub's ids are).
func text(v any) string {
	switch v := v.(type) {
	case string:
		return strings.TrimSpace(v)
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	}
	return ""
}

// truth is a boolean claim: true, or the string "true" (Apple writes
// email_verified so).
func truth(v any) bool {
	switch v := v.(type) {
	case bool:
		return v
	case string:
		return v == "true"
	}
	return false
}

// mergeAppleUser adds the name Apple sends beside the first callback (a
// JSON object of the form post, never in the ID token) to claims, when
// the token has none. Its e-mail address is not taken: only the token's
// is signed.
func mergeAppleUser(claims map[string]any, raw string) {
	if len(raw) > 4096 || claims["name"] != nil {
		return
	}
	var u struct {
		Name struct {
			FirstName string `json:"firstName"`
			LastName  string `json:"lastName"`
		} `json:"name"`
	}
	if json.Unmarshal([]byte(raw), &u) != nil {
		return
	}
	if name := strings.TrimSpace(u.Name.FirstName + " " + u.Name.LastName); name != "" {
		claims["name"] = name
	}
}
