package oidc

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/monban/monban/internal/browser"
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// maxIdentifierLen bounds a username sent to the password grant.
const maxIdentifierLen = 254

func (p *Provider) sessionCookieName() string { return p.u.cookies.Name(browser.SessionCookie) }

// setCookie sets one of the pages' cookies (see browser.Cookies.Set).
func (p *Provider) setCookie(w http.ResponseWriter, name, value string, maxAge int) {
	p.u.cookies.Set(w, name, value, maxAge)
}

// clientIP is the address the request came from, as the server's
// configuration says (trusted proxies), else the peer's.
func (p *Provider) clientIP(r *http.Request) string {
	if p.u.ClientIP != nil {
		if ip := p.u.ClientIP(r); ip != "" {
			return ip
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// startSession replaces the browser's session with a new one for user (a
// fresh id on every sign-in, against session fixation) and records the
// sign-in, for clientID, with its origin, which webhooks report as Logto's
// PostSignIn (or PostRegister, PostResetPassword, by the record's event).
func (p *Provider) startSession(w http.ResponseWriter, r *http.Request, user *store.User, rec store.SignInRecord, clientID string) (*store.Session, bool) {
	ctx := context.WithoutCancel(r.Context())
	if v := p.u.cookies.Value(r, browser.SessionCookie); v != "" && len(v) <= 128 {
		if err := p.u.Store.DeleteSession(ctx, hashToken(v)); err != nil && !errors.Is(err, store.ErrNotFound) {
			p.cfg.Logger.Warn("ending the previous session failed", "err", err)
		}
	}
	now := p.cfg.Now()
	value := randid.Secret(32)
	sess := store.Session{ID: hashToken(value), UserID: user.ID, AuthTime: now, SignIn: rec,
		CreatedAt: now, ExpiresAt: now.Add(p.u.SessionTTL)}
	if err := p.u.Store.CreateSession(ctx, sess); err != nil {
		p.cfg.Logger.Error("storing a session failed", "user_id", user.ID, "err", err)
		return nil, false
	}
	origin := store.EventOrigin{Method: r.Method, Path: r.URL.Path, Route: r.URL.Path, UserAgent: r.UserAgent(),
		SessionID: sess.ID, ApplicationID: clientID, InteractionEvent: rec.Event}
	if p.u.ClientIP != nil {
		origin.IP = p.u.ClientIP(r)
	}
	if err := p.u.Store.RecordSignIn(store.WithOrigin(ctx, origin), user.ID, now); err != nil {
		p.cfg.Logger.Warn("recording the sign-in time failed", "user_id", user.ID, "err", err)
	}
	p.setCookie(w, browser.SessionCookie, value, int(p.u.SessionTTL/time.Second))
	return &sess, true
}
