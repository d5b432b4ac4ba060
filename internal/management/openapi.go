package management

import (
	_ "embed"
	"net/http"
	"strconv"
	"sync"
)

// openAPIBase is the document of every route of this package, before the
// fragments of other files are laid over it.
//
//go:embed openapi.json
var openAPIBase []byte

// openAPIParts are the fragments merged over openAPIBase, in the order
// their files' init functions add them.
var openAPIParts [][]byte

// addOpenAPI adds a fragment to the document; call it from init.
func addOpenAPI(fragment []byte) { openAPIParts = append(openAPIParts, fragment) }

// openAPI describes every route of this package (a test keeps the two in
// step). Like Logto's, it is served without authentication. It is merged
// the first time it is asked for, not at start-up: decoding and encoding
// the documents took most of the process's initialization time.
var openAPI = sync.OnceValue(func() []byte {
	doc := openAPIBase
	for _, f := range openAPIParts {
		doc = mergeOpenAPI(doc, f)
	}
	return doc
})

// openAPILists documents the query parameters of the list routes: their
// pagination, Logto's search and their filters (a test holds them to the
// routes' query rules). It is merged into openAPI.
//
//go:embed openapi_lists.json
var openAPILists []byte

func init() { addOpenAPI(openAPILists) }

func (s *server) swagger(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	doc := openAPI()
	h.Set("Content-Length", strconv.Itoa(len(doc)))
	h.Set("Cache-Control", "public, max-age=3600")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(doc)
	}
	return nil
}
