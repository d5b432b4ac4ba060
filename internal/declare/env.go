package declare

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// reference is a ${NAME} reference to an environment variable; $${ writes
// a literal ${.
var reference = regexp.MustCompile(`\$\$\{|\$\{([^}]*)\}`)

var envVarName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Resolve returns a copy of doc with the ${NAME} references of the values
// that may hold secrets (custom JWT environment variables, webhook
// headers) replaced by the variables' values, looked up with lookup. A
// variable that is not set, or a malformed reference, is an error naming
// every one. References elsewhere (a script's own template strings) are
// left alone.
func Resolve(doc *Document, lookup func(string) (string, bool)) (*Document, error) {
	out := *doc
	var missing, malformed []string
	expand := func(v string) string {
		return reference.ReplaceAllStringFunc(v, func(m string) string {
			if m == "$${" {
				return "${"
			}
			name := m[2 : len(m)-1]
			if !envVarName.MatchString(name) {
				malformed = append(malformed, m)
				return m
			}
			val, ok := lookup(name)
			if !ok {
				missing = append(missing, name)
			}
			return val
		})
	}
	expandMap := func(m map[string]string) map[string]string {
		if m == nil {
			return nil
		}
		r := make(map[string]string, len(m))
		for k, v := range m {
			r[k] = expand(v)
		}
		return r
	}
	out.CustomJWT = slices.Clone(doc.CustomJWT)
	for i := range out.CustomJWT {
		out.CustomJWT[i].EnvironmentVariables = expandMap(out.CustomJWT[i].EnvironmentVariables)
	}
	out.Connectors = slices.Clone(doc.Connectors)
	for i := range out.Connectors {
		out.Connectors[i].Config = expandAny(out.Connectors[i].Config, expand).(map[string]any)
	}
	out.Webhooks = slices.Clone(doc.Webhooks)
	for i := range out.Webhooks {
		out.Webhooks[i].Headers = expandMap(out.Webhooks[i].Headers)
	}
	switch {
	case len(malformed) > 0:
		slices.Sort(malformed)
		return nil, fmt.Errorf("malformed environment reference %s: write ${NAME}, NAME of letters, digits and _ (and $${ for a literal ${)",
			strings.Join(slices.Compact(malformed), ", "))
	case len(missing) > 0:
		slices.Sort(missing)
		return nil, fmt.Errorf("environment variable %s is not set (the document refers to it with ${%s})",
			strings.Join(slices.Compact(missing), ", "), slices.Compact(missing)[0])
	}
	return &out, nil
}

// OSLookup is os.LookupEnv-like lookup over a getenv function, for
// callers that only have getenv: an empty variable counts as not set.
func OSLookup(getenv func(string) string) func(string) (string, bool) {
	return func(name string) (string, bool) {
		v := getenv(name)
		return v, v != ""
	}
}

// expandAny is a copy of v (a decoded YAML or JSON value) with expand
// applied to every string in it.
func expandAny(v any, expand func(string) string) any {
	switch x := v.(type) {
	case string:
		return expand(x)
	case map[string]any:
		if x == nil {
			return map[string]any(nil)
		}
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = expandAny(e, expand)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = expandAny(e, expand)
		}
		return out
	}
	return v
}
