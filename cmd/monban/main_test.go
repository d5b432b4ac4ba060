package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestCLI(t *testing.T) {
	noenv := func(string) string { return "" }
	cases := []struct {
		args []string
		env  map[string]string
		code int
		out  string
	}{
		{nil, nil, 2, "Usage"},
		{[]string{"version"}, nil, 0, "monban"},
		{[]string{"help"}, nil, 0, "Usage"},
		{[]string{"launch"}, nil, 2, `unknown command "launch"`},
		{[]string{"serve", "-no-such-flag"}, nil, 2, "flag provided but not defined"},
		{[]string{"serve", "extra"}, nil, 2, "unexpected argument"},
		{[]string{"serve", "-log-level", "loud"}, nil, 2, "unknown log level"},
		{[]string{"serve", "-log-format", "xml"}, nil, 2, "unknown log format"},
		{[]string{"serve"}, map[string]string{"MONBAN_LOG_FORMAT": "xml"}, 2, "unknown log format"},
		{[]string{"serve", "-h"}, nil, 0, "MONBAN_DATABASE_URL"},
		{[]string{"serve", "-rate-limit-token-client", "fast"}, nil, 2, "RATE:BURST"},
		{[]string{"serve", "-trusted-proxies", "10.0.0.0/99"}, nil, 2, "trusted proxies"},
		{[]string{"serve", "-script-fetch-allow", "api.internal, 10.0.0.0/33"}, nil, 2, "not a network"},
		{[]string{"serve", "-database-url", "mysql://u:hunter2@h/db"}, nil, 1, "unsupported database URL"},
		{[]string{"serve", "-admin-username", "root"}, nil, 1, "set both MONBAN_ADMIN_USERNAME and MONBAN_ADMIN_PASSWORD"},
		{[]string{"serve"}, map[string]string{"MONBAN_ADMIN_PASSWORD": "hunter2-hunter2"}, 1, "set both"},
		{[]string{"serve", "-admin-username", "root", "-admin-password", "hunter2"}, nil, 1, "MONBAN_ADMIN_PASSWORD: password must be 8 to 256"},
		{[]string{"serve", "-admin-username", "root", "-admin-password", "hunter2"}, map[string]string{"MONBAN_ADMIN_USERNAME": "x y", "MONBAN_ADMIN_PASSWORD": "hunter2-hunter2"}, 1, "8 to 256"}, // flags win
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			getenv := noenv
			if c.env != nil {
				getenv = func(k string) string { return c.env[k] }
			}
			code := run(c.args, getenv, &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, c.code, stderr.String())
			}
			if all := stdout.String() + stderr.String(); !strings.Contains(all, c.out) {
				t.Errorf("output lacks %q:\n%s", c.out, all)
			}
			if strings.Contains(stderr.String(), "hunter2") {
				t.Error("a password reached the output")
			}
		})
	}
}

func TestParseFetchAllow(t *testing.T) {
	p, err := parseFetchAllow(" api.internal ,*.corp.example, 10.1.0.0/16, 192.168.1.5 ,,::1")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.AllowHosts) != 2 || p.AllowHosts[1] != "*.corp.example" {
		t.Errorf("hosts = %v", p.AllowHosts)
	}
	if len(p.AllowNetworks) != 3 || p.AllowNetworks[1].String() != "192.168.1.5/32" || p.AllowNetworks[2].String() != "::1/128" {
		t.Errorf("networks = %v", p.AllowNetworks)
	}
}

func TestParseRule(t *testing.T) {
	for in, want := range map[string]string{"100:200": "100:200", "0.5:1": "0.5:1", "0": "0:0", "off": "0:0"} {
		r, err := parseRule(in)
		if err != nil || ruleString(r) != want {
			t.Errorf("%q: %v %v", in, ruleString(r), err)
		}
	}
	for _, bad := range []string{"100", "x:1", "1:x", "-1:5", "1:0"} {
		if _, err := parseRule(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
