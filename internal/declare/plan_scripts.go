package declare

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/monban/monban/internal/hooks"
)

var tokenTypes = []string{"access-token", "client-credentials"}

func (p *planner) customJWT() {
	cur := map[string]CustomJWT{}
	for _, c := range p.st.CustomJWT {
		cur[c.TokenType] = c
	}
	seen := map[string]bool{}
	for i, c := range p.want.CustomJWT {
		what := fmt.Sprintf("customJwt[%d] %q", i, c.TokenType)
		if !slices.Contains(tokenTypes, c.TokenType) {
			p.problem("%s: tokenType must be access-token or client-credentials", what)
			continue
		}
		if seen[c.TokenType] {
			p.problem("%s: declared twice", what)
			continue
		}
		seen[c.TokenType] = true
		if strings.TrimSpace(c.Script) == "" {
			p.problem("%s: script must not be empty", what)
		} else if err := p.t.CheckScript(c.Script); err != nil {
			p.problem("%s: script: %v", what, err)
		} else if err := hooks.CheckAction(c.Script, c.TokenType); err != nil {
			p.problem("%s: script: %v", what, err)
		}
		p.checked(what, hooks.CheckEnvironment(c.EnvironmentVariables))
		was, ok := cur[c.TokenType]
		f := fields{create: !ok}
		if !ok || was.Script != c.Script {
			f.lines = append(f.lines, fmt.Sprintf("script: %d line(s)", strings.Count(strings.TrimRight(c.Script, "\n"), "\n")+1))
		}
		for _, name := range slices.Sorted(maps.Keys(c.EnvironmentVariables)) {
			var old *string
			if v, ok := was.EnvironmentVariables[name]; ok {
				old = &v
			}
			f.secret("environmentVariables."+name, old, c.EnvironmentVariables[name])
		}
		for _, name := range slices.Sorted(maps.Keys(was.EnvironmentVariables)) {
			if _, ok := c.EnvironmentVariables[name]; !ok {
				f.lines = append(f.lines, "- environmentVariables."+name)
			}
		}
		f.set("blockIssuanceOnError", or(was.BlockIssuanceOnError, false), c.BlockIssuanceOnError)
		if ok && len(f.lines) == 0 {
			continue
		}
		op := Update
		if !ok {
			op = Create
		}
		p.add(Change{Op: op, Kind: "custom JWT", Key: c.TokenType, Lines: f.lines, do: func(ctx context.Context, run *run) error {
			return run.t.PutCustomJWT(ctx, c)
		}})
	}
	for _, tt := range slices.Sorted(maps.Keys(cur)) {
		if !seen[tt] {
			p.remove(Change{Op: Delete, Kind: "custom JWT", Key: tt, do: func(ctx context.Context, run *run) error {
				return run.t.DeleteCustomJWT(ctx, tt)
			}}, fmt.Sprintf("custom JWT %q", tt))
		}
	}
}

// webhooks plans the hooks, matched by name. A hook's headers compare by
// value (the document's resolved), and no plan line shows one.
func (p *planner) webhooks() {
	ht, ok := p.t.(HookTarget)
	if !ok || p.st.Webhooks == nil {
		return
	}
	cur := map[string]StateWebhook{}
	count := map[string]int{}
	for _, w := range p.st.Webhooks {
		cur[w.Name] = w
		count[w.Name]++
	}
	seen := map[string]bool{}
	for i, w := range p.want.Webhooks {
		what := fmt.Sprintf("webhooks[%d] %q", i, w.Name)
		switch {
		case strings.TrimSpace(w.Name) == "":
			p.problem("webhooks[%d]: name must not be empty (it is the webhook's key)", i)
			continue
		case seen[w.Name]:
			p.problem("%s: declared twice", what)
			continue
		case count[w.Name] > 1:
			p.problem("%s: the server holds %d webhooks of this name; rename or delete all but one through the Management API (/api/hooks)", what, count[w.Name])
		}
		seen[w.Name] = true
		p.checked(what, ht.CheckWebhook(w))
		was, ok := cur[w.Name]
		f := fields{create: !ok}
		f.set("url", was.URL, w.URL)
		f.set("events", list(was.Events), list(w.Events))
		f.set("enabled", or(was.Enabled, true), w.Enabled)
		for _, name := range slices.Sorted(maps.Keys(w.Headers)) {
			var old *string
			if v, ok := was.Headers[name]; ok {
				old = &v
			}
			f.secret("headers."+name, old, w.Headers[name])
		}
		for _, name := range slices.Sorted(maps.Keys(was.Headers)) {
			if _, ok := w.Headers[name]; !ok {
				f.lines = append(f.lines, "- headers."+name)
			}
		}
		switch {
		case !ok:
			p.add(Change{Op: Create, Kind: "webhook", Key: w.Name, Lines: f.lines, do: func(ctx context.Context, _ *run) error {
				_, err := ht.CreateWebhook(ctx, w)
				return err
			}})
		case len(f.lines) > 0:
			p.add(Change{Op: Update, Kind: "webhook", Key: w.Name, Lines: f.lines, do: func(ctx context.Context, _ *run) error {
				return ht.UpdateWebhook(ctx, was.ID, w)
			}})
		}
	}
	for _, w := range p.st.Webhooks {
		if !seen[w.Name] {
			id := w.ID
			p.remove(Change{Op: Delete, Kind: "webhook", Key: w.Name, do: func(ctx context.Context, _ *run) error {
				return ht.DeleteWebhook(ctx, id)
			}}, fmt.Sprintf("webhook %q (%s)", w.Name, id))
		}
	}
}
