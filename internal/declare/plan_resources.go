package declare

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

func (p *planner) resources() {
	seen := map[string]bool{}
	cur := map[string]*StateResource{}
	for i := range p.st.Resources {
		cur[p.st.Resources[i].Indicator] = &p.st.Resources[i]
	}
	checker := p.t.Checker()
	for i, r := range p.want.Resources {
		what := fmt.Sprintf("resources[%d] %q", i, r.Indicator)
		if seen[r.Indicator] {
			p.problem("%s: declared twice", what)
			continue
		}
		seen[r.Indicator] = true
		c := cur[r.Indicator]
		if c != nil && c.BuiltIn {
			p.problem("%s: the Management API resource is built in; leave it out of the document (roles may still name its scopes)", what)
			continue
		}
		p.checked(what, checker.CheckResource(newResource(r)))
		scopeSeen := map[string]bool{}
		for _, s := range r.Scopes {
			if scopeSeen[s.Name] {
				p.problem("%s: scope %q declared twice", what, s.Name)
			}
			scopeSeen[s.Name] = true
			p.checked(fmt.Sprintf("%s: scope %q", what, s.Name), checker.CheckScope(newScope(s)))
		}
		f := fields{create: c == nil}
		var was Resource
		if c != nil {
			was = c.Resource
		}
		f.set("name", was.Name, r.Name)
		f.set("accessTokenTtl", was.AccessTokenTTL, r.AccessTokenTTL)
		f.set("isDefault", was.IsDefault, r.IsDefault)
		if c == nil {
			p.add(Change{Op: Create, Kind: "resource", Key: r.Indicator, Lines: f.lines, do: func(ctx context.Context, run *run) error {
				id, err := run.t.CreateResource(ctx, r)
				run.res[r.Indicator] = id
				return err
			}})
		} else if len(f.lines) > 0 {
			id := c.ID
			p.add(Change{Op: Update, Kind: "resource", Key: r.Indicator, Lines: f.lines, do: func(ctx context.Context, run *run) error {
				return run.t.UpdateResource(ctx, id, r)
			}})
		}
		p.scopes(r, c)
	}
	for _, c := range p.st.Resources {
		if c.BuiltIn || seen[c.Indicator] {
			continue
		}
		id := c.ID
		p.remove(Change{Op: Delete, Kind: "resource", Key: c.Indicator, Lines: []string{fmt.Sprintf("with its %d scope(s)", len(c.Scopes))},
			do: func(ctx context.Context, run *run) error { return run.t.DeleteResource(ctx, id) }}, fmt.Sprintf("resource %q", c.Indicator))
	}
}

func (p *planner) scopes(r Resource, c *StateResource) {
	cur := map[string]Scope{}
	if c != nil {
		for _, s := range c.Scopes {
			cur[s.Name] = s
		}
	}
	key := func(s string) string { return r.Indicator + " " + s }
	for _, s := range r.Scopes {
		was, ok := cur[s.Name]
		delete(cur, s.Name)
		f := fields{create: !ok}
		f.set("description", was.Description, s.Description)
		if !ok {
			p.add(Change{Op: Create, Kind: "scope", Key: key(s.Name), Lines: f.lines, do: func(ctx context.Context, run *run) error {
				id, err := run.t.CreateScope(ctx, run.res[r.Indicator], s)
				run.scope[[2]string{r.Indicator, s.Name}] = id
				return err
			}})
		} else if len(f.lines) > 0 {
			p.add(Change{Op: Update, Kind: "scope", Key: key(s.Name), Lines: f.lines, do: func(ctx context.Context, run *run) error {
				return run.t.UpdateScope(ctx, c.ID, c.ScopeIDs[s.Name], s)
			}})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(cur)) {
		p.remove(Change{Op: Delete, Kind: "scope", Key: key(name), do: func(ctx context.Context, run *run) error {
			return run.t.DeleteScope(ctx, c.ID, c.ScopeIDs[name])
		}}, fmt.Sprintf("scope %q", key(name)))
	}
}
