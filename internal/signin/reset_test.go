package signin

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
