package claims

import (
	"context"
	"testing"
	"time"
)

const trivialScript = `const getCustomJwtClaims = async () => { return { tier: 'gold' }; };`

const contextScript = `const getCustomJwtClaims = async ({ token, context }) => {
  const app = context.application || {};
  return { app_name: app.name, app_type: app.type, roles: (context.user && context.user.roles || []).map((r) => r.name) };
};`

var benchInput = Input{
	Token: map[string]any{"jti": "abc", "aud": "https://api.example.com", "scope": "read write", "clientId": "app1", "accountId": "user1", "kind": "AccessToken"},
	Context: map[string]any{
		"application": map[string]any{"id": "app1", "name": "Console", "type": "SPA"},
		"user":        map[string]any{"id": "user1", "username": "alice", "roles": []any{map[string]any{"id": "r1", "name": "admin"}, map[string]any{"id": "r2", "name": "viewer"}}},
	},
	EnvironmentVariables: map[string]string{"API_KEY": "k"},
}

// benchOptions allow a slow first run, so that the benchmarks also work
// under an instruction counter such as valgrind --tool=callgrind.
var benchOptions = Options{Limits: Limits{Timeout: time.Minute}}

func benchRun(b *testing.B, script string, fresh bool) {
	r := NewRunner(benchOptions)
	defer r.Close()
	ctx := context.Background()
	if _, err := r.Run(ctx, "bench", script, benchInput); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if fresh {
			r.mu.Lock()
			stale := r.kinds["bench"].pool.idle
			r.kinds["bench"].pool.idle = nil
			r.mu.Unlock()
			closeVMs(stale)
		}
		if _, err := r.Run(ctx, "bench", script, benchInput); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTrivialPooled: a constant claim on a ready VM.
func BenchmarkTrivialPooled(b *testing.B) { benchRun(b, trivialScript, false) }

// BenchmarkContextPooled: reads context.application and the user's roles.
func BenchmarkContextPooled(b *testing.B) { benchRun(b, contextScript, false) }

// BenchmarkTrivialFreshVM: a VM prepared (and closed) for every run, the
// cost after a failed run or a script change.
func BenchmarkTrivialFreshVM(b *testing.B) { benchRun(b, trivialScript, true) }

// BenchmarkTrivialPooledParallel: throughput with every core running scripts.
func BenchmarkTrivialPooledParallel(b *testing.B) {
	r := NewRunner(benchOptions)
	defer r.Close()
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := r.Run(ctx, "bench", trivialScript, benchInput); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkContextMemoized: the context script at issuance, answered from
// its first run's result (the input is the same each time).
func BenchmarkContextMemoized(b *testing.B) {
	r := NewRunner(benchOptions)
	defer r.Close()
	ctx := context.Background()
	in := benchInput
	in.Memoize = true
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(ctx, "bench", contextScript, in); err != nil {
			b.Fatal(err)
		}
	}
	if r.Stats().Kinds["bench"].Reused == 0 {
		b.Fatal("no run was reused")
	}
}

// BenchmarkJTIPooled: a script that reads the jti, as at issuance.
func BenchmarkJTIPooled(b *testing.B) {
	in := benchInput
	in.Token = map[string]any{"jti": "", "aud": "https://api.example.com", "scope": "read write", "clientId": "app1", "kind": "ClientCredentials"}
	in.JTI = "jti-0123456789abcdef"
	in.Memoize = true
	r := NewRunner(benchOptions)
	defer r.Close()
	ctx := context.Background()
	src := `const getCustomJwtClaims = async ({ token }) => ({ tier: 'gold', ref: token.jti.slice(0, 8) });`
	b.ReportAllocs()
	for b.Loop() {
		if _, err := r.Run(ctx, "bench", src, in); err != nil {
			b.Fatal(err)
		}
	}
}
