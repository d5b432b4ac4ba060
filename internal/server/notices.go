package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// Notice is a secret shown once: the credentials of an app or an
// administrator that a first start (or a recovery command) created.
type Notice struct {
	// Text is the block written for people, with a blank line around it.
	Text string
	// Fields are the same facts for the JSON line: "msg", then the rest.
	Fields []any
}

// AppNotice shows the credentials of a new M2M app holding the
// "Management API access" role, with the command that gets a token.
func AppNotice(endpoint, indicator, id, secret string) Notice {
	curl := fmt.Sprintf("curl -s -u '%s:%s' -d grant_type=client_credentials --data-urlencode 'resource=%s' -d scope=all %s/oidc/token",
		id, secret, indicator, endpoint)
	text := fmt.Sprintf(`
Created an M2M app with the "Management API access" role. Its secret is shown this once; keep it:
  App ID:     %s
  App Secret: %s
Get a Management API token with:
  %s
Lost it? "monban create-bootstrap-app" (with this server's database settings) makes another.

`, id, secret, curl)
	return Notice{Text: text, Fields: []any{
		"msg", `created an M2M app with the "Management API access" role; its secret is shown this once`,
		"app_id", id, "app_secret", secret, "token_command", curl,
		"if_lost", "monban create-bootstrap-app",
	}}
}

// AdminNotice shows the password of a console administrator: a new one
// (created) or a reset one.
func AdminNotice(endpoint, username, password string, created bool) Notice {
	what := "Created an administrator for the console"
	if !created {
		what = "Set a new password for the console administrator"
	}
	console := endpoint + "/console"
	text := fmt.Sprintf(`
%s. The password is shown this once:
  Username: %s
  Password: %s
Sign in at %s and change this password (Users, then the user, then "Reset password").
Lost it? "monban reset-admin-password" (with this server's database settings) sets a new one.

`, what, username, password, console)
	return Notice{Text: text, Fields: []any{
		"msg", strings.ToLower(what[:1]) + what[1:] + "; the password is shown this once",
		"username", username, "password", password, "console", console,
		"if_lost", "monban reset-admin-password --username " + username,
	}}
}

// WriteNotices writes notices to w: as text blocks, or as JSON lines in
// the JSON log's shape (time, level, msg, then the fields), so that a log
// collector reading the output line by line parses them too.
func WriteNotices(w io.Writer, notices []Notice, asJSON bool, now time.Time) {
	for _, n := range notices {
		if !asJSON {
			_, _ = io.WriteString(w, n.Text)
			continue
		}
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		put := func(v any) {
			_ = enc.Encode(v)
			b.Truncate(b.Len() - 1) // Encode ends with a newline
		}
		b.WriteString(`{"time":`)
		put(now.Format(time.RFC3339Nano))
		b.WriteString(`,"level":"INFO"`)
		for i := 0; i+1 < len(n.Fields); i += 2 {
			b.WriteByte(',')
			put(n.Fields[i])
			b.WriteByte(':')
			put(n.Fields[i+1])
		}
		b.WriteString("}\n")
		_, _ = w.Write(b.Bytes())
	}
}
