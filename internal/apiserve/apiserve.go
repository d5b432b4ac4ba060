// Package apiserve is the frame both Management API faces run their
// handlers in: answers that are never cached, a panic answered rather
// than a dropped connection, and a wrong method told apart from an
// unknown path. What each answer says is the face's.
package apiserve

import (
	"log/slog"
	"net/http"
)

// Serve runs h for r with Cache-Control: no-store. A panic in h (other
// than http.ErrAbortHandler, which goes on) is logged as what's and
// answered by internalError.
func Serve(w http.ResponseWriter, r *http.Request, log *slog.Logger, what string, internalError func(http.ResponseWriter), h func()) {
	w.Header().Set("Cache-Control", "no-store")
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			log.Error(what+" handler panicked", "method", r.Method, "path", r.URL.Path, "panic", v)
			internalError(w)
		}
	}()
	h()
}

// Allowed lists which of methods mux has a route for at r's path, for
// the Allow header of a 405; none: the path is unknown (404).
func Allowed(mux *http.ServeMux, r *http.Request, methods []string) []string {
	var allow []string
	for _, m := range methods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" {
			allow = append(allow, m)
		}
	}
	return allow
}
