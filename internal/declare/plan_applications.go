package declare

import (
	"context"
	"fmt"
	"maps"
	"slices"
)

func curRef(id string) string { return "cur:" + id }

func (p *planner) applications() {
	byID := map[string]*StateApplication{}
	byName := map[string][]*StateApplication{}
	for i := range p.st.Applications {
		a := &p.st.Applications[i]
		byID[a.ID] = a
		if !a.BuiltIn {
			byName[a.Name] = append(byName[a.Name], a)
		}
	}
	matched := map[string]bool{}
	p.appRef = map[string]string{}
	for _, a := range p.st.Applications {
		p.appRef[curRef(a.ID)] = fmt.Sprintf("%s (%s)", a.Name, a.ID)
	}
	checker := p.t.Checker()
	names := map[string]int{}
	for _, a := range p.want.Applications {
		if a.ID == "" {
			names[a.Name]++
		}
	}
	for i, a := range p.want.Applications {
		what := fmt.Sprintf("applications[%d] %q", i, a.Name)
		var c *StateApplication
		switch {
		case a.ID != "":
			if c = byID[a.ID]; c == nil {
				p.problem("%s: no application has the id %q (an id only matches; leave it out to create the application by name)", what, a.ID)
				continue
			}
			if c.BuiltIn {
				p.problem("%s: the application %q is built in; leave it out of the document", what, a.ID)
				continue
			}
		case names[a.Name] > 1:
			p.problem("%s: %d applications of the document have this name; give each an id", what, names[a.Name])
			continue
		default:
			switch same := byName[a.Name]; len(same) {
			case 0:
			case 1:
				c = same[0]
			default:
				p.problem("%s: %d applications have this name; give the id of the one meant", what, len(same))
				continue
			}
		}
		if c != nil && matched[c.ID] {
			p.problem("%s: the application %s is declared twice", what, c.ID)
			continue
		}
		p.checked(what, checker.CheckApplication(newApplication(a)))
		m := appMatch{want: a, cur: c, ref: fmt.Sprintf("doc:%d", i)}
		p.appRef[m.ref] = a.Name
		if c != nil {
			matched[c.ID] = true
			p.plan.matched[m.ref] = c.ID
			if c.Type != a.Type {
				p.problem("%s: the type cannot change (%s → %s); create another application instead", what, c.Type, a.Type)
			}
		}
		p.apps = append(p.apps, m)
		p.application(m)
	}
	for _, c := range p.st.Applications {
		if c.BuiltIn || matched[c.ID] {
			continue
		}
		if c.ID == p.opts.Protected {
			p.plan.Kept = append(p.plan.Kept, fmt.Sprintf("application %q (%s): the one applying the plan, never deleted", c.Name, c.ID))
			continue
		}
		id := c.ID
		p.remove(Change{Op: Delete, Kind: "application", Key: c.Name, Lines: []string{"id: " + id},
			do: func(ctx context.Context, run *run) error { return run.t.DeleteApplication(ctx, id) }},
			fmt.Sprintf("application %q (%s)", c.Name, c.ID))
	}
}

func (p *planner) application(m appMatch) {
	a, c := m.want, m.cur
	f := fields{create: c == nil}
	var was Application
	if c != nil {
		was = c.Application
		if m.want.ID != "" {
			f.set("name", was.Name, a.Name)
		}
	} else {
		f.set("type", nil, a.Type)
	}
	f.set("description", was.Description, a.Description)
	f.set("redirectUris", list(was.RedirectURIs), list(a.RedirectURIs))
	f.set("postLogoutRedirectUris", list(was.PostLogoutRedirectURIs), list(a.PostLogoutRedirectURIs))
	f.set("corsAllowedOrigins", list(was.CORSAllowedOrigins), list(a.CORSAllowedOrigins))
	f.set("rotateRefreshToken", was.RotateRefreshToken, a.RotateRefreshToken)
	f.set("refreshTokenTtlInDays", was.RefreshTokenTTLDays, a.RefreshTokenTTLDays)
	f.set("allowPasswordGrant", was.AllowPasswordGrant, a.AllowPasswordGrant)
	// Left out of exports while off (see ifTrue): absent is false.
	f.set("allowTokenExchange", or(was.AllowTokenExchange, false), or(a.AllowTokenExchange, false))
	f.set("requirePushedAuthorizationRequests", or(was.RequirePAR, false), or(a.RequirePAR, false))
	f.set("requireDpop", or(was.RequireDPoP, false), or(a.RequireDPoP, false))
	f.set("isDeviceFlow", or(was.IsDeviceFlow, false), or(a.IsDeviceFlow, false))
	for _, k := range slices.Sorted(maps.Keys(a.CustomData)) {
		old, ok := was.CustomData[k]
		if !ok {
			old = nil
		}
		if c == nil || !ok || show(old) != show(a.CustomData[k]) {
			if c != nil && !ok {
				f.lines = append(f.lines, "customData."+k+": (none) → "+show(a.CustomData[k]))
				continue
			}
			f.set("customData."+k, old, a.CustomData[k])
		}
	}
	switch {
	case c == nil:
		p.add(Change{Op: Create, Kind: "application", Key: a.Name, Lines: f.lines, do: func(ctx context.Context, run *run) error {
			id, err := run.t.CreateApplication(ctx, a)
			run.app[m.ref] = id
			return err
		}})
	case len(f.lines) > 0:
		id := c.ID
		p.add(Change{Op: Update, Kind: "application", Key: a.Name, Lines: f.lines, do: func(ctx context.Context, run *run) error {
			return run.t.UpdateApplication(ctx, id, a)
		}})
	}
}

// list is a list as a plan shows it: never null.
func list(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

// resolveApp finds the application a role's entry names: one of the
// document's (by id, then name), else one the target holds (by id, then
// unique name).
func (p *planner) resolveApp(name string) (string, error) {
	for _, m := range p.apps {
		if m.want.ID == name || (m.cur != nil && m.cur.ID == name) {
			return m.ref, nil
		}
	}
	var refs []string
	for _, m := range p.apps {
		if m.want.Name == name {
			refs = append(refs, m.ref)
		}
	}
	if len(refs) == 1 {
		return refs[0], nil
	}
	if len(refs) > 1 {
		return "", fmt.Errorf("%d applications of the document are named %q; name it by id", len(refs), name)
	}
	for _, a := range p.st.Applications {
		if a.ID == name {
			return curRef(a.ID), nil
		}
	}
	for _, a := range p.st.Applications {
		if a.Name == name && !a.BuiltIn {
			refs = append(refs, curRef(a.ID))
		}
	}
	switch len(refs) {
	case 1:
		return refs[0], nil
	case 0:
		return "", fmt.Errorf("no application is named %q", name)
	}
	return "", fmt.Errorf("%d applications are named %q; name it by id", len(refs), name)
}

// matchedRef is the ref of the document's application matched to id, or
// the target's ref for it.
func (p *planner) matchedRef(id string) (ref string, declared bool) {
	for _, m := range p.apps {
		if m.cur != nil && m.cur.ID == id {
			return m.ref, true
		}
	}
	return curRef(id), false
}

func (p *planner) appType(ref string) string {
	for _, m := range p.apps {
		if m.ref == ref {
			return m.want.Type
		}
	}
	for _, a := range p.st.Applications {
		if curRef(a.ID) == ref {
			return a.Type
		}
	}
	return ""
}
