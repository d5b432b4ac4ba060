package metrics

import (
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestExposition(t *testing.T) {
	m := New("client_credentials", "password")
	m.ObserveHTTP("POST /oidc/token", "POST", 200, 3*time.Millisecond)
	m.ObserveHTTP("", "BREW", 404, time.Millisecond)
	m.ObserveToken("client_credentials", "")
	m.ObserveToken("client_credentials", "invalid_client")
	m.ObserveToken("made-up-grant", "unsupported_grant_type")
	m.CounterFunc("monban_test_total", "A test counter.", func() float64 { return 7 })
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`monban_http_requests_total{code="200",method="POST",route="POST /oidc/token"} 1`,
		`monban_http_requests_total{code="404",method="other",route="unmatched"} 1`,
		`monban_http_request_duration_seconds_bucket{route="POST /oidc/token",le="0.005"} 1`,
		`monban_token_requests_total{grant="client_credentials",result="ok"} 1`,
		`monban_token_requests_total{grant="client_credentials",result="invalid_client"} 1`,
		`monban_token_requests_total{grant="other",result="unsupported_grant_type"} 1`,
		`monban_test_total 7`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %s", want)
		}
	}
}

func BenchmarkObserveHTTP(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.ObserveHTTP("POST /oidc/token", "POST", 200, time.Millisecond)
		}
	})
}
