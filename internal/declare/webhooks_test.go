package declare

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// hookTarget is an Offline target that keeps webhooks in memory, as a
// target with a webhook store will: the plan's webhook section works
// through HookTarget alone.
type hookTarget struct {
	*Offline
	hooks map[string]Webhook
	next  int
}

func (h *hookTarget) Read(ctx context.Context) (*State, error) {
	st, err := h.Offline.Read(ctx)
	if err != nil {
		return nil, err
	}
	st.Webhooks = []StateWebhook{}
	for id, w := range h.hooks {
		st.Webhooks = append(st.Webhooks, StateWebhook{ID: id, Webhook: w})
	}
	return st, nil
}

func (h *hookTarget) CreateWebhook(_ context.Context, w Webhook) (string, error) {
	h.next++
	id := "hook" + strconv.Itoa(h.next)
	h.hooks[id] = w
	return id, nil
}

func (h *hookTarget) UpdateWebhook(_ context.Context, id string, w Webhook) error {
	h.hooks[id] = w
	return nil
}

func (h *hookTarget) DeleteWebhook(_ context.Context, id string) error {
	delete(h.hooks, id)
	return nil
}

const hooksDoc = `version: 1
webhooks:
  - name: Orders
    url: https://orders.example/hooks
    events: [User.Created, PostRegister]
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
`

func TestWebhooks(t *testing.T) {
	off := newOffline(t)
	if _, err := Make(context.Background(), off, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{}); err == nil ||
		!strings.Contains(err.Error(), "does not keep webhooks") {
		t.Fatalf("a target without webhooks: %v", err)
	}
	h := &hookTarget{Offline: off, hooks: map[string]Webhook{}}
	p := apply(t, h, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{})
	if out := printed(p); !strings.Contains(out, `+ webhook "Orders"`) || !strings.Contains(out, "headers.Authorization: (sensitive value)") || strings.Contains(out, "t1") {
		t.Fatalf("create plan:\n%s", out)
	}
	if h.hooks["hook1"].Headers["Authorization"] != "Bearer t1" {
		t.Fatalf("hooks: %+v", h.hooks)
	}
	if p := plan(t, h, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{}); !p.Empty() {
		t.Fatalf("second apply:\n%s", printed(p))
	}
	p = apply(t, h, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t2"}), Options{})
	if out := printed(p); !strings.Contains(out, "headers.Authorization: (sensitive value changed)") || strings.Contains(out, "t2") {
		t.Fatalf("update plan:\n%s", out)
	}
	p = apply(t, h, parse(t, "version: 1\n", nil), Options{Prune: true})
	if out := printed(p); !strings.Contains(out, `- webhook "Orders"`) || len(h.hooks) != 0 {
		t.Fatalf("prune plan:\n%s\nhooks %v", out, h.hooks)
	}
}
