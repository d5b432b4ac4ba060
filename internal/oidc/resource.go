package oidc

import (
	"net/url"
	"slices"
	"strings"

	"github.com/monban/monban/internal/store"
)

// msgUnknownResource is the description of a request for a resource
// that does not exist.
const msgUnknownResource = "unknown resource"

// tokenResource picks the resource of an access token, for every grant:
// the one the request names by resource (RFC 8707) or Auth0's audience
// (naming the same one when both are sent, and one only), which must be a
// known resource and, when granted is not nil, one the grant holds. A
// request that names none gets nil: the grant decides what that means (its
// default resource, or a token for the userinfo endpoint).
func tokenResource(byIndicator map[string]*store.Resource, params url.Values, granted []string) (*store.Resource, *Error) {
	resources, audience := params["resource"], params.Get("audience")
	if len(resources) > 1 {
		return nil, errInvalidTarget("only one resource may be requested per token")
	}
	indicator := audience
	if len(resources) == 1 {
		if audience != "" && audience != resources[0] {
			return nil, errInvalidRequest("resource and audience name different resources")
		}
		indicator = resources[0]
	}
	if indicator == "" {
		return nil, nil
	}
	if !validIndicator(indicator) {
		return nil, errInvalidTarget("resource must be an absolute URI without a fragment")
	}
	if granted != nil && !slices.Contains(granted, indicator) {
		return nil, errInvalidTarget("the resource was not granted")
	}
	res := byIndicator[indicator]
	if res == nil {
		return nil, errInvalidTarget(msgUnknownResource)
	}
	return res, nil
}

// validIndicator reports whether s is an absolute URI without a fragment
// (RFC 8707 §2).
func validIndicator(s string) bool {
	u, err := url.Parse(s)
	return err == nil && u.IsAbs() && u.Fragment == "" && !strings.Contains(s, "#")
}
