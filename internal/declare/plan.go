package declare

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
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
	// Prune deletes what the document does not declare, but the built-in
	// resource and application, the roles granting the Management API's
	// "all" permission, and what Protected names.
	Prune bool
	// Protected is an application id never deleted, nor its roles: the
	// one a plan is applied with over the Management API, or the bootstrap
	// app at start-up.
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
	if _, ok := t.(HookTarget); (!ok || st.Webhooks == nil) && len(want.Webhooks) > 0 {
		p.problem("webhooks: this server does not keep webhooks; remove the webhooks section")
	}
	p.resources()
	p.applications()
	p.roles()
	p.customJWT()
	p.webhooks()
	p.connectors()
	p.signInExperience()
	if len(p.problems) > 0 {
		return nil, &PlanError{Problems: p.problems}
	}
	p.plan.Changes = append(p.plan.Changes, p.deletes...)
	return p.plan, nil
}

// withIndicators is doc with ManagementAPI and ManagementAPIV2 in
// permissions replaced by the built-in resources' indicators.
func withIndicators(doc *Document, st *State) *Document {
	indicators := map[string]string{}
	for indicator, name := range st.builtInNames() {
		indicators[name] = indicator
	}
	out := *doc
	out.Roles = slices.Clone(doc.Roles)
	for i := range out.Roles {
		perms := slices.Clone(out.Roles[i].Permissions)
		for j := range perms {
			if indicator, ok := indicators[perms[j].Resource]; ok {
				perms[j].Resource = indicator
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
