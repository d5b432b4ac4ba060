package authz

import (
	"fmt"
	"strings"
	"testing"

	"github.com/monban/monban/internal/store"
)

// BenchmarkAppScopes is the client_credentials hot path: the scopes an
// app's roles grant on one resource of 3,000, and the grant of a request.
func BenchmarkAppScopes(b *testing.B) {
	c := &store.Catalog{}
	for i := range 3000 {
		res := fmt.Sprintf("res%d", i)
		c.Scopes = append(c.Scopes, store.Scope{ID: "s" + res, ResourceID: res, Name: "read"})
	}
	for i := range 100 {
		role := fmt.Sprintf("role%d", i)
		c.Roles = append(c.Roles, store.Role{ID: role, Type: store.RoleMachineToMachine})
		for j := range 30 {
			c.RoleScopes = append(c.RoleScopes, store.RoleScope{RoleID: role, ScopeID: fmt.Sprintf("sres%d", i*30+j)})
		}
		c.RoleApplications = append(c.RoleApplications, store.RoleApplication{RoleID: role, AppID: fmt.Sprintf("app%d", i)})
	}
	ix := Build(c)
	req := strings.Fields("read write")
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if got := Grant(req, ix.Scopes(App("app50"), "", "res1510")); len(got) != 1 {
			b.Fatal(got)
		}
	}
}
