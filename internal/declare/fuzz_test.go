package declare

import (
	"strings"
	"testing"
)

// FuzzParse: no input crashes Parse or Resolve, and a document Parse
// accepts is written by Marshal into one it reads back the same.
func FuzzParse(f *testing.F) {
	f.Add(shop)
	f.Add("version: 1\nroles: [{name: a, description: b, permissions: [{resource: management-api, scopes: [all]}]}]\n")
	f.Add("version: 1\ncustomJwt: [{tokenType: access-token, script: x, environmentVariables: {A: '${B}-$${C}${'}}]\n")
	f.Add("version: 1\n---\n")
	f.Add("&a [*a, *a]")
	f.Fuzz(func(t *testing.T, src string) {
		doc, err := Parse(strings.NewReader(src))
		if err != nil {
			return
		}
		_, _ = Resolve(doc, func(string) (string, bool) { return "v", true })
		out, err := Marshal(doc)
		if err != nil {
			t.Fatalf("Marshal: %v", err)
		}
		again, err := Parse(strings.NewReader(string(out)))
		if err != nil {
			t.Fatalf("Marshal's output does not parse: %v\n%s", err, out)
		}
		out2, _ := Marshal(again)
		if string(out) != string(out2) {
			t.Fatalf("not stable:\n%s\n---\n%s", out, out2)
		}
	})
}
