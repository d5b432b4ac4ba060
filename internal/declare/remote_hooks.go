package declare

import (
	"context"
	"errors"
	"net/http"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/webhook"
)

// Webhooks through Logto's /api/hooks.

var _ HookTarget = (*Remote)(nil)

// remoteHook is Logto's hook, as far as the document reads it.
type remoteHook struct {
	ID     string   `json:"id"`
	Name   string   `json:"name"`
	Event  *string  `json:"event"`
	Events []string `json:"events"`
	Config struct {
		URL     string            `json:"url"`
		Headers map[string]string `json:"headers"`
		Retries *int              `json:"retries"`
	} `json:"config"`
	Enabled bool `json:"enabled"`
}

// readWebhooks lists the server's hooks; nil when it has no hooks route.
func (r *Remote) readWebhooks(ctx context.Context) ([]StateWebhook, error) {
	hooks, err := listAll[remoteHook](ctx, r, "/api/hooks")
	var re *RemoteError
	if errors.As(err, &re) && re.Status == http.StatusNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make([]StateWebhook, 0, len(hooks))
	for _, h := range hooks {
		sh := store.Hook{ID: h.ID, Name: h.Name, Events: h.Events, URL: h.Config.URL, Headers: h.Config.Headers, Enabled: h.Enabled}
		if h.Event != nil {
			sh.Event = *h.Event
		}
		out = append(out, webhookOf(sh))
	}
	return out, nil
}

// CheckWebhook implements HookTarget: every rule of hooks but the egress
// policy, which is the server's own setting; a URL it refuses is refused
// when the hook is written.
func (r *Remote) CheckWebhook(w Webhook) error { return webhook.CheckForm(patchOf(w)) }

// hookBody is Logto's body of a hook with every field of w: PATCH
// replaces config whole, so it carries the retries to keep.
func hookBody(w Webhook, retries *int) map[string]any {
	config := map[string]any{"url": w.URL, "headers": w.Headers}
	if w.Headers == nil {
		config["headers"] = map[string]string{}
	}
	if retries != nil {
		config["retries"] = *retries
	}
	return map[string]any{"name": w.Name, "events": list(w.Events), "config": config, "enabled": w.Enabled == nil || *w.Enabled}
}

// CreateWebhook implements HookTarget. The server makes the signing key;
// the answer (201) shows it, and it is dropped unread.
func (r *Remote) CreateWebhook(ctx context.Context, w Webhook) (string, error) {
	var out idOnly
	_, err := r.call(ctx, http.MethodPost, "/api/hooks", hookBody(w, nil), &out)
	return out.ID, err
}

// UpdateWebhook implements HookTarget: every field of w; the signing key
// and retries stay.
func (r *Remote) UpdateWebhook(ctx context.Context, id string, w Webhook) error {
	var old remoteHook
	if _, err := r.call(ctx, http.MethodGet, "/api/hooks/"+esc(id), nil, &old); err != nil {
		return err
	}
	_, err := r.call(ctx, http.MethodPatch, "/api/hooks/"+esc(id), hookBody(w, old.Config.Retries), nil)
	return err
}

// DeleteWebhook implements HookTarget.
func (r *Remote) DeleteWebhook(ctx context.Context, id string) error {
	_, err := r.call(ctx, http.MethodDelete, "/api/hooks/"+esc(id), nil, nil)
	return err
}
