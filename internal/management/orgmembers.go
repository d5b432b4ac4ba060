package management

import (
	"net/http"

	"github.com/monban/monban/internal/directory"
	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/logto"
	"github.com/monban/monban/internal/store"
)

// An organization's members and their organization roles, with Logto's
// paths: users at …/users, machine-to-machine applications at
// …/applications, each with the same routes.

// memberKind is one kind of member as its routes name it.
type memberKind struct {
	h     store.Holder
	seg   string // the path segment: users, applications
	param string // the member's path parameter: userId, applicationId
}

var (
	userMembers = memberKind{store.HolderUser, "users", "userId"}
	appMembers  = memberKind{store.HolderApplication, "applications", "applicationId"}
)

func (s *server) memberRoutes() []route {
	const org = "/api/organizations/{id}/"
	u, a := org+"users", org+"applications"
	return []route{
		{pattern: "GET " + u, handle: s.listOrganizationUsers, query: keyword(false, "organizationRoleId")},
		{pattern: "POST " + u, handle: s.addMembers(userMembers)},
		{pattern: "PUT " + u, handle: s.replaceMembers(userMembers)},
		{pattern: "DELETE " + u + "/{userId}", handle: s.removeMember(userMembers)},
		{pattern: "POST " + u + "/roles", handle: s.assignRoles(userMembers)},
		{pattern: "GET " + u + "/{userId}/roles", handle: s.listMemberRoles(userMembers), query: optionalPages},
		{pattern: "POST " + u + "/{userId}/roles", handle: s.addMemberRoles(userMembers)},
		{pattern: "PUT " + u + "/{userId}/roles", handle: s.replaceMemberRoles(userMembers)},
		{pattern: "DELETE " + u + "/{userId}/roles/{organizationRoleId}", handle: s.removeMemberRole(userMembers)},
		{pattern: "GET " + u + "/{userId}/scopes", handle: s.memberScopes, query: noQuery},

		{pattern: "GET " + a, handle: s.listOrganizationApplications, query: keyword(false)},
		{pattern: "POST " + a, handle: s.addMembers(appMembers)},
		{pattern: "PUT " + a, handle: s.replaceMembers(appMembers)},
		{pattern: "DELETE " + a + "/{applicationId}", handle: s.removeMember(appMembers)},
		{pattern: "POST " + a + "/roles", handle: s.assignRoles(appMembers)},
		{pattern: "GET " + a + "/{applicationId}/roles", handle: s.listMemberRoles(appMembers), query: optionalPages},
		{pattern: "POST " + a + "/{applicationId}/roles", handle: s.addMemberRoles(appMembers)},
		{pattern: "PUT " + a + "/{applicationId}/roles", handle: s.replaceMemberRoles(appMembers)},
		{pattern: "DELETE " + a + "/{applicationId}/roles/{organizationRoleId}", handle: s.removeMemberRole(appMembers)},
	}
}

// userWithRolesJSON is a member user with its roles in the organization.
type userWithRolesJSON struct {
	logto.User
	OrganizationRoles []organizationRoleRef `json:"organizationRoles"`
}

// applicationWithRolesJSON is a member application with its roles there.
type applicationWithRolesJSON struct {
	applicationJSON
	OrganizationRoles []organizationRoleRef `json:"organizationRoles"`
}

func (s *server) listOrganizationUsers(w http.ResponseWriter, r *http.Request) error {
	match, err := directory.Keyword(r.URL.Query())
	if err != nil {
		return err
	}
	f := store.OrganizationUserFilter{Match: match, RoleID: r.URL.Query().Get("organizationRoleId")}
	if f.RoleID != "" && !directory.ValidID(f.RoleID) {
		return invalid("organizationRoleId is not a valid id")
	}
	orgID := r.PathValue("id")
	var roles map[string][]store.OrganizationRole
	one := func(u store.User) userWithRolesJSON {
		return userWithRolesJSON{User: userOut(u), OrganizationRoles: roleRefs(roles[u.ID])}
	}
	return writePage(w, r, one, func(page store.Page) ([]store.User, int, error) {
		users, total, err := s.dir.OrganizationUsers(r.Context(), orgID, f, page)
		if err == nil {
			roles, err = s.dir.OrganizationMembersRoles(r.Context(), orgID, store.HolderUser, ids(users, func(u store.User) string { return u.ID }))
		}
		return users, total, err
	})
}

func (s *server) listOrganizationApplications(w http.ResponseWriter, r *http.Request) error {
	match, err := directory.Keyword(r.URL.Query())
	if err != nil {
		return err
	}
	orgID := r.PathValue("id")
	var roles map[string][]store.OrganizationRole
	one := func(a store.Application) applicationWithRolesJSON {
		return applicationWithRolesJSON{applicationJSON: applicationOut(a), OrganizationRoles: roleRefs(roles[a.ID])}
	}
	return writePage(w, r, one, func(page store.Page) ([]store.Application, int, error) {
		apps, total, err := s.dir.OrganizationApplications(r.Context(), orgID, match, page)
		if err == nil {
			roles, err = s.dir.OrganizationMembersRoles(r.Context(), orgID, store.HolderApplication, ids(apps, func(a store.Application) string { return a.ID }))
		}
		return apps, total, err
	})
}

func ids[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

// The bodies that name members, and members with roles.
type (
	userMembersBody struct {
		UserIDs []string `json:"userIds"`
	}
	appMembersBody struct {
		ApplicationIDs []string `json:"applicationIds"`
	}
	userRolesBody struct {
		UserIDs []string `json:"userIds"`
		RoleIDs []string `json:"organizationRoleIds"`
	}
	appRolesBody struct {
		ApplicationIDs []string `json:"applicationIds"`
		RoleIDs        []string `json:"organizationRoleIds"`
	}
)

// readMembers reads the body naming members of kind k and, withRoles,
// the roles to give them.
func readMembers(w http.ResponseWriter, r *http.Request, k memberKind, withRoles bool) (members, roles []string, err error) {
	switch {
	case k.h == store.HolderUser && withRoles:
		var b userRolesBody
		err = decode(w, r, &b)
		members, roles = b.UserIDs, b.RoleIDs
	case k.h == store.HolderUser:
		var b userMembersBody
		err = decode(w, r, &b)
		members = b.UserIDs
	case withRoles:
		var b appRolesBody
		err = decode(w, r, &b)
		members, roles = b.ApplicationIDs, b.RoleIDs
	default:
		var b appMembersBody
		err = decode(w, r, &b)
		members = b.ApplicationIDs
	}
	return members, roles, err
}

// addMembers answers Logto's POST …/users ({"userIds"} back) and
// …/applications (no body), 201.
func (s *server) addMembers(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ids, _, err := readMembers(w, r, k, false)
		if err == nil {
			err = s.dir.AddOrganizationMembers(r.Context(), r.PathValue("id"), k.h, ids)
		}
		if err != nil || k.h != store.HolderUser {
			return createdEmpty(w, r, s.recordOrg, err)
		}
		s.recordOrg(r)
		httpjson.Write(w, http.StatusCreated, map[string][]string{"userIds": ids})
		return nil
	}
}

func (s *server) replaceMembers(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ids, _, err := readMembers(w, r, k, false)
		if err == nil {
			err = s.dir.ReplaceOrganizationMembers(r.Context(), r.PathValue("id"), k.h, ids)
		}
		return noContent(w, r, err, s.recordOrg)
	}
}

func (s *server) removeMember(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return noContent(w, r, s.dir.RemoveOrganizationMember(r.Context(), r.PathValue("id"), k.h, r.PathValue(k.param)), s.recordOrg)
	}
}

// assignRoles answers POST …/users/roles and …/applications/roles: every
// role to every member named.
func (s *server) assignRoles(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		ids, roles, err := readMembers(w, r, k, true)
		if err == nil {
			err = s.dir.AssignOrganizationRoles(r.Context(), r.PathValue("id"), k.h, ids, roles)
		}
		return createdEmpty(w, r, s.recordOrg, err)
	}
}

func organizationRoleOut(role store.OrganizationRole) organizationRoleJSON {
	return logto.OrganizationRoleOf(role)
}

func (s *server) listMemberRoles(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return writePage(w, r, organizationRoleOut, func(page store.Page) ([]store.OrganizationRole, int, error) {
			return s.dir.MemberRoles(r.Context(), r.PathValue("id"), k.h, r.PathValue(k.param), page)
		})
	}
}

// memberRolesBody names roles by id or, for users, by name.
type memberRolesBody struct {
	IDs   []string `json:"organizationRoleIds"`
	Names []string `json:"organizationRoleNames"`
}

func readMemberRoles(w http.ResponseWriter, r *http.Request, k memberKind) (directory.RoleNames, error) {
	var body memberRolesBody
	if err := decode(w, r, &body); err != nil {
		return directory.RoleNames{}, err
	}
	if k.h == store.HolderApplication && body.Names != nil {
		return directory.RoleNames{}, invalid("unknown field organizationRoleNames")
	}
	return directory.RoleNames{IDs: body.IDs, Names: body.Names}, nil
}

// addMemberRoles answers 201: for a user with the ids of the roles given
// ({"organizationRoleIds"}), for an application without a body.
func (s *server) addMemberRoles(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		in, err := readMemberRoles(w, r, k)
		var ids []string
		if err == nil {
			ids, err = s.dir.AddMemberRoles(r.Context(), r.PathValue("id"), k.h, r.PathValue(k.param), in)
		}
		if err != nil || k.h != store.HolderUser {
			return createdEmpty(w, r, s.recordOrg, err)
		}
		s.recordOrg(r)
		httpjson.Write(w, http.StatusCreated, map[string][]string{"organizationRoleIds": ids})
		return nil
	}
}

func (s *server) replaceMemberRoles(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		in, err := readMemberRoles(w, r, k)
		if err == nil {
			err = s.dir.ReplaceMemberRoles(r.Context(), r.PathValue("id"), k.h, r.PathValue(k.param), in)
		}
		return noContent(w, r, err, s.recordOrg)
	}
}

func (s *server) removeMemberRole(k memberKind) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return noContent(w, r, s.dir.RemoveMemberRole(r.Context(), r.PathValue("id"), k.h, r.PathValue(k.param), r.PathValue("organizationRoleId")), s.recordOrg)
	}
}

// memberScopes answers the organization scopes a user's roles there grant.
func (s *server) memberScopes(w http.ResponseWriter, r *http.Request) error {
	scopes, err := s.dir.MemberScopes(r.Context(), r.PathValue("id"), store.HolderUser, r.PathValue("userId"))
	return reply(w, func(sc []store.OrganizationScope) []organizationScopeJSON { return each(sc, organizationScopeOut) })(scopes, err)
}
