package declare

import (
	"context"
	"errors"
	"slices"

	"github.com/monban/monban/internal/store"
	"github.com/monban/monban/internal/webhook"
)

// Webhooks: the rules are the webhook package's (URL, egress policy,
// events, headers); the document holds neither the signing key, which the
// server makes, nor Logto's deprecated retries, which an update keeps.

// patchOf is what w sets on a hook: every field the document has.
func patchOf(w Webhook) webhook.Patch {
	events := slices.Clone(w.Events)
	return webhook.Patch{Name: &w.Name, Events: &events, Enabled: w.Enabled,
		Config: &webhook.Config{URL: w.URL, Headers: w.Headers}}
}

// webhookOf is a hook in the document's terms: its events are Logto's
// legacy single event when it has no list, as deliveries read them.
func webhookOf(h store.Hook) StateWebhook {
	events := slices.Clone(h.Events)
	if len(events) == 0 && h.Event != "" {
		events = []string{h.Event}
	}
	slices.Sort(events)
	headers := h.Headers
	if len(headers) == 0 {
		headers = nil
	}
	return StateWebhook{ID: h.ID, Webhook: Webhook{Name: h.Name, URL: h.URL, Events: slices.Compact(events), Headers: headers, Enabled: ptr(h.Enabled)}}
}

// headerReference is the environment variable an export names for the
// value of a webhook's header: WEBHOOK_<HOOK>_<HEADER>, upper case, every
// character but letters and digits written "_".
func headerReference(hook, header string) string {
	return "WEBHOOK_" + envWord(hook) + "_" + envWord(header)
}

func envWord(s string) string {
	b := []byte(s)
	for i, c := range b {
		switch {
		case c >= 'a' && c <= 'z':
			b[i] = c - 'a' + 'A'
		case c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		default:
			b[i] = '_'
		}
	}
	return string(b)
}

var _ HookTarget = (*Offline)(nil)

// readWebhooks is the hooks of the database, or nil without a webhook
// service.
func (o *Offline) readWebhooks(ctx context.Context) ([]StateWebhook, error) {
	if o.Hooks == nil {
		return nil, nil
	}
	hooks, _, err := o.Hooks.List(ctx, store.Page{})
	if err != nil {
		return nil, err
	}
	out := make([]StateWebhook, 0, len(hooks))
	for _, h := range hooks {
		out = append(out, webhookOf(h))
	}
	return out, nil
}

// errNoHooks is the refusal of an Offline target without a webhook
// service; a plan does not get this far (see Make).
var errNoHooks = errors.New("this server does not keep webhooks")

// CheckWebhook implements HookTarget: the webhook service's checks,
// egress policy included.
func (o *Offline) CheckWebhook(w Webhook) error {
	if o.Hooks == nil {
		return errNoHooks
	}
	return o.Hooks.Check(patchOf(w))
}

// CreateWebhook implements HookTarget. The service makes the signing key.
func (o *Offline) CreateWebhook(ctx context.Context, w Webhook) (string, error) {
	if o.Hooks == nil {
		return "", errNoHooks
	}
	h, err := o.Hooks.Create(ctx, patchOf(w))
	return h.ID, err
}

// UpdateWebhook implements HookTarget: every field of w; the signing key
// and retries stay.
func (o *Offline) UpdateWebhook(ctx context.Context, id string, w Webhook) error {
	if o.Hooks == nil {
		return errNoHooks
	}
	old, err := o.Hooks.Get(ctx, id)
	if err != nil {
		return err
	}
	p := patchOf(w)
	p.Config.Retries = old.Retries
	_, err = o.Hooks.Update(ctx, id, p)
	return err
}

// DeleteWebhook implements HookTarget.
func (o *Offline) DeleteWebhook(ctx context.Context, id string) error {
	if o.Hooks == nil {
		return errNoHooks
	}
	return o.Hooks.Delete(ctx, id)
}
