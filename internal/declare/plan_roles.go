package declare

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// scopeExists reports whether a permission names a scope the document
// declares or the target holds.
func (p *planner) scopeExists(indicator, name string) bool {
	for _, r := range p.want.Resources {
		if r.Indicator == indicator {
			return slices.ContainsFunc(r.Scopes, func(s Scope) bool { return s.Name == name })
		}
	}
	for _, r := range p.st.Resources {
		if r.Indicator == indicator {
			_, ok := r.ScopeIDs[name]
			return ok
		}
	}
	return false
}

func (p *planner) roles() {
	cur := map[string]*StateRole{}
	for i := range p.st.Roles {
		cur[p.st.Roles[i].Name] = &p.st.Roles[i]
	}
	checker := p.t.Checker()
	seen := map[string]bool{}
	for i, r := range p.want.Roles {
		what := fmt.Sprintf("roles[%d] %q", i, r.Name)
		if seen[r.Name] {
			p.problem("%s: declared twice", what)
			continue
		}
		seen[r.Name] = true
		p.checked(what, checker.CheckRole(newRole(r)))
		c := cur[r.Name]
		if c != nil && c.Type != r.Type {
			p.problem("%s: the type cannot change (%s → %s); create another role instead", what, c.Type, r.Type)
			continue
		}
		var wantPerms, wantApps []string
		for _, perm := range r.Permissions {
			for _, s := range perm.Scopes {
				if !p.scopeExists(perm.Resource, s) {
					p.problem("%s: permission %q of %q: no such scope is declared or exists", what, s, perm.Resource)
				}
				wantPerms = append(wantPerms, perm.Resource+"\x00"+s)
			}
		}
		for _, name := range r.Applications {
			ref, err := p.resolveApp(name)
			if err != nil {
				p.problem("%s: applications: %v", what, err)
				continue
			}
			if t := p.appType(ref); r.Type != "MachineToMachine" || t != "MachineToMachine" {
				p.problem("%s: applications: %q is a %s application; only MachineToMachine applications hold roles, and only MachineToMachine roles", what, name, t)
				continue
			}
			wantApps = append(wantApps, ref)
		}
		p.role(r, c, wantPerms, wantApps)
	}
	for _, c := range p.st.Roles {
		if seen[c.Name] {
			continue
		}
		if p.opts.Protected != "" && slices.Contains(c.ApplicationIDs, p.opts.Protected) {
			p.plan.Kept = append(p.plan.Kept, fmt.Sprintf("role %q: held by the application applying the plan, never deleted", c.Name))
			continue
		}
		if p.grantsManagement(c) {
			p.plan.Kept = append(p.plan.Kept, fmt.Sprintf("role %q: grants the Management API's %q permission, never pruned (delete it in the console)", c.Name, managementScope))
			continue
		}
		id := c.ID
		p.remove(Change{Op: Delete, Kind: "role", Key: c.Name, do: func(ctx context.Context, run *run) error {
			return run.t.DeleteRole(ctx, id)
		}}, fmt.Sprintf("role %q", c.Name))
	}
	// Roles go first among the deletes: nothing then refers to what the
	// later deletes remove.
	slices.SortStableFunc(p.deletes, func(a, b Change) int {
		return btoi(b.Kind == "role") - btoi(a.Kind == "role")
	})
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func permName(p string) string { return strings.Replace(p, "\x00", " ", 1) }

func (p *planner) role(r Role, c *StateRole, wantPerms, wantApps []string) {
	f := fields{create: c == nil}
	var was Role
	if c != nil {
		was = c.Role
	} else {
		f.set("type", nil, r.Type)
	}
	f.set("description", was.Description, r.Description)
	f.set("isDefault", was.IsDefault, r.IsDefault)
	fieldsChanged := len(f.lines) > 0
	var curPerms []string
	if c != nil {
		for _, perm := range c.Permissions {
			for _, s := range perm.Scopes {
				curPerms = append(curPerms, perm.Resource+"\x00"+s)
			}
		}
	}
	addPerms, delPerms := diff(wantPerms, curPerms)
	var curApps []string
	if c != nil {
		for _, id := range c.ApplicationIDs {
			ref, declared := p.matchedRef(id)
			if declared { // holders the document does not declare are left alone
				curApps = append(curApps, ref)
			}
		}
	}
	addApps, delApps := diff(wantApps, curApps)
	for _, x := range addPerms {
		f.lines = append(f.lines, "+ permission "+permName(x))
	}
	for _, x := range delPerms {
		f.lines = append(f.lines, "- permission "+permName(x))
	}
	for _, x := range addApps {
		f.lines = append(f.lines, "+ application "+p.appRef[x])
	}
	for _, x := range delApps {
		f.lines = append(f.lines, "- application "+p.appRef[x])
	}
	if c != nil && len(f.lines) == 0 {
		return
	}
	op := Update
	if c == nil {
		op = Create
	}
	p.add(Change{Op: op, Kind: "role", Key: r.Name, Lines: f.lines, do: func(ctx context.Context, run *run) error {
		id := run.role[r.Name]
		var err error
		switch {
		case c == nil:
			if id, err = run.t.CreateRole(ctx, r); err != nil {
				return err
			}
			run.role[r.Name] = id
		case fieldsChanged:
			if err := run.t.UpdateRole(ctx, id, r); err != nil {
				return err
			}
		}
		return applyLinks(ctx, run, id, addPerms, delPerms, addApps, delApps)
	}})
}

func applyLinks(ctx context.Context, run *run, roleID string, addPerms, delPerms, addApps, delApps []string) error {
	if ids, err := run.scopeIDs(addPerms); err != nil {
		return err
	} else if len(ids) > 0 {
		if err := run.t.AddRoleScopes(ctx, roleID, ids); err != nil {
			return err
		}
	}
	ids, err := run.scopeIDs(delPerms)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := run.t.RemoveRoleScope(ctx, roleID, id); err != nil {
			return err
		}
	}
	if ids, err := run.appIDs(addApps); err != nil {
		return err
	} else if len(ids) > 0 {
		if err := run.t.AddRoleApplications(ctx, roleID, ids); err != nil {
			return err
		}
	}
	if ids, err = run.appIDs(delApps); err != nil {
		return err
	}
	for _, id := range ids {
		if err := run.t.RemoveRoleApplication(ctx, roleID, id); err != nil {
			return err
		}
	}
	return nil
}

// diff returns what want has that have lacks, and the reverse, sorted.
func diff(want, have []string) (add, del []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range have {
		h[x] = true
	}
	for x := range w {
		if !h[x] {
			add = append(add, x)
		}
	}
	for x := range h {
		if !w[x] {
			del = append(del, x)
		}
	}
	slices.Sort(add)
	slices.Sort(del)
	return add, del
}

// managementScope is the Management API's permission that the console's
// administrators and the bootstrap app hold.
const managementScope = "all"

// grantsManagement reports whether a role grants the Management API's
// "all" permission: pruning it could lock every administrator out, and a
// start would seed another in its place.
func (p *planner) grantsManagement(r StateRole) bool {
	for _, res := range p.st.Resources {
		if !res.ManagementAPI {
			continue
		}
		for _, perm := range r.Permissions {
			if perm.Resource == res.Indicator && slices.Contains(perm.Scopes, managementScope) {
				return true
			}
		}
	}
	return false
}
