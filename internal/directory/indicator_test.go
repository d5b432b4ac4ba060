package directory

import "testing"

// Spellings of the default Management API indicator that a normalising
// verifier would take for it, and near misses that are other resources.
func TestSameResource(t *testing.T) {
	const mgmt = "http://localhost:3001/api"
	for _, v := range []string{
		"http://localhost:3001/api",
		"HTTP://localhost:3001/api",
		"http://LOCALHOST:3001/api",
		"hTTp://LocalHost:3001/api",
		"http://localhost:3001/api/",
		"http://localhost:3001/api//",
		"http://localhost:3001/./api",
		"http://localhost:3001/x/../api",
		"http://localhost:3001/api/.",
		"http://localhost:3001/api/x/..",
		"http://localhost:3001/%61pi",
		"http://localhost:3001/%61%70%69/",
		"http://localhost:3001/%2e/api",
		"http://localhost:3001/%2E%2E/api",
		"http://localhost.:3001/api",
		"http://localhost:03001/api",
		"http://user@localhost:3001/api",
		"http://localhost:3001/api?",
	} {
		if !sameResource(v, mgmt) {
			t.Errorf("%s is not taken for %s", v, mgmt)
		}
	}
	for _, v := range []string{
		"http://localhost:3001/apis",
		"http://localhost:3001/API",
		"http://localhost:3001/api/v2",
		"http://localhost:3001/api?x=1",
		"http://localhost:3002/api",
		"https://localhost:3001/api",
		"http://localhost/api",
		"http://localhost:3001/%2Fapi",
		"http://localhost:3001/ap%69x",
		"urn:localhost:3001:api",
		"http://127.0.0.1:3001/api",
	} {
		if sameResource(v, mgmt) {
			t.Errorf("%s is taken for %s", v, mgmt)
		}
	}
	for _, c := range [][2]string{
		{"https://api.example:443/", "https://API.example"},
		{"http://api.example:80/v1", "http://api.example/v1/"},
		{"https://[::1]:443/x", "https://[::1]/x"},
		{"https://api.example/a%2fb", "https://api.example/a%2Fb"},
	} {
		if !sameResource(c[0], c[1]) {
			t.Errorf("%s and %s differ", c[0], c[1])
		}
	}
	// A percent-encoded host is no indicator at all.
	if checkIndicator("http://%6Cocalhost:3001/api") == nil {
		t.Error("a percent-encoded host is accepted")
	}
	if sameResource("http://api.example:443/", "http://api.example/") {
		t.Error(":443 is the default port of http")
	}
}
