package apiserve

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
)

func TestServeAnswersAPanic(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/api/x", nil)
	Serve(w, r, log, "test", func(w http.ResponseWriter) { w.WriteHeader(599) }, func() { panic("boom") })
	if w.Code != 599 || w.Header().Get("Cache-Control") != "no-store" {
		t.Fatalf("status %d, Cache-Control %q", w.Code, w.Header().Get("Cache-Control"))
	}

	defer func() {
		if v := recover(); v != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler to go on", v)
		}
	}()
	Serve(httptest.NewRecorder(), r, log, "test", func(http.ResponseWriter) { t.Error("answered an aborted request") },
		func() { panic(http.ErrAbortHandler) })
}

func TestAllowed(t *testing.T) {
	mux := http.NewServeMux()
	ok := func(http.ResponseWriter, *http.Request) {}
	mux.HandleFunc("GET /api/things/{id}", ok)
	mux.HandleFunc("DELETE /api/things/{id}", ok)
	methods := []string{"GET", "POST", "PATCH", "DELETE"}
	if got := Allowed(mux, httptest.NewRequest("PUT", "/api/things/1", nil), methods); !slices.Equal(got, []string{"GET", "DELETE"}) {
		t.Errorf("Allowed = %v", got)
	}
	if got := Allowed(mux, httptest.NewRequest("GET", "/api/nothing", nil), methods); got != nil {
		t.Errorf("Allowed of an unknown path = %v", got)
	}
}
