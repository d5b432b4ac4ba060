package verifycode_test

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkSendVerify is one code's life on SQLite: a send (the throttle's
// record and count, the code's row, the queueing) and its verification.
func BenchmarkSendVerify(b *testing.B) {
	f := newFixture(b, noThrottle)
	ctx := context.Background()
	b.ResetTimer()
	for i := range b.N {
		req := signIn(fmt.Sprintf("user%d@example.com", i))
		if err := f.svc.Send(ctx, req); err != nil {
			b.Fatal(err)
		}
		f.box.mu.Lock()
		code := f.box.got[len(f.box.got)-1].Code
		f.box.mu.Unlock()
		if err := f.svc.Verify(ctx, req, code); err != nil {
			b.Fatal(err)
		}
	}
}
