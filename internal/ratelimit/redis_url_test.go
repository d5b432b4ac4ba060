package ratelimit

import (
	"strings"
	"testing"
)

// A malformed Redis URL is refused with a plain message that never repeats
// the URL (it may hold a password).
func TestRedisURLRefusedPlainly(t *testing.T) {
	for _, bad := range []string{"banana", "redis://user:hunter2@host:port/0", "http://host:6379"} {
		_, err := NewRedisURL(bad, nil, nil)
		if err == nil {
			t.Fatalf("%q accepted", bad)
		}
		if m := err.Error(); strings.Contains(m, "hunter2") || strings.Contains(m, "ratelimit:") || !strings.Contains(m, "redis://127.0.0.1:6379/0") {
			t.Errorf("%q: %v", bad, err)
		}
	}
}
