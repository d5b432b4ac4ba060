package management

import (
	_ "embed"
	"net/http"
	"strconv"
)

// openAPI describes every route of this package (a test keeps the two in
// step). Like Logto's, it is served without authentication.
//
//go:embed openapi.json
var openAPI []byte

// openAPILists documents the query parameters of the list routes: their
// pagination, Logto's search and their filters (a test holds them to the
// routes' query rules). It is merged into openAPI at start-up.
//
//go:embed openapi_lists.json
var openAPILists []byte

func init() { openAPI = mergeOpenAPI(openAPI, openAPILists) }

func (s *server) swagger(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(openAPI)))
	h.Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(openAPI)
	}
	return nil
}
