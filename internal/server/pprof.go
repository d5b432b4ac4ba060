package server

import (
	"net/http"
	"net/http/pprof"
)

// handleProfiler serves Go's profiler under /debug/pprof/ on mux (the
// metrics listener's). The handlers are registered by hand: importing
// net/http/pprof also registers them on http.DefaultServeMux, which no
// listener of Monban serves.
func handleProfiler(mux *http.ServeMux) {
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("POST /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
}
