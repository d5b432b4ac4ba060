package management

import (
	"context"
	"net/http"
	"net/url"

	"github.com/monban/monban/internal/store"
)

// The handlers that only adapt one directory call to HTTP: the path's ids
// in, the status and JSON shape out.

// read answers a read of the row the path's id names.
func read[T, J any](one func(T) J, get func(context.Context, string) (T, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return reply(w, one)(get(r.Context(), r.PathValue("id")))
	}
}

// listFiltered answers a listing narrowed by its query: what parse reads
// from it, then one page of what list gives for that.
func listFiltered[F, T, J any](parse func(url.Values) (F, error), one func(T) J,
	list func(context.Context, F, store.Page) ([]T, int, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		f, err := parse(r.URL.Query())
		if err != nil {
			return err
		}
		return writePage(w, r, one, func(page store.Page) ([]T, int, error) { return list(r.Context(), f, page) })
	}
}

// listFilteredOf is listFiltered for what belongs to the row the path's id
// names.
func listFilteredOf[F, T, J any](parse func(url.Values) (F, error), one func(T) J,
	list func(context.Context, string, F, store.Page) ([]T, int, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return listFiltered(parse, one, func(ctx context.Context, f F, page store.Page) ([]T, int, error) {
			return list(ctx, r.PathValue("id"), f, page)
		})(w, r)
	}
}

// remove answers the deletion of the row the path's id names.
func remove(del func(context.Context, string) error, after func(*http.Request)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return noContent(w, r, del(r.Context(), r.PathValue("id")), after)
	}
}

// unlink answers the deletion of what the path parameter param names from
// the row the path's id names.
func unlink(del func(context.Context, string, string) error, param string, after func(*http.Request)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		return noContent(w, r, del(r.Context(), r.PathValue("id"), r.PathValue(param)), after)
	}
}

// created returns what answers a creation: its error, or 201 with the
// JSON one makes of what was created, once the change is recorded.
func created[T, J any](s *server, w http.ResponseWriter, r *http.Request, one func(T) J) func(T, error) error {
	return func(v T, err error) error {
		if err != nil {
			return err
		}
		return s.created(w, r, one(v))
	}
}

// createdOK is created for the routes Logto answers 200 rather than 201
// (applications, roles, users).
func createdOK[T, J any](s *server, w http.ResponseWriter, r *http.Request, one func(T) J) func(T, error) error {
	return func(v T, err error) error {
		if err != nil {
			return err
		}
		return s.createdWith(w, r, http.StatusOK, one(v))
	}
}

// flag reads a body of type B whose one field, a boolean, must be given:
// missing is the message when it is not.
func flag[B interface{ flag() *bool }](w http.ResponseWriter, r *http.Request, missing string) (bool, error) {
	var body B
	if err := decode(w, r, &body); err != nil {
		return false, err
	}
	if v := body.flag(); v != nil {
		return *v, nil
	}
	return false, invalid(missing)
}

// merge answers a PATCH that merges the keys of a body of type B, whose
// one field is a JSON object, into the row the path's id names: 200 with
// what merge gives back. missing is the message when the object is not
// given.
func merge[B interface{ object() *map[string]V }, V, R any](missing string,
	merge func(context.Context, string, map[string]V) (R, error), after func(*http.Request)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body B
		if err := decode(w, r, &body); err != nil {
			return err
		}
		v := body.object()
		if v == nil || *v == nil {
			return invalid(missing)
		}
		out, err := merge(r.Context(), r.PathValue("id"), *v)
		return updated(w, r, after, out, true, err)
	}
}

// The bodies that set one flag.
type (
	isDefaultBody struct {
		IsDefault *bool `json:"isDefault"`
	}
	isSuspendedBody struct {
		IsSuspended *bool `json:"isSuspended"`
	}
)

func (b isDefaultBody) flag() *bool   { return b.IsDefault }
func (b isSuspendedBody) flag() *bool { return b.IsSuspended }

// The bodies that name the rows to link.
type (
	roleIDs struct {
		RoleIDs []string `json:"roleIds"`
	}
	applicationIDs struct {
		ApplicationIDs []string `json:"applicationIds"`
	}
	userIDs struct {
		UserIDs []string `json:"userIds"`
	}
)

// link answers the linking of the rows a body of type B names (ids reads
// them) to the row the path's id names: 201 without a body, as Logto
// answers.
func link[B any](ids func(B) []string, give func(context.Context, string, []string) error, after func(*http.Request)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		var body B
		if err := decode(w, r, &body); err != nil {
			return err
		}
		return createdEmpty(w, r, after, give(r.Context(), r.PathValue("id"), ids(body)))
	}
}

func (b applicationIDs) ids() []string { return b.ApplicationIDs }
func (b userIDs) ids() []string        { return b.UserIDs }
