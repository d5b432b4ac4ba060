package auth0auth

import (
	"net/url"
	"testing"

	"github.com/monban/monban/internal/store"
)

// Where the page sends a ticket's user: result_url with Auth0's success
// and message, its own query kept, and the address only when asked.
func TestResultURL(t *testing.T) {
	u := store.User{PrimaryEmail: "jane@example.com"}
	for _, c := range []struct {
		ticket store.PasswordTicket
		email  string
	}{
		{store.PasswordTicket{ResultURL: "https://app.example/done?from=x"}, ""},
		{store.PasswordTicket{ResultURL: "https://app.example/done?from=x", IncludeEmail: true}, "jane@example.com"},
	} {
		got, err := url.Parse(resultURL(c.ticket, u))
		if err != nil {
			t.Fatal(err)
		}
		q := got.Query()
		if got.Host != "app.example" || q.Get("from") != "x" || q.Get("success") != "true" || q.Get("message") == "" || q.Get("email") != c.email {
			t.Errorf("%+v: %s", c.ticket, got)
		}
	}
}

// The reset form's token is bound to the cookie and the ticket.
func TestResetToken(t *testing.T) {
	h := New(Config{CSRFKey: []byte("0123456789abcdef0123456789abcdef"), Endpoint: "https://id.example"})
	a := h.resetToken("cookie", "ticket")
	if a == h.resetToken("cookie", "other") || a == h.resetToken("other", "ticket") || a != h.resetToken("cookie", "ticket") {
		t.Error("the token does not follow the cookie and the ticket")
	}
	if h.resetCookie() != "__Host-monban_reset" {
		t.Errorf("cookie name on https: %s", h.resetCookie())
	}
}
