package main

import (
	"errors"
	"flag"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/monban/monban/internal/audit"
)

// durationForms lists what a duration setting accepts, for error messages.
const durationForms = "a duration such as 0, 90s, 15m, 12h, 90d or 1d12h"

// durationValue is a flag.Value holding a duration that is not negative,
// written in Go's syntax (90s, 15m, 1h30m) with a leading number of whole
// days allowed (90d, 1d12h). With forever set, "forever" is accepted too
// and stored as audit.Forever.
type durationValue struct {
	d       *time.Duration
	forever bool
}

// durationFlag defines a duration flag that also accepts days.
func durationFlag(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	d := def
	fs.Var(durationValue{d: &d}, name, usage)
	return &d
}

// retentionFlag defines a duration flag that also accepts "forever".
func retentionFlag(fs *flag.FlagSet, name string, def time.Duration, usage string) *time.Duration {
	d := def
	fs.Var(durationValue{d: &d, forever: true}, name, usage)
	return &d
}

func (v durationValue) Set(s string) error {
	if v.forever && s == "forever" {
		*v.d = audit.Forever
		return nil
	}
	d, err := parseDuration(s)
	if err != nil {
		if v.forever {
			return fmt.Errorf("%q is not %s, nor forever", s, durationForms)
		}
		return fmt.Errorf("%q is not %s", s, durationForms)
	}
	*v.d = d
	return nil
}

func (v durationValue) String() string {
	if v.d == nil {
		return ""
	}
	return formatDuration(*v.d)
}

// Get returns the duration (flag.Getter).
func (v durationValue) Get() any { return *v.d }

// parseDuration reads a duration that is not negative: Go's syntax, after
// an optional number of whole days ("90d", "1d12h").
func parseDuration(s string) (time.Duration, error) {
	var days int64
	rest := s
	if i := strings.IndexByte(s, 'd'); i >= 0 {
		n, err := strconv.ParseUint(s[:i], 10, 16)
		if err != nil || i == 0 {
			return 0, errors.New("malformed days")
		}
		days, rest = int64(n), s[i+1:]
		if rest == "" {
			return time.Duration(days) * 24 * time.Hour, nil
		}
	}
	d, err := time.ParseDuration(rest)
	if err != nil {
		return 0, err
	}
	if d < 0 || strings.HasPrefix(rest, "-") || (days > 0 && strings.HasPrefix(rest, "+")) {
		return 0, errors.New("negative")
	}
	total := d + time.Duration(days)*24*time.Hour
	if total < d {
		return 0, errors.New("too long")
	}
	return total, nil
}

// formatDuration writes d the way parseDuration reads it, in days when it
// is a whole number of them.
func formatDuration(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d == audit.Forever:
		return "forever"
	case d >= day && d%day == 0:
		return strconv.FormatInt(int64(d/day), 10) + "d"
	}
	return d.String()
}

// envName is the environment variable a flag's usage names, "(MONBAN_X)".
var envName = regexp.MustCompile(`\((MONBAN_[A-Z0-9_]+)`)

// applyEnv sets every flag whose variable is set, with the flag's own
// parser: a variable is read exactly as strictly as its flag, and a value
// the flag would refuse stops start-up with a message naming the variable.
// Flags given on the command line are parsed afterwards and win.
func applyEnv(fs *flag.FlagSet, getenv func(string) string) error {
	var first error
	fs.VisitAll(func(f *flag.Flag) {
		m := envName.FindStringSubmatch(f.Usage)
		if m == nil || first != nil {
			return
		}
		v := getenv(m[1])
		if v == "" {
			return
		}
		if err := f.Value.Set(v); err != nil {
			first = fmt.Errorf("%s: %s", m[1], describeInvalid(f.Value, v, err))
		}
	})
	return first
}

// describeInvalid says why v is not a value of a flag, with the accepted
// forms, without Go's parser wording.
func describeInvalid(val flag.Value, v string, err error) string {
	g, ok := val.(flag.Getter)
	if !ok {
		return err.Error()
	}
	switch g.Get().(type) {
	case bool:
		return fmt.Sprintf("%q is not a boolean: use true or false (or 1 or 0)", v)
	case int, int64, uint, uint64:
		return fmt.Sprintf("%q is not a whole number", v)
	}
	return err.Error()
}

// settingName names a flag and its variable for messages:
// "-session-ttl (MONBAN_SESSION_TTL)".
func settingName(fs *flag.FlagSet, name string) string {
	if f := fs.Lookup(name); f != nil {
		if m := envName.FindStringSubmatch(f.Usage); m != nil {
			return "-" + name + " (" + m[1] + ")"
		}
	}
	return "-" + name
}
