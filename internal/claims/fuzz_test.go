package claims

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"
)

// FuzzOutcome feeds the handling of a script's result arbitrary JSON, as
// the harness hands it over (JSON.stringify of what the script returned),
// without running JavaScript. An object within the output limit becomes
// claims without a reserved one, its numbers kept as written; the dropped
// names are exactly the reserved ones it had, sorted; anything else is a
// typed error, never a panic.
func FuzzOutcome(f *testing.F) {
	for _, s := range []string{
		`{"tier":"gold","n":1.50,"big":12345678901234567890}`,
		`{"sub":"x","iss":"y","aud":"z","scope":"all","exp":1,"nested":{"sub":"kept"}}`,
		`{"__proto__":{"isAdmin":true},"constructor":1}`,
		`{"a":"b","a":"c"}`,
		`[]`, `null`, `"x"`, `1`, `{`, `{"a":1}{"b":2}`,
		`{"x":"` + strings.Repeat("y", 17<<10) + `"}`,
	} {
		f.Add("ok", s)
	}
	f.Add("denied", "no access")
	f.Add("output", "20000")
	f.Add("error", `{"message":"boom","stack":"at getCustomJwtClaims (eval_script:3:7)"}`)
	f.Add("error", `{"thrownNull":true}`)
	f.Add("error", `not json`)
	f.Add("weird", "")
	v := &jsvm{r: &Runner{limits: Limits{MaxOutputBytes: 16 << 10}}}
	f.Fuzz(func(t *testing.T, kind, payload string) {
		rs := &runState{kind: kind, payload: payload, deadline: time.Now().Add(time.Hour)}
		claims, err := v.outcome(rs)
		if err != nil {
			var se *ScriptError
			var le *LimitError
			var de *DeniedError
			if claims != nil || !(errors.As(err, &se) || errors.As(err, &le) || errors.As(err, &de) || kind != "ok") {
				t.Fatalf("%s %q: claims %v, err %v", kind, payload, claims, err)
			}
			return
		}
		if kind != "ok" || len(payload) > 16<<10 || claims == nil {
			t.Fatalf("%s %q accepted", kind, payload)
		}
		// The harness hands over JSON.stringify's output, a single value;
		// what follows the first value is not looked at.
		var raw map[string]json.RawMessage
		if json.NewDecoder(strings.NewReader(payload)).Decode(&raw) != nil {
			t.Fatalf("%q accepted but is not an object", payload)
		}
		kept, dropped := dropReserved(claims)
		if !slices.IsSorted(dropped) {
			t.Fatalf("dropped %q not sorted", dropped)
		}
		for name := range raw {
			// Reserved claims and prototype names go; every other name stays.
			drop := Reserved(name) || prototypeNames[name]
			if drop != slices.Contains(dropped, name) {
				t.Fatalf("%q: to drop %v, dropped %q", name, drop, dropped)
			}
			if _, ok := kept[name]; ok == drop {
				t.Fatalf("%q: to drop %v, kept %v", name, drop, ok)
			}
		}
		// Numbers survive as written (json.Number), so the token carries
		// what the script returned.
		out, err := json.Marshal(kept)
		if err != nil {
			t.Fatalf("kept claims do not encode: %v", err)
		}
		for name, value := range kept {
			if n, ok := value.(json.Number); ok && !bytes.Contains(out, []byte(n.String())) {
				t.Fatalf("%s: number %s became %s", name, n, out)
			}
		}
	})
}
