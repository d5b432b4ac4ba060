package console

import (
	"io/fs"
	"net/http"
)

// HandlerFS is Handler over other files than the embedded build (the e2e
// harness serves a fresh build from disk with it).
func HandlerFS(files fs.FS, cfg Config) (http.Handler, error) { return newHandler(files, cfg) }
