package claims

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/monban/monban/internal/egress"
)

type redirectModeKey struct{}

// newHTTPClient returns the client of fetch: no proxy from the environment,
// dials checked by the policy (internal/egress), redirects bounded and
// checked too.
func newHTTPClient(e *egress.Guard, maxRedirects int) (*http.Client, *http.Transport) {
	t := e.Transport()
	c := &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			switch req.Context().Value(redirectModeKey{}) {
			case "manual":
				return http.ErrUseLastResponse
			case "error":
				return errors.New("redirect not allowed (redirect mode is 'error')")
			}
			if len(via) > maxRedirects {
				return fmt.Errorf("stopped after %d redirects", maxRedirects)
			}
			return e.CheckURL(req.URL)
		},
	}
	return c, t
}
