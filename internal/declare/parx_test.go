package declare

import (
	"strings"
	"testing"
)

// An application's token exchange and PAR settings: applied, exported
// only when on, a no-op applied again, and left out of a document they
// turn off.
func TestExchangeAndPARSettings(t *testing.T) {
	const on = `version: 1
applications:
  - name: Back office
    type: Traditional
    redirectUris: [https://backoffice.example/cb]
    allowTokenExchange: true
    requirePushedAuthorizationRequests: true
`
	a := newOffline(t)
	apply(t, a, parse(t, on, nil), Options{})
	out := export(t, a)
	if !strings.Contains(out, "allowTokenExchange: true") || !strings.Contains(out, "requirePushedAuthorizationRequests: true") {
		t.Fatalf("export:\n%s", out)
	}
	if p := plan(t, a, parse(t, on, nil), Options{}); !p.Empty() {
		t.Fatalf("applied again:\n%s", printed(p))
	}
	off := strings.Replace(strings.Replace(on, "    allowTokenExchange: true\n", "", 1), "    requirePushedAuthorizationRequests: true\n", "", 1)
	p := apply(t, a, parse(t, off, nil), Options{})
	if s := printed(p); !strings.Contains(s, "allowTokenExchange: true → false") || !strings.Contains(s, "requirePushedAuthorizationRequests: true → false") {
		t.Fatalf("turning them off:\n%s", s)
	}
	if out := export(t, a); strings.Contains(out, "allowTokenExchange") || strings.Contains(out, "requirePushedAuthorizationRequests") {
		t.Fatalf("export with both off:\n%s", out)
	}
}
