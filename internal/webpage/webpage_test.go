package webpage

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// A page in the layout: its content, the branding's color only when it
// is a color, and the headers that keep it out of caches, frames and
// other sites' Referer.
func TestRender(t *testing.T) {
	type data struct {
		Frame
		Name string
	}
	tpl := Parse(`{{define "content"}}<h1>{{.Name}}</h1>{{end}}`)
	for _, c := range []struct {
		frame          Frame
		color, referer string
		img            bool
	}{
		{Frame{Lang: "ja", Title: "t", Primary: "#112233"}, "#112233", "same-origin", false},
		{Frame{Lang: "en", Title: "t", Primary: "red;}body{x", Logo: "https://cdn.example/logo.png", NoReferrer: true}, DefaultPrimary, "no-referrer", true},
	} {
		w := httptest.NewRecorder()
		Render(w, 418, tpl, c.frame, data{Frame: c.frame, Name: "<b>"})
		body, h := w.Body.String(), w.Header()
		switch {
		case w.Code != 418:
			t.Errorf("status %d", w.Code)
		case !strings.Contains(body, `<html lang="`+c.frame.Lang+`">`) || !strings.Contains(body, "<h1>&lt;b&gt;</h1>"):
			t.Errorf("body: %s", body)
		case !strings.Contains(body, "--primary:"+c.color+";"):
			t.Errorf("color: %s", body)
		case h.Get("Referrer-Policy") != c.referer || !strings.Contains(body, `<meta name="referrer" content="`+c.referer+`">`):
			t.Errorf("referrer: %v", h)
		case h.Get("Cache-Control") != "no-store" || h.Get("X-Frame-Options") != "DENY" || h.Get("Content-Language") != c.frame.Lang:
			t.Errorf("headers: %v", h)
		case strings.Contains(h.Get("Content-Security-Policy"), "img-src https:") != c.img || !strings.Contains(h.Get("Content-Security-Policy"), "default-src 'none'"):
			t.Errorf("CSP: %s", h.Get("Content-Security-Policy"))
		}
	}
}

func TestColor(t *testing.T) {
	for c, want := range map[string]string{"#a1B2c3": "#a1B2c3", "#a1b2c": "d", "a1b2c3x": "d", "#g1b2c3": "d", "": "d", "#a1b2c3;": "d"} {
		if got := Color(c, "d"); got != want {
			t.Errorf("%q: %q", c, got)
		}
	}
}
