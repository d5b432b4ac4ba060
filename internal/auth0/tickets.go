package auth0

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/pwticket"
	"github.com/monban/monban/internal/store"
)

// TicketIssuer makes password-change tickets (a *pwticket.Service).
type TicketIssuer interface {
	Issue(ctx context.Context, in pwticket.Issue) (string, error)
}

// ticketBody is Auth0's password-change ticket request. client_id and
// organization_id, which Auth0 also takes, are refused as unknown.
type ticketBody struct {
	UserID                 *string `json:"user_id"`
	Email                  *string `json:"email"`
	ConnectionID           *string `json:"connection_id"`
	ResultURL              *string `json:"result_url"`
	TTLSec                 *int64  `json:"ttl_sec"`
	MarkEmailAsVerified    *bool   `json:"mark_email_as_verified"`
	IncludeEmailInRedirect *bool   `json:"includeEmailInRedirect"`
}

// passwordChangeTicket makes a password-change ticket for a user, named
// by user_id or by email with the database connection's connection_id,
// and answers its link: POST /api/v2/tickets/password-change.
func (s *server) passwordChangeTicket(w http.ResponseWriter, r *http.Request) error {
	if s.Tickets == nil {
		return &apiError{status: http.StatusNotImplemented, code: "not_implemented", message: "Password-change tickets are not configured."}
	}
	var body ticketBody
	if err := decode(w, r, &body); err != nil {
		return err
	}
	in := pwticket.Issue{MarkEmailVerified: body.MarkEmailAsVerified != nil && *body.MarkEmailAsVerified,
		IncludeEmail: body.IncludeEmailInRedirect != nil && *body.IncludeEmailInRedirect}
	if err := checkTicket(body, &in); err != nil {
		return err
	}
	u, err := s.ticketUser(r.Context(), body)
	if err != nil {
		return err
	}
	in.UserID = u.ID
	link, err := s.Tickets.Issue(r.Context(), in)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("user")
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusCreated)
	return httpjson.Encode(w, map[string]string{"ticket": link})
}

// checkTicket checks the request's settings and writes them into in.
func checkTicket(body ticketBody, in *pwticket.Issue) error {
	switch {
	case body.UserID != nil && (body.Email != nil || body.ConnectionID != nil):
		return badBody("Payload validation error: give either user_id, or email with connection_id.")
	case body.UserID == nil && body.Email == nil:
		return badBody("Payload validation error: 'Missing required property: user_id'.")
	case body.Email != nil && body.ConnectionID == nil:
		return badBody("Payload validation error: 'Missing required property: connection_id' (with email).")
	case body.ConnectionID != nil && *body.ConnectionID != connectionID:
		return badBody("Payload validation error: connection_id must be " + connectionID + ", the database connection.")
	case body.TTLSec != nil && (*body.TTLSec < 0 || *body.TTLSec > int64(pwticket.MaxTTL/time.Second)):
		return badBody("Payload validation error: 'ttl_sec' must be from 0 to 2592000 (30 days); 0 is the default of 5 days.")
	}
	if body.TTLSec != nil {
		in.TTL = time.Duration(*body.TTLSec) * time.Second
	}
	if body.ResultURL != nil {
		u, err := url.Parse(*body.ResultURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(*body.ResultURL) > 2048 {
			return badBody("Payload validation error: 'result_url' must be an absolute http(s) URL.")
		}
		in.ResultURL = *body.ResultURL
	}
	return nil
}

// ticketUser finds the ticket's user.
func (s *server) ticketUser(ctx context.Context, body ticketBody) (store.User, error) {
	var (
		u   store.User
		err error
	)
	if body.UserID != nil {
		id, ok := strings.CutPrefix(*body.UserID, userIDPrefix)
		if !ok || !directory.ValidID(id) {
			return u, notFound("user")
		}
		u, err = s.Store.GetUser(ctx, id)
	} else {
		u, err = s.Store.GetUserByEmail(ctx, *body.Email)
	}
	if errors.Is(err, store.ErrNotFound) {
		return u, notFound("user")
	}
	return u, err
}
