package declare

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/monban/monban/internal/hooks"
)

// Op is what a change does.
type Op int

// The ops, in the order a plan prints their symbols.
const (
	Create Op = iota + 1
	Update
	Delete
)

func (o Op) symbol() string { return [...]string{"?", "+", "~", "-"}[o] }

// Change is one step of a plan: an entity to create, change or delete,
// with the fields it sets or changes.
type Change struct {
	Op    Op
	Kind  string // "resource", "scope", "application", "role", "custom JWT", "webhook"
	Key   string // how the document names it
	Lines []string
	do    func(ctx context.Context, r *run) error
}

// Plan is what applying a document changes, in the order it is done.
// Kept lists what the target holds that the document does not declare,
// left alone (Options.Prune deletes it).
type Plan struct {
	Changes []Change
	Kept    []string
	target  Target
	state   *State
	matched map[string]string // ref of a document's application → the id it matched
}

// Options are the choices of a plan.
type Options struct {
	// Prune deletes what the document does not declare (but the built-in
	// resource and application, and what Protected names).
	Prune bool
	// Protected is an application id never deleted, nor its roles: the
	// one a plan is applied with over the Management API.
	Protected string
}

// Empty reports whether applying the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Counts returns how many creates, updates and deletes the plan has.
func (p *Plan) Counts() (create, update, del int) {
	for _, c := range p.Changes {
		switch c.Op {
		case Create:
			create++
		case Update:
			update++
		case Delete:
			del++
		}
	}
	return
}

// Write prints the plan readably: one entity a line with its symbol (+
// create, ~ update, - delete) and, indented, what it sets or changes; then
// what is kept, and a summary line.
func (p *Plan) Write(w io.Writer) {
	for _, c := range p.Changes {
		fmt.Fprintf(w, "%s %s %q\n", c.Op.symbol(), c.Kind, c.Key)
		for _, l := range c.Lines {
			fmt.Fprintf(w, "    %s\n", l)
		}
	}
	if len(p.Kept) > 0 {
		fmt.Fprintf(w, "Not in the document, kept (--prune deletes them):\n")
		for _, k := range p.Kept {
			fmt.Fprintf(w, "    %s\n", k)
		}
	}
	c, u, d := p.Counts()
	if p.Empty() {
		fmt.Fprintln(w, "No changes: the server matches the document.")
		return
	}
	fmt.Fprintf(w, "Plan: %d to create, %d to change, %d to delete.\n", c, u, d)
}

// ApplyError is a write that failed halfway through a plan: Done changes
// were made before it.
type ApplyError struct {
	Change Change
	Done   int
	Err    error
}

func (e *ApplyError) Error() string {
	return fmt.Sprintf("%s %s %q: %v (%d earlier change(s) were made; apply again once fixed)",
		map[Op]string{Create: "creating", Update: "changing", Delete: "deleting"}[e.Change.Op], e.Change.Kind, e.Change.Key, e.Err, e.Done)
}

func (e *ApplyError) Unwrap() error { return e.Err }

// Apply carries the plan out, change by change, in order.
func (p *Plan) Apply(ctx context.Context) error {
	r := newRun(p.target, p.state)
	maps.Copy(r.app, p.matched)
	for i, c := range p.Changes {
		if err := c.do(ctx, r); err != nil {
			return &ApplyError{Change: c, Done: i, Err: err}
		}
	}
	return nil
}

// run is the ids known while a plan is applied: the state's, and those of
// what the plan created.
type run struct {
	t     Target
	res   map[string]string    // indicator → id
	scope map[[2]string]string // indicator, scope name → id
	app   map[string]string    // application ref (appMatch.ref, curRef) → id
	role  map[string]string    // name → id
}

func newRun(t Target, st *State) *run {
	r := &run{t: t, res: map[string]string{}, scope: map[[2]string]string{}, app: map[string]string{}, role: map[string]string{}}
	for _, res := range st.Resources {
		r.res[res.Indicator] = res.ID
		for name, id := range res.ScopeIDs {
			r.scope[[2]string{res.Indicator, name}] = id
		}
	}
	for _, a := range st.Applications {
		r.app[curRef(a.ID)] = a.ID
	}
	for _, role := range st.Roles {
		r.role[role.Name] = role.ID
	}
	return r
}

// scopeIDs resolves "indicator\x00scope" permissions to scope ids.
func (r *run) scopeIDs(perms []string) ([]string, error) {
	ids := make([]string, 0, len(perms))
	for _, p := range perms {
		ind, name, _ := strings.Cut(p, "\x00")
		id, ok := r.scope[[2]string{ind, name}]
		if !ok {
			return nil, fmt.Errorf("the scope %q of %q is gone", name, ind)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func (r *run) appIDs(refs []string) ([]string, error) {
	ids := make([]string, 0, len(refs))
	for _, ref := range refs {
		id, ok := r.app[ref]
		if !ok {
			return nil, fmt.Errorf("the application %s is gone", strings.TrimPrefix(ref, "cur:"))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// PlanError lists every problem of a document found before any write.
type PlanError struct{ Problems []string }

func (e *PlanError) Error() string {
	if len(e.Problems) == 1 {
		return "the document is refused: " + e.Problems[0]
	}
	return "the document is refused:\n  " + strings.Join(e.Problems, "\n  ")
}

// Make computes the plan that makes t match doc (its ${NAME} references
// resolved, see Resolve). Every value is checked first, with the target's
// directory checks, and every reference resolved: a document with any
// problem is refused whole (a *PlanError), before anything is written.
func Make(ctx context.Context, t Target, doc *Document, opts Options) (*Plan, error) {
	st, err := t.Read(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the current configuration: %w", err)
	}
	want := normalize(withIndicators(doc, st))
	p := &planner{t: t, st: st, want: want, opts: opts, plan: &Plan{target: t, state: st, matched: map[string]string{}}}
	if _, ok := t.(HookTarget); !ok && len(want.Webhooks) > 0 {
		p.problem("webhooks: this server does not keep webhooks; remove the webhooks section")
	}
	p.resources()
	p.applications()
	p.roles()
	p.customJWT()
	p.webhooks()
	if len(p.problems) > 0 {
		return nil, &PlanError{Problems: p.problems}
	}
	p.plan.Changes = append(p.plan.Changes, p.deletes...)
	return p.plan, nil
}

// withIndicators is doc with ManagementAPI in permissions replaced by the
// built-in resource's indicator.
func withIndicators(doc *Document, st *State) *Document {
	builtIn := ""
	for _, r := range st.Resources {
		if r.BuiltIn {
			builtIn = r.Indicator
		}
	}
	out := *doc
	out.Roles = slices.Clone(doc.Roles)
	for i := range out.Roles {
		perms := slices.Clone(out.Roles[i].Permissions)
		for j := range perms {
			if perms[j].Resource == ManagementAPI && builtIn != "" {
				perms[j].Resource = builtIn
			}
		}
		out.Roles[i].Permissions = perms
	}
	return &out
}

type planner struct {
	t        Target
	st       *State
	want     *Document
	opts     Options
	plan     *Plan
	deletes  []Change // done last, roles first
	problems []string
	// apps: the document's applications, each with the state's match (nil:
	// created) and its ref.
	apps   []appMatch
	appRef map[string]string // ref → display name
}

type appMatch struct {
	want Application
	cur  *StateApplication
	ref  string
}

func (p *planner) problem(format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf(format, args...))
}

// checked records a refusal of the directory's checks for what.
func (p *planner) checked(what string, err error) {
	if err != nil {
		p.problem("%s: %v", what, err)
	}
}

func (p *planner) add(c Change) { p.plan.Changes = append(p.plan.Changes, c) }

func (p *planner) remove(c Change, kept string) {
	if p.opts.Prune {
		p.deletes = append(p.deletes, c)
		return
	}
	p.plan.Kept = append(p.plan.Kept, kept)
}

// show renders a value for a plan line.
func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// field compares one field: a line for a create (was is nil) or a change.
type fields struct {
	create bool
	lines  []string
}

func (f *fields) set(name string, was, is any) {
	if f.create {
		if v := show(is); v != `""` && v != "[]" && v != "null" {
			f.lines = append(f.lines, name+": "+v)
		}
		return
	}
	if s1, s2 := show(was), show(is); s1 != s2 {
		f.lines = append(f.lines, name+": "+s1+" → "+s2)
	}
}

// secret compares a value that must not be shown.
func (f *fields) secret(name string, was *string, is string) {
	switch {
	case f.create || was == nil:
		f.lines = append(f.lines, name+": (sensitive value)")
	case *was != is:
		f.lines = append(f.lines, name+": (sensitive value changed)")
	}
}

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

func (p *planner) webhooks() {
	ht, ok := p.t.(HookTarget)
	if !ok {
		return
	}
	cur := map[string]StateWebhook{}
	for _, w := range p.st.Webhooks {
		cur[w.Name] = w
	}
	seen := map[string]bool{}
	for i, w := range p.want.Webhooks {
		what := fmt.Sprintf("webhooks[%d] %q", i, w.Name)
		if seen[w.Name] {
			p.problem("%s: declared twice", what)
			continue
		}
		seen[w.Name] = true
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
	for _, name := range slices.Sorted(maps.Keys(cur)) {
		if !seen[name] {
			id := cur[name].ID
			p.remove(Change{Op: Delete, Kind: "webhook", Key: name, do: func(ctx context.Context, _ *run) error {
				return ht.DeleteWebhook(ctx, id)
			}}, fmt.Sprintf("webhook %q", name))
		}
	}
}
