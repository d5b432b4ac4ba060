package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/monban/monban/internal/server"
)

const healthcheckUsage = `Usage: monban healthcheck [-addr host:port] [-timeout 2s]

Asks the server listening on -addr (MONBAN_ADDR, as "monban serve" reads
it) for /healthz, and exits 0 if it answers 200, else 1. Made for container
health checks on images without a shell or curl (the Dockerfile's
HEALTHCHECK). An unspecified host (0.0.0.0, ::) is asked on loopback.

`

func healthcheck(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("monban healthcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, healthcheckUsage)
		fs.PrintDefaults()
	}
	addrDefault := server.DefaultAddr
	if v := getenv("MONBAN_ADDR"); v != "" {
		addrDefault = v
	}
	addr := fs.String("addr", addrDefault, "the server's listen address (MONBAN_ADDR)")
	timeout := durationFlag(fs, "timeout", 2*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "monban healthcheck: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	target, err := healthURL(*addr)
	if err != nil {
		fmt.Fprintln(stderr, "monban healthcheck:", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		fmt.Fprintln(stderr, "monban healthcheck:", err)
		return 2
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		fmt.Fprintf(stderr, "monban healthcheck: %s: %v\n", target, err)
		return 1
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 4096))
	if res.StatusCode != http.StatusOK {
		fmt.Fprintf(stderr, "monban healthcheck: %s answered %s\n", target, res.Status)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", target)
	return 0
}

// healthURL is the /healthz URL of a server listening on addr, asked on
// loopback when addr's host is unspecified.
func healthURL(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "", fmt.Errorf("the address %q is not host:port", addr)
	}
	if ip, err := netip.ParseAddr(host); host == "" || (err == nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
		if err == nil && ip.Is6() {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz", nil
}
