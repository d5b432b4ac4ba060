package management

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/monban/monban/internal/token"
)

// verifierFunc is a token verifier that answers what the test says.
type verifierFunc func(raw string) (*token.Claims, error)

func (f verifierFunc) Verify(raw string) (*token.Claims, error) { return f(raw) }

// The 401's error_description says why a token failed when the verifier's
// error is meant to be shown (token.ErrInvalid), and only then.
func TestAuthErrorDescription(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"expired", fmt.Errorf("%w: the token has expired", token.ErrInvalid), "invalid token: the token has expired"},
		{"an internal error", errors.New("keys unavailable: dial tcp 10.0.0.7:5432"), "invalid token"},
		{"no claims and no error", nil, "invalid token"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &server{Deps: Deps{Indicator: testIndicator, Verifier: verifierFunc(func(string) (*token.Claims, error) {
				return nil, tc.err
			})}, log: slog.New(slog.NewTextHandler(io.Discard, nil))}
			reached := false
			h := s.authenticated(func(http.ResponseWriter, *http.Request) error { reached = true; return nil })
			r := httptest.NewRequest("GET", "/api/applications", nil)
			r.Header.Set("Authorization", "Bearer x.y.z")
			w := httptest.NewRecorder()
			if err := h(w, r); err != nil {
				t.Fatal(err)
			}
			www := w.Header().Get("WWW-Authenticate")
			if reached || w.Code != 401 || www != `Bearer error="invalid_token", error_description="`+tc.want+`"` {
				t.Fatalf("reached %v, %d, WWW-Authenticate %q, want description %q", reached, w.Code, www, tc.want)
			}
		})
	}
}
