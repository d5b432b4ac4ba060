package management

import "testing"

// The Management API's indicator in another spelling cannot be created as
// an ordinary resource; the indicator itself is a duplicate, as before,
// and other resources are unaffected.
func TestLookalikeOfManagementIndicatorRefused(t *testing.T) {
	e := newEnv(t) // its Management API indicator is testIndicator
	for _, v := range []string{"HTTPS://monban.test/api", "https://MONBAN.TEST/api", "https://monban.test/api/",
		"https://monban.test:443/api", "https://monban.test/v1/../api", "https://monban.test/%61pi"} {
		before := e.changes.Load()
		r := e.do("POST", "/api/resources", map[string]any{"name": "Lookalike", "indicator": v})
		if r.status != 422 {
			t.Fatalf("%s: %d %s", v, r.status, r.body)
		}
		if m := r.errBody(t); m["code"] != "resource.resource_identifier_in_use" || m["message"] == "" {
			t.Errorf("%s: %v", v, m)
		}
		if e.changes.Load() != before {
			t.Errorf("%s: a refused resource changed something", v)
		}
	}
	e.do("POST", "/api/resources", map[string]any{"name": "Same", "indicator": testIndicator}).want(t, 422, nil)
	e.do("POST", "/api/resources", map[string]any{"name": "Other", "indicator": "https://monban.test/api/v2"}).want(t, 201, nil)
}
