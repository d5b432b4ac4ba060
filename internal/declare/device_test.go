package declare

import (
	"strings"
	"testing"
)

// An application's device-flow and DPoP settings: applied, exported only
// when on, a no-op applied again, left out of a document they turn off;
// the device flow is refused for an application that is not Native.
func TestDeviceFlowAndDPoPSettings(t *testing.T) {
	const on = `version: 1
applications:
  - name: Living room TV
    type: Native
    isDeviceFlow: true
    requireDpop: true
`
	a := newOffline(t)
	apply(t, a, parse(t, on, nil), Options{})
	out := export(t, a)
	if !strings.Contains(out, "isDeviceFlow: true") || !strings.Contains(out, "requireDpop: true") {
		t.Fatalf("export:\n%s", out)
	}
	if p := plan(t, a, parse(t, on, nil), Options{}); !p.Empty() {
		t.Fatalf("applied again:\n%s", printed(p))
	}
	off := strings.Replace(strings.Replace(on, "    isDeviceFlow: true\n", "", 1), "    requireDpop: true\n", "", 1)
	p := apply(t, a, parse(t, off, nil), Options{})
	if s := printed(p); !strings.Contains(s, "isDeviceFlow: true → false") || !strings.Contains(s, "requireDpop: true → false") {
		t.Fatalf("turning them off:\n%s", s)
	}
	if out := export(t, a); strings.Contains(out, "isDeviceFlow") || strings.Contains(out, "requireDpop") {
		t.Fatalf("export with both off:\n%s", out)
	}
	spa := strings.Replace(on, "type: Native", "type: SPA", 1)
	if _, err := Make(t.Context(), a, parse(t, spa, nil), Options{}); err == nil || !strings.Contains(err.Error(), "isDeviceFlow") {
		t.Fatalf("a SPA with the device flow: %v", err)
	}
}
