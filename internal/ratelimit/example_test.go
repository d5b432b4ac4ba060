package ratelimit_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"

	"github.com/monban/monban/internal/ratelimit"
)

func Example() {
	proxies, _ := ratelimit.ParsePrefixes("10.0.0.0/8")
	clientIP := ratelimit.ClientIP{TrustedProxies: proxies}
	limiter := ratelimit.NewLocal() // or NewRedisURL, falling back to a Local
	rule := ratelimit.Rule{Name: "token", Rate: 1, Burst: 2}

	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := limiter.Take(r.Context(), rule, ratelimit.AddrKey(clientIP.From(r)), 1)
		if !d.Allowed {
			w.Header().Set("Retry-After", strconv.Itoa(d.RetryAfterSeconds()))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	for range 3 {
		r := httptest.NewRequest("POST", "/oidc/token", nil)
		r.RemoteAddr = "10.0.0.2:4321"
		r.Header.Set("X-Forwarded-For", "203.0.113.5")
		w := httptest.NewRecorder()
		handler.ServeHTTP(w, r)
		fmt.Printf("%d Retry-After: %q\n", w.Code, w.Header().Get("Retry-After"))
	}
	fmt.Println(limiter.Rejections())
	// Output:
	// 200 Retry-After: ""
	// 200 Retry-After: ""
	// 429 Retry-After: "1"
	// map[token:1]
}
