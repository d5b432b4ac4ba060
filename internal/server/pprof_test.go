package server_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/monban/monban/internal/server"
)

// The profiler is off by default; when set it answers on the metrics
// listener and never on the main one.
func TestProfilerOnMetricsListenerOnly(t *testing.T) {
	for _, on := range []bool{false, true} {
		t.Run(map[bool]string{false: "default", true: "set"}[on], func(t *testing.T) {
			mln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			metricsURL := "http://" + mln.Addr().String()
			ts := &testServer{t: t, dbPath: filepath.Join(t.TempDir(), "data", "monban.db"), port: newPort(t), Logs: &syncBuffer{}}
			ts.edit = func(c *server.Config) {
				c.MetricsAddr, c.MetricsListener, c.Pprof = mln.Addr().String(), mln, on
			}
			ts.start()
			t.Cleanup(ts.stop)
			get := func(u string) (int, string) {
				t.Helper()
				resp, err := ts.client.Get(u)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				b, _ := io.ReadAll(resp.Body)
				return resp.StatusCode, string(b)
			}
			if code, _ := get(metricsURL + "/metrics"); code != http.StatusOK {
				t.Fatalf("metrics: %d", code)
			}
			for _, path := range []string{"/debug/pprof/", "/debug/pprof/cmdline", "/debug/pprof/heap?debug=1", "/debug/pprof/profile?seconds=1"} {
				if code, _ := get(ts.URL + path); code != http.StatusNotFound {
					t.Errorf("main listener %s: %d, want 404", path, code)
				}
				code, body := get(metricsURL + path)
				switch {
				case !on && code != http.StatusNotFound:
					t.Errorf("metrics listener %s without the setting: %d, want 404", path, code)
				case on && code != http.StatusOK:
					t.Errorf("metrics listener %s: %d %s", path, code, body)
				}
				if on && path == "/debug/pprof/" && !strings.Contains(body, "goroutine") {
					t.Errorf("the index lists no profile: %s", body)
				}
			}
		})
	}
}

// The profiler without a metrics listener is refused rather than put on
// the main one.
func TestProfilerNeedsMetricsAddr(t *testing.T) {
	cfg := server.DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Endpoint = "http://localhost:3001"
	cfg.DatabaseURL = "sqlite://" + filepath.Join(t.TempDir(), "monban.db")
	cfg.ManagementIndicator = "http://localhost:3001/api"
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg.Pprof = true
	srv, err := server.New(context.Background(), cfg)
	if err == nil {
		srv.Close()
		t.Fatal("accepted")
	}
	if !strings.Contains(err.Error(), "metrics") {
		t.Errorf("error: %v", err)
	}
}
