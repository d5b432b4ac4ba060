package declare

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/monban/monban/internal/webhook"
)

const hooksDoc = `version: 1
webhooks:
  - name: Orders
    url: https://orders.example/hooks
    events: [User.Created, PostRegister]
    headers: {Authorization: "Bearer ${HOOK_TOKEN}"}
`

// hookByName is the stored hook of that name.
func hookByName(t *testing.T, tg *Offline, name string) StateWebhook {
	t.Helper()
	st, err := tg.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range st.Webhooks {
		if w.Name == name {
			return w
		}
	}
	t.Fatalf("no webhook %q in %+v", name, st.Webhooks)
	return StateWebhook{}
}

// TestWebhooks: webhooks are created, compared (headers by value, never
// shown) and pruned through the webhook service of a real database.
func TestWebhooks(t *testing.T) {
	tg := newOffline(t)
	p := apply(t, tg, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{})
	if out := printed(p); !strings.Contains(out, `+ webhook "Orders"`) || !strings.Contains(out, "headers.Authorization: (sensitive value)") || strings.Contains(out, "t1") {
		t.Fatalf("create plan:\n%s", out)
	}
	h, err := tg.Hooks.Get(context.Background(), hookByName(t, tg, "Orders").ID)
	if err != nil || h.Headers["Authorization"] != "Bearer t1" || !h.Enabled || len(h.SigningKey) != 32 || strings.Join(h.Events, ",") != "PostRegister,User.Created" {
		t.Fatalf("stored hook %+v, %v", h, err)
	}
	if p := plan(t, tg, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{}); !p.Empty() {
		t.Fatalf("second apply:\n%s", printed(p))
	}
	p = apply(t, tg, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t2"}), Options{})
	if out := printed(p); !strings.Contains(out, "headers.Authorization: (sensitive value changed)") || strings.Contains(out, "t2") || strings.Contains(out, "t1") {
		t.Fatalf("update plan:\n%s", out)
	}
	if got, _ := tg.Hooks.Get(context.Background(), h.ID); got.SigningKey != h.SigningKey || got.Headers["Authorization"] != "Bearer t2" {
		t.Fatalf("after the update: %+v", got)
	}
	p = plan(t, tg, parse(t, "version: 1\n", nil), Options{})
	if out := printed(p); !p.Empty() || !strings.Contains(out, `webhook "Orders" (`+h.ID+`)`) {
		t.Fatalf("plan without prune:\n%s", out)
	}
	p = apply(t, tg, parse(t, "version: 1\n", nil), Options{Prune: true})
	if st, _ := tg.Read(context.Background()); !strings.Contains(printed(p), `- webhook "Orders"`) || len(st.Webhooks) != 0 {
		t.Fatalf("prune plan:\n%s\nhooks %v", printed(p), st.Webhooks)
	}
}

// TestWebhooksWithoutService: a target that keeps no webhooks refuses a
// document that declares some, and plans the rest as before.
func TestWebhooksWithoutService(t *testing.T) {
	tg := newOffline(t)
	tg.Hooks = nil
	if _, err := Make(context.Background(), tg, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{}); err == nil ||
		!strings.Contains(err.Error(), "does not keep webhooks") {
		t.Fatalf("a target without webhooks: %v", err)
	}
	if p := plan(t, tg, parse(t, "version: 1\n", nil), Options{Prune: true}); !p.Empty() {
		t.Fatalf("plan:\n%s", printed(p))
	}
}

// TestWebhooksRoundTrip: export writes each header as a reference, never
// its value; the export applied to an empty database exports the same
// document, and plans nothing with -prune.
func TestWebhooksRoundTrip(t *testing.T) {
	a := newOffline(t)
	doc := hooksDoc + `  - name: audit trail
    url: https://audit.example/in
    events: [Role.Created, Role.Deleted]
    headers: {X-Api-Key: "${AUDIT_KEY}", X-Team: platform}
    enabled: false
  - name: Plain
    url: https://plain.example/
    events: [PostSignIn]
`
	vars := map[string]string{"HOOK_TOKEN": "s3cret-token", "AUDIT_KEY": "s3cret-key"}
	apply(t, a, parse(t, doc, vars), Options{})
	first := export(t, a)
	for _, want := range []string{
		"Authorization: ${WEBHOOK_ORDERS_AUTHORIZATION}", "X-Api-Key: ${WEBHOOK_AUDIT_TRAIL_X_API_KEY}", "X-Team: ${WEBHOOK_AUDIT_TRAIL_X_TEAM}",
		"enabled: false", "- PostRegister\n      - User.Created", "url: https://plain.example/",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("export lacks %q:\n%s", want, first)
		}
	}
	if strings.Contains(first, "s3cret") || strings.Contains(first, "platform") || strings.Contains(first, "signingKey") {
		t.Fatalf("export holds a header value or the signing key:\n%s", first)
	}
	if strings.Index(first, "name: Orders") > strings.Index(first, "name: Plain") || strings.Index(first, "name: Plain") > strings.Index(first, "name: audit trail") {
		t.Errorf("webhooks are not sorted by name:\n%s", first)
	}
	b := newOffline(t)
	again := parse(t, first, map[string]string{"WEBHOOK_ORDERS_AUTHORIZATION": "Bearer s3cret-token",
		"WEBHOOK_AUDIT_TRAIL_X_API_KEY": "s3cret-key", "WEBHOOK_AUDIT_TRAIL_X_TEAM": "platform"})
	apply(t, b, again, Options{})
	if second := export(t, b); second != first {
		t.Fatalf("export after apply differs:\n--- first\n%s\n--- second\n%s", first, second)
	}
	if p := plan(t, a, again, Options{Prune: true}); !p.Empty() {
		t.Fatalf("the export with its variables does not match the server it came from:\n%s", printed(p))
	}
}

// TestWebhookChangedOutside: a hook changed through the webhook service
// (as the Management API changes it) shows in the plan, and the apply
// puts it back, keeping its signing key and retries.
func TestWebhookChangedOutside(t *testing.T) {
	tg := newOffline(t)
	doc := parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"})
	apply(t, tg, doc, Options{})
	id := hookByName(t, tg, "Orders").ID
	ctx := context.Background()
	events, off, retries := []string{"User.Deleted"}, false, 2
	if _, err := tg.Hooks.Update(ctx, id, webhook.Patch{Events: &events, Enabled: &off,
		Config: &webhook.Config{URL: "https://elsewhere.example/", Headers: map[string]string{"Authorization": "Bearer other", "X-Extra": "1"}, Retries: &retries}}); err != nil {
		t.Fatal(err)
	}
	key, _ := tg.Hooks.RegenerateKey(ctx, id)
	// Another hook made by hand is kept, not matched.
	if _, err := tg.Hooks.Create(ctx, webhook.Patch{Name: ptr("By hand"), Events: &events, Config: &webhook.Config{URL: "https://hand.example/"}}); err != nil {
		t.Fatal(err)
	}
	p := plan(t, tg, doc, Options{})
	out := printed(p)
	for _, want := range []string{
		`~ webhook "Orders"`, `url: "https://elsewhere.example/" → "https://orders.example/hooks"`,
		`events: ["User.Deleted"] → ["PostRegister","User.Created"]`, "enabled: false → true",
		"headers.Authorization: (sensitive value changed)", "- headers.X-Extra", `webhook "By hand"`, "Plan: 0 to create, 1 to change, 0 to delete.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("plan lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Bearer") {
		t.Fatalf("the plan shows a header value:\n%s", out)
	}
	apply(t, tg, doc, Options{})
	if p := plan(t, tg, doc, Options{}); !p.Empty() {
		t.Fatalf("not restored:\n%s", printed(p))
	}
	h, _ := tg.Hooks.Get(ctx, id)
	if h.SigningKey != key.SigningKey || h.Retries == nil || *h.Retries != 2 || len(h.Headers) != 1 {
		t.Fatalf("after the apply: %+v", h)
	}
}

// TestWebhooksRefused: a hook the webhook rules refuse (a URL the egress
// policy refuses, an unknown event, a bad header, no name, a name twice)
// refuses the whole document before the first write, naming its place.
func TestWebhooksRefused(t *testing.T) {
	tg := newOffline(t)
	before := export(t, tg)
	doc := parse(t, `version: 1
resources:
  - {name: Shopping, indicator: "https://shopping.api"}
webhooks:
  - name: Good
    url: https://good.example/
    events: [PostSignIn]
  - name: Internal
    url: http://10.1.2.3/hooks
    events: [PostSignIn]
  - name: Odd
    url: https://odd.example/
    events: [User.Exploded]
  - name: Header
    url: https://header.example/
    events: [PostSignIn]
    headers: {"Bad Name": "${HOOK_TOKEN}"}
  - name: ""
    url: https://noname.example/
    events: [PostSignIn]
  - name: Good
    url: https://good.example/
    events: [PostSignIn]
`, map[string]string{"HOOK_TOKEN": "t1"})
	_, err := Make(context.Background(), tg, doc, Options{})
	var pe *PlanError
	if !errors.As(err, &pe) {
		t.Fatalf("err = %v", err)
	}
	for _, want := range []string{
		`webhooks[1] "Internal": config.url: destination 10.1.2.3 is not allowed by the egress policy`,
		`webhooks[2] "Odd": events: unknown event "User.Exploded"`,
		`webhooks[3] "Header": config.headers: "Bad Name" is not a valid header`,
		"webhooks[4]: name must not be empty",
		`webhooks[5] "Good": declared twice`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("refusal lacks %q:\n%v", want, err)
		}
	}
	if len(pe.Problems) != 5 || strings.Contains(err.Error(), "t1") {
		t.Errorf("problems: %q", pe.Problems)
	}
	if after := export(t, tg); after != before {
		t.Fatal("a refused document changed the database")
	}
}

// TestWebhooksSameNameOnServer: hooks sharing a name on the server cannot
// be matched: a document naming them is refused; one that does not keeps
// (or prunes) each.
func TestWebhooksSameNameOnServer(t *testing.T) {
	tg := newOffline(t)
	events := []string{"PostSignIn"}
	for range 2 {
		if _, err := tg.Hooks.Create(context.Background(), webhook.Patch{Name: ptr("Orders"), Events: &events, Config: &webhook.Config{URL: "https://orders.example/"}}); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Make(context.Background(), tg, parse(t, hooksDoc, map[string]string{"HOOK_TOKEN": "t1"}), Options{})
	if err == nil || !strings.Contains(err.Error(), `webhooks[0] "Orders": the server holds 2 webhooks of this name`) {
		t.Fatalf("err = %v", err)
	}
	p := apply(t, tg, parse(t, "version: 1\n", nil), Options{Prune: true})
	if _, _, d := p.Counts(); d != 2 {
		t.Fatalf("prune plan:\n%s", printed(p))
	}
}
