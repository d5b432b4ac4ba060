package connector

import (
	"strings"
	"testing"

	"github.com/monban/monban/internal/verifycode"
)

// {{link}} is filled with the message's link, escaped in an HTML body;
// the link purpose has a built-in template per language that carries it.
func TestRenderLink(t *testing.T) {
	m := verifycode.Message{Link: `https://id.example/lo/reset?ticket=a&b"c#`, Locale: "ja"}
	if got := render("open {{ link }} ({{locale}})", m); got != `open https://id.example/lo/reset?ticket=a&b"c# (ja)` {
		t.Errorf("text: %s", got)
	}
	if got := renderAs(`<a href="{{link}}">`, m, true); got != `<a href="https://id.example/lo/reset?ticket=a&amp;b&#34;c#">` {
		t.Errorf("html: %s", got)
	}
	for _, lang := range []string{"en", "ja", "ja-JP", "fr"} {
		d := defaultDetails(verifycode.PurposeForgotPasswordLink, lang)
		if !strings.Contains(d.Content, "{{link}}") || strings.Contains(d.Content, "{{code}}") || d.Subject == "" {
			t.Errorf("%s: %+v", lang, d)
		}
	}
	if !ValidTemplateType("ForgotPasswordLink") {
		t.Error("ForgotPasswordLink is not a template type")
	}
}
