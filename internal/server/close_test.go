package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
	"github.com/monban/monban/internal/store/postgres"
	"github.com/monban/monban/internal/store/storetest"
)

// backgroundLoops are the functions of the loops Serve starts.
var backgroundLoops = []string{
	"catalog.(*Cache).Refresh",
	"revocation.(*List).Run",
	"revocation.PruneExpired",
	"postgres.(*ChangeFeed).Subscribe",
}

// running names the background loops whose goroutines are alive.
func running() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var out []string
	for _, f := range backgroundLoops {
		if strings.Contains(string(buf), f) {
			out = append(out, f)
		}
	}
	return out
}

// Close returns only once the loops Serve started (catalog refresh,
// revocation list reload, pruning, the change feed) have stopped, so none
// of them uses the store after it is closed.
func TestCloseWaitsForBackgroundLoops(t *testing.T) {
	dbURL := postgres.NewTestDatabase(t)
	if left := running(); len(left) > 0 {
		t.Skipf("loops of another server are still running: %v", left)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	srv, err := server.New(context.Background(), server.Config{
		Listener: ln, Endpoint: base, DatabaseURL: dbURL, ManagementIndicator: base + "/api",
		BootstrapAppID: bootID, BootstrapAppSecret: bootSecret, SecretKey: storetest.NewKey(t),
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Stderr: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()
	within(t, 10*time.Second, "the loops to start", func() bool { return len(running()) == len(backgroundLoops) })
	cancel()
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	if left := running(); len(left) > 0 {
		t.Errorf("still running after Close: %v", left)
	}
}
