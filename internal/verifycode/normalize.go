package verifycode

import (
	"strings"
	"unicode/utf8"
)

// Bounds of an address: RFC 5321's 254 characters for an e-mail address
// (64 for its local part), and E.164's 15 digits (with a little room for
// numbers written with a trunk prefix) for a phone number.
const (
	maxEmail      = 254
	maxLocalPart  = 64
	minPhone      = 4
	maxPhone      = 20
	phoneSeparate = " -().\u00a0"
)

// Normalize returns the form of an address that codes are bound to. An
// e-mail address keeps its local part as written and has its domain
// lower-cased; a phone number ("+81 90-1234-5678", "819012345678") becomes
// its digits, without the plus sign, as Logto keeps phone numbers (the SMS
// connectors add the plus where the provider wants E.164). Anything else is
// ErrInvalidTarget.
func Normalize(ch Channel, to string) (string, error) {
	switch ch {
	case ChannelEmail:
		return normalizeEmail(to)
	case ChannelSMS:
		return normalizePhone(to)
	}
	return "", ErrInvalidTarget
}

func normalizeEmail(to string) (string, error) {
	to = strings.TrimSpace(to)
	if len(to) > maxEmail || !utf8.ValidString(to) {
		return "", ErrInvalidTarget
	}
	at := strings.LastIndexByte(to, '@')
	if at < 1 || at > maxLocalPart || at == len(to)-1 {
		return "", ErrInvalidTarget
	}
	local, domain := to[:at], strings.ToLower(to[at+1:])
	if strings.ContainsAny(local, "@\"\\<>()[],;: ") || !validDomain(domain) {
		return "", ErrInvalidTarget
	}
	for _, r := range local {
		if r < 0x21 || r == 0x7f {
			return "", ErrInvalidTarget
		}
	}
	return local + "@" + domain, nil
}

// validDomain accepts dot-separated labels of letters (any script), digits
// and hyphens, not starting or ending with a hyphen, with at least one dot.
func validDomain(d string) bool {
	labels := strings.Split(d, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			ok := r == '-' || ('0' <= r && r <= '9') || ('a' <= r && r <= 'z') || r > 0x7f && r != utf8.RuneError
			if !ok {
				return false
			}
		}
	}
	return true
}

func normalizePhone(to string) (string, error) {
	to = strings.TrimSpace(to)
	if len(to) > 2*maxPhone {
		return "", ErrInvalidTarget
	}
	to = strings.TrimPrefix(to, "+")
	var b strings.Builder
	for _, r := range to {
		switch {
		case '0' <= r && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(phoneSeparate, r):
		default:
			return "", ErrInvalidTarget
		}
	}
	if n := b.Len(); n < minPhone || n > maxPhone {
		return "", ErrInvalidTarget
	}
	return b.String(), nil
}
