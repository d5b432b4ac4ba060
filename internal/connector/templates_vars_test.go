package connector

import (
	"strings"
	"testing"

	"github.com/monban/monban/internal/verifycode"
)

// A message's Vars fill the placeholders they name, escaped in HTML; the
// others are left as written, and the built-in invitation template says
// the organization and the link in both languages.
func TestRenderVars(t *testing.T) {
	m := verifycode.Message{Code: "123456", Locale: "ja", Vars: map[string]string{"link": "https://x.example/?a=1&b=<2>", "organization.name": "A & B"}}
	text := "{{ code }} {{locale}} {{link}} {{organization.name}} {{inviter.name}}"
	if got, want := render(text, m), "123456 ja https://x.example/?a=1&b=<2> A & B {{inviter.name}}"; got != want {
		t.Errorf("render = %q, want %q", got, want)
	}
	if got, want := renderAs(text, m, true), "123456 ja https://x.example/?a=1&amp;b=&lt;2&gt; A &amp; B {{inviter.name}}"; got != want {
		t.Errorf("renderAs(html) = %q, want %q", got, want)
	}
	for _, locale := range []string{"en", "ja-JP"} {
		d := defaultDetails(verifycode.PurposeOrganizationInvitation, locale)
		body := render(d.Content, m)
		if !strings.Contains(render(d.Subject, m), "A & B") || !strings.Contains(body, "A & B") || !strings.Contains(body, m.Vars["link"]) {
			t.Errorf("%s built-in invitation: %q / %q", locale, d.Subject, body)
		}
	}
	if verifycode.PurposeOrganizationInvitation.Valid() {
		t.Error("no code is ever sent for an invitation")
	}
}
