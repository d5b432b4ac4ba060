package catalog

import (
	"context"
	"errors"
	"fmt"

	"github.com/monban/monban/internal/authz"
	"github.com/monban/monban/internal/store"
)

// Privilege is a permission on an API resource that Monban itself serves,
// such as the Management API's "all". Who holds it is checked again on
// every request (see Snapshot.Standing), so that deleting a caller or taking
// its role away ends its access at once, not when its token expires.
type Privilege struct {
	Indicator string // the resource's indicator
	Scope     string // the scope name that grants the privilege
}

// Standing is what the catalog knows of a caller's hold on a Privilege.
// The zero value refuses.
type Standing int

const (
	// Lacks: the caller exists, but none of its roles grants the privilege
	// any more.
	Lacks Standing = iota
	// Gone: the caller no longer exists (a deleted app), is suspended, or
	// the app its token was issued to was deleted.
	Gone
	// Holds: the caller exists and one of its roles grants the privilege.
	Holds
)

// String names the standing, for logs.
func (s Standing) String() string {
	switch s {
	case Holds:
		return "holds"
	case Gone:
		return "gone"
	default:
		return "lacks"
	}
}

// Protect adds privileges whose holders the snapshot tracks, and reads
// their holders into a copy of the current snapshot (the rest of the
// catalog is not read again), so that every snapshot from now on has them.
// Only users holding one of them are read into memory: the catalog does
// not hold every user.
func (c *Cache) Protect(ctx context.Context, ps ...Privilege) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.privileges = append(c.privileges, ps...)
	cur := c.cur.Load()
	if cur == nil {
		return c.reload(ctx)
	}
	next := *cur
	holders, err := loadHolders(ctx, c.store, &next, c.privileges)
	if err != nil {
		return fmt.Errorf("load privileged users: %w", err)
	}
	next.holders = holders
	c.cur.Store(&next)
	return nil
}

// Standing says whether the caller a verified access token names still
// holds p. subject and clientID are the token's sub and client_id claims.
//
// A token whose subject is its client (client_credentials) is an app's: the
// app must exist and one of its M2M roles grant p. Any other token is a
// user's: the app it was issued to must exist, and the user must hold a User
// role granting p and not be suspended, as the last Reload read them.
func (s *Snapshot) Standing(p Privilege, subject, clientID string) Standing {
	if subject == "" || s.Apps[clientID] == nil {
		return Gone
	}
	if authz.IsAppSubject(subject, clientID) {
		res := s.ByIndicator[p.Indicator]
		if res == nil {
			return Lacks
		}
		if _, ok := s.Authz.Scopes(authz.App(clientID), "", res.ID)[p.Scope]; ok {
			return Holds
		}
		return Lacks
	}
	active, ok := s.holders[p][subject]
	switch {
	case !ok:
		return Lacks
	case !active:
		return Gone
	}
	return Holds
}

// loadHolders reads the users of every User role that grants one of ps in
// snap: privilege → user id → true when the user is not suspended. A user
// who is not in the map holds no such role (or was deleted, which removes
// the user's roles). It reads after the catalog, not in the same
// transaction: a change made in between is followed by its own Reload,
// which corrects it.
func loadHolders(ctx context.Context, st store.UserStore, snap *Snapshot, ps []Privilege) (map[Privilege]map[string]bool, error) {
	if len(ps) == 0 {
		return nil, nil
	}
	roleUsers := make(map[string][]store.User) // read once per role
	out := make(map[Privilege]map[string]bool, len(ps))
	for _, p := range ps {
		users := make(map[string]bool)
		out[p] = users
		res := snap.ByIndicator[p.Indicator]
		if res == nil {
			continue
		}
		for _, roleID := range snap.Authz.RolesGranting(store.HolderUser, res.ID, p.Scope) {
			list, seen := roleUsers[roleID]
			if !seen {
				var err error
				list, _, err = st.ListRoleUsers(ctx, roleID, store.Page{})
				switch {
				case errors.Is(err, store.ErrNotFound):
					// Deleted since the catalog was read: its holders lost it
					// (the deletion's own reload follows).
				case err != nil:
					return nil, fmt.Errorf("users of role %s: %w", roleID, err)
				}
				roleUsers[roleID] = list
			}
			for _, u := range list {
				users[u.ID] = users[u.ID] || !u.IsSuspended
			}
		}
	}
	return out, nil
}
