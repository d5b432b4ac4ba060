package management

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// writeError answers in Logto's shape: a code and a message, nothing else.
func TestWriteError(t *testing.T) {
	w := httptest.NewRecorder()
	writeError(w, http.StatusConflict, "entity.exists", "it exists")
	got, want := w.Body.String(), `{"code":"entity.exists","message":"it exists"}`+"\n"
	if w.Code != 409 || got != want || w.Header().Get("Content-Type") != "application/json; charset=utf-8" {
		t.Fatalf("%d %v %s", w.Code, w.Header(), got)
	}
}
