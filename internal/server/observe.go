package server

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/monban/monban/internal/audit"
	"github.com/monban/monban/internal/auth0"
	"github.com/monban/monban/internal/management"
	"github.com/monban/monban/internal/metrics"
	"github.com/monban/monban/internal/oidc"
	"github.com/monban/monban/internal/store"
)

// ClientIP returns the address of the client the request came from, as the
// middleware determined it (trusting X-Forwarded-For only from configured
// proxies).
func ClientIP(ctx context.Context) string {
	if info := infoOf(ctx); info != nil {
		return info.ip
	}
	return ""
}

// grantLogKeys are Logto's audit log keys of the grants the token endpoint
// knows: "ExchangeTokenBy." and the grant type (the last segment of a URI
// or URN one) in Pascal case (client_credentials: ExchangeTokenBy.ClientCredentials;
// http://auth0.com/oauth/grant-type/password-realm:
// ExchangeTokenBy.PasswordRealm; urn:ietf:params:oauth:grant-type:token-exchange:
// ExchangeTokenBy.TokenExchange).
var grantLogKeys = func() map[string]string {
	keys := map[string]string{}
	for _, gt := range oidc.GrantTypes() {
		var b strings.Builder
		b.WriteString("ExchangeTokenBy.")
		name := gt[strings.LastIndexAny(gt, "/:")+1:]
		for word := range strings.FieldsFuncSeq(name, func(r rune) bool { return r == '_' || r == '-' }) {
			if word != "" {
				b.WriteString(strings.ToUpper(word[:1]) + word[1:])
			}
		}
		keys[gt] = b.String()
	}
	return keys
}()

// tokenObserver counts every token request and writes it to the audit log.
// Successful requests alike in client, user, resource, scopes and address
// are merged by the writer within a flush interval (the entry then carries a
// count); failures are logged one by one.
func tokenObserver(m *metrics.Metrics, w *audit.Writer) oidc.Observer {
	return func(ctx context.Context, ev *oidc.TokenEvent) {
		m.ObserveToken(ev.Grant, ev.Error)
		key, ok := grantLogKeys[ev.Grant]
		if !ok {
			key = "ExchangeTokenBy.Unknown"
		}
		ip := ClientIP(ctx)
		e := store.LogEntry{Key: key, Result: store.ResultSuccess, ApplicationID: ev.ClientID, UserID: ev.UserID}
		if ev.Error != "" {
			e.Result = store.ResultError
			details := tokenDetails(ip, ev.Status, ev.Grant, ev.Resource, ev.Scope)
			details["error"] = ev.Error
			details["durationMs"] = float64(ev.Duration.Microseconds()) / 1000
			e.Payload, _ = json.Marshal(details)
			w.Log(e)
			return
		}
		// The details are built only for the first of the requests merged
		// into one entry (most are merged under load).
		status, grant, resource, scope := ev.Status, ev.Grant, ev.Resource, ev.Scope
		w.LogMergeable(key+"\x00"+ev.ClientID+"\x00"+ev.UserID+"\x00"+ev.Resource+"\x00"+ev.Scope+"\x00"+ip, e,
			func() map[string]any { return tokenDetails(ip, status, grant, resource, scope) })
	}
}

// tokenDetails is the payload of a token request's audit entry.
func tokenDetails(ip string, status int, grant, resource, scope string) map[string]any {
	details := map[string]any{"ip": ip, "status": status}
	if grant != "" {
		details["grantType"] = grant
	}
	if resource != "" {
		details["resource"] = resource
	}
	if scope != "" {
		details["scope"] = scope
	}
	return details
}

// interactionAuditor writes end users' sign-ins and sign-ups to the audit
// log, with the address they came from.
func interactionAuditor(w *audit.Writer) func(context.Context, audit.Interaction) {
	return func(ctx context.Context, ev audit.Interaction) {
		ev.IP = ClientIP(ctx)
		w.LogInteraction(ev)
	}
}

// managementV2Auditor writes the Management API v2's changes to the audit
// log as the Management API's are written.
func managementV2Auditor(w *audit.Writer) func(context.Context, auth0.ChangeEvent) {
	keep := managementAuditor(w)
	return func(ctx context.Context, c auth0.ChangeEvent) {
		keep(ctx, management.ChangeEvent{Method: c.Method, Path: c.Path, Pattern: c.Pattern, Caller: c.Caller})
	}
}

// managementAuditor writes Management API changes to the audit log. They
// are never dropped: with the buffer full, the request waits for room.
func managementAuditor(w *audit.Writer) func(context.Context, management.ChangeEvent) {
	return func(ctx context.Context, c management.ChangeEvent) {
		pattern := c.Pattern
		if pattern == "" {
			pattern = c.Method + " " + c.Path
		}
		// The key names the route (bounded), the payload the concrete path.
		details, _ := json.Marshal(map[string]any{"method": c.Method, "path": c.Path, "ip": ClientIP(ctx), "caller": c.Caller})
		// As Logto's logs have them, applicationId and userId are who made
		// the request: the token's client and, for a user's token, the
		// user. What the change was made to is the target.
		e := store.LogEntry{Key: "ManagementApi." + pattern, Result: store.ResultSuccess, ApplicationID: c.ClientID,
			Payload: details, Actor: c.Actor, Target: c.Target}
		if c.Actor.Type == store.ActorUser {
			e.UserID = c.Actor.ID
		}
		w.Keep(e)
	}
}
