package protect

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

// The benchmarks compare the cost of letting one request through the
// middleware with the cost of the ES256 signature check alone, done with the
// same library (go-jose) and with crypto/ecdsa. Run them on one core:
//
//	go test -run '^$' -bench . -cpu 1 ./protect

// benchToken is a token shaped like Monban's, from a test issuer.
func benchToken(b *testing.B) (*signingKey, *issuer, string) {
	k := newKey(b, "bench-key")
	is := newIssuer(b, k)
	now := time.Now()
	tok := k.sign(b, map[string]any{"typ": "at+jwt"}, map[string]any{
		"jti": "Cq3bjZ1ygB2p4ZT1n8eUXQ", "sub": "4n7s0r2ws8fm0r0rq0b9l", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"scope": "read:products write:products", "client_id": "4n7s0r2ws8fm0r0rq0b9l", "iss": testIssuer, "aud": "https://shopping.api",
	})
	return k, is, tok
}

// discard is a ResponseWriter that keeps nothing.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}

func benchMiddleware(b *testing.B, cacheSize int) {
	_, is, tok := benchToken(b)
	v := is.verifier(b, func(c *Config) { c.CacheSize = cacheSize })
	if err := v.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	ok := 0
	h := v.RequireScopes("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ClaimsFrom(r.Context()) != nil {
			ok++
		}
	}))
	req := httptest.NewRequest("GET", "/products", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		h.ServeHTTP(w, req)
	}
	if ok != b.N {
		b.Fatalf("%d of %d requests let through", ok, b.N)
	}
}

// BenchmarkMiddlewareNoCache: every request verifies the signature and the
// claims.
func BenchmarkMiddlewareNoCache(b *testing.B) { benchMiddleware(b, -1) }

// BenchmarkMiddlewareCache: the same token again, answered by the cache.
func BenchmarkMiddlewareCache(b *testing.B) { benchMiddleware(b, DefaultCacheSize) }

// BenchmarkRawES256GoJose is the signature check alone with go-jose: parse
// the compact JWS with the algorithm pinned, verify with the public key.
func BenchmarkRawES256GoJose(b *testing.B) {
	k, _, tok := benchToken(b)
	pub := &k.priv.(*ecdsa.PrivateKey).PublicKey
	algs := []jose.SignatureAlgorithm{jose.ES256}
	b.ReportAllocs()
	for b.Loop() {
		jws, err := jose.ParseSignedCompact(tok, algs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(pub); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawES256Stdlib is the bare ECDSA check with crypto/ecdsa: hash
// the signing input, verify r and s. The floor under any JWT library.
func BenchmarkRawES256Stdlib(b *testing.B) {
	k, _, tok := benchToken(b)
	pub := &k.priv.(*ecdsa.PrivateKey).PublicKey
	dot := strings.LastIndexByte(tok, '.')
	input := []byte(tok[:dot])
	sig := decodeB64(b, tok[dot+1:])
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(input)
		r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
		if !ecdsa.Verify(pub, d[:], r, s) {
			b.Fatal("bad signature")
		}
	}
}

func decodeB64(b *testing.B, s string) []byte {
	out, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		b.Fatal(err)
	}
	return out
}

// BenchmarkPaired runs the middleware (cache off) and the bare signature
// checks in turn within each iteration, so that both see the same machine
// load, and reports their ratio: the middleware's throughput as a share of
// each bare check's. On a busy machine this is steadier than comparing
// separate benchmarks.
func BenchmarkPaired(b *testing.B) {
	k, is, tok := benchToken(b)
	v := is.verifier(b, func(c *Config) { c.CacheSize = NoCache })
	if err := v.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	h := v.RequireScopes("read:products")(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	req := httptest.NewRequest("GET", "/products", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	w := &discard{h: http.Header{}}
	pub := &k.priv.(*ecdsa.PrivateKey).PublicKey
	algs := []jose.SignatureAlgorithm{jose.ES256}
	dot := strings.LastIndexByte(tok, '.')
	sig := decodeB64(b, tok[dot+1:])

	var mw, gojose, stdlib time.Duration
	for b.Loop() {
		t0 := time.Now()
		h.ServeHTTP(w, req)
		t1 := time.Now()
		jws, err := jose.ParseSignedCompact(tok, algs)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := jws.Verify(pub); err != nil {
			b.Fatal(err)
		}
		t2 := time.Now()
		d := sha256.Sum256([]byte(tok[:dot]))
		if !ecdsa.Verify(pub, d[:], new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])) {
			b.Fatal("bad signature")
		}
		t3 := time.Now()
		mw += t1.Sub(t0)
		gojose += t2.Sub(t1)
		stdlib += t3.Sub(t2)
	}
	n := float64(b.N)
	b.ReportMetric(float64(mw.Nanoseconds())/n, "middleware-ns/op")
	b.ReportMetric(float64(gojose.Nanoseconds())/n, "gojose-ns/op")
	b.ReportMetric(float64(stdlib.Nanoseconds())/n, "stdlib-ns/op")
	b.ReportMetric(100*float64(gojose)/float64(mw), "%-of-gojose")
	b.ReportMetric(100*float64(stdlib)/float64(mw), "%-of-stdlib")
}

// BenchmarkMiddlewareFirstSight: the cache on (its default size), and every
// request brings a token it has not seen (more distinct tokens than the
// cache holds, in turn), so each one is verified and then cached, evicting
// another: the cost of a cache miss, as opposed to the cache off.
func BenchmarkMiddlewareFirstSight(b *testing.B) {
	k, is, _ := benchToken(b)
	v := is.verifier(b, func(c *Config) { c.CacheSize = DefaultCacheSize })
	if err := v.Refresh(context.Background()); err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	reqs := make([]*http.Request, 2*DefaultCacheSize)
	for i := range reqs {
		tok := k.sign(b, map[string]any{"typ": "at+jwt"}, map[string]any{
			"jti": fmt.Sprintf("jti-%06d", i), "sub": "4n7s0r2ws8fm0r0rq0b9l", "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
			"scope": "read:products write:products", "client_id": "4n7s0r2ws8fm0r0rq0b9l", "iss": testIssuer, "aud": "https://shopping.api",
		})
		reqs[i] = httptest.NewRequest("GET", "/products", nil)
		reqs[i].Header.Set("Authorization", "Bearer "+tok)
	}
	ok := 0
	h := v.RequireScopes("read:products")(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ClaimsFrom(r.Context()) != nil {
			ok++
		}
	}))
	w := &discard{h: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		h.ServeHTTP(w, reqs[i%len(reqs)])
		i++
	}
	if ok != b.N {
		b.Fatalf("%d of %d requests let through", ok, b.N)
	}
}
