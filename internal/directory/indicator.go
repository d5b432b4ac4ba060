package directory

import (
	"net/url"
	"strings"
)

// errLookalikeIndicator refuses a resource whose indicator is the
// Management API's in another spelling: Monban compares audiences
// exactly, but a verifier that normalises URIs would take a token for one
// as a token for the other.
var errLookalikeIndicator = &Error{Kind: Conflict, Reason: ReasonIndicatorLookalike, Message: "indicator is the Management API's indicator written differently (case of scheme or host, default port, " +
	"trailing slash, dot segments or percent-encoding); choose another indicator"}

// normalIndicator returns the form of an absolute URI that RFC 3986's
// syntax- and scheme-based normalisation (§6.2.2, §6.2.3) gives, and
// without trailing slashes or a user-info part: the scheme and host in
// lower case, no default port, percent-encodings in upper case and those
// of unreserved characters decoded, dot segments removed. ok is false for
// what is not an absolute URI with a host.
func normalIndicator(v string) (string, bool) {
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	switch port := u.Port(); {
	case port == "", scheme == "http" && port == "80", scheme == "https" && port == "443":
	default:
		host += ":" + strings.TrimLeft(port, "0")
	}
	path := strings.TrimRight(removeDotSegments(normalPercent(u.EscapedPath())), "/")
	out := scheme + "://" + host + path
	if q := normalPercent(u.RawQuery); q != "" {
		out += "?" + q
	}
	return out, true
}

// sameResource reports whether two indicators differ only in how they are
// written.
func sameResource(a, b string) bool {
	na, ok1 := normalIndicator(a)
	nb, ok2 := normalIndicator(b)
	return ok1 && ok2 && na == nb
}

// normalPercent writes percent-encodings in upper case and decodes those
// of unreserved characters (RFC 3986 §2.3, §6.2.2.2).
func normalPercent(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c := unhex(s[i+1])<<4 | unhex(s[i+2])
			if isUnreserved(c) {
				b.WriteByte(c)
			} else {
				b.WriteByte('%')
				b.WriteString(strings.ToUpper(s[i+1 : i+3]))
			}
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// removeDotSegments is RFC 3986 §5.2.4 for an absolute path.
func removeDotSegments(p string) string {
	var out []string
	segs := strings.Split(p, "/")
	for i, seg := range segs {
		switch seg {
		case ".":
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
			continue
		}
		if i == len(segs)-1 { // a final dot segment leaves a trailing slash
			out = append(out, "")
		}
	}
	return strings.Join(out, "/")
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}
