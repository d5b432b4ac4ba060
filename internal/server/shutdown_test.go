package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/monban/monban/internal/server"
)

// The audit log is flushed on shutdown with a deadline of its own: a
// request that never finishes uses up the drain deadline, and what the log
// buffers is still written before Serve returns.
func TestShutdownFlushesAuditAfterSlowDrain(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ln.Addr().String()
	logs := &syncBuffer{}
	srv, err := server.New(context.Background(), server.Config{
		Listener: ln, Endpoint: base, DatabaseURL: "sqlite://" + filepath.Join(t.TempDir(), "monban.db"),
		ManagementIndicator: base + "/api", BootstrapAppID: bootID, BootstrapAppSecret: bootSecret,
		Logger: slog.New(slog.NewTextHandler(logs, nil)), Stderr: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	server.SetShutdownTimeouts(srv, 200*time.Millisecond, time.Minute)
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx) }()

	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	form := url.Values{"grant_type": {"client_credentials"}, "resource": {base + "/api"}, "scope": {"all"}}
	req, _ := http.NewRequest("POST", base+"/oidc/token", strings.NewReader(form.Encode()))
	req.SetBasicAuth(bootID, bootSecret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := client.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("token: %v %v", res, err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	// A Management API change: its entry waits in the buffer too.
	req, _ = http.NewRequest("POST", base+"/api/resources", strings.NewReader(`{"name":"Shop","indicator":"https://shop.example"}`))
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	if res, err = client.Do(req); err != nil || res.StatusCode != 201 {
		t.Fatalf("create resource: %v %v", res, err)
	}
	res.Body.Close()
	client.CloseIdleConnections()

	// A request whose body never comes keeps its connection busy. The
	// server answers "100 Continue" once the handler reads the body, so
	// the request is in flight when shutdown starts.
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /oidc/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\nExpect: 100-continue\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "HTTP/1.1 100") {
		t.Fatalf("no 100 Continue: %q %v", line, err)
	}
	cancel()
	err = <-served
	if err == nil {
		t.Error("Serve reported a complete drain although a request never finished")
	}
	if n := server.AuditWritten(srv); n < 2 {
		t.Errorf("%d audit entries written by the time Serve returned", n)
	}
	if strings.Contains(logs.String(), "flushing the audit log on shutdown did not finish") {
		t.Errorf("the flush was cut short:\n%s", logs.String())
	}
}
