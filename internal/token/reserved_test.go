package token

import (
	"slices"
	"testing"
)

func TestReservedClaims(t *testing.T) {
	list := ReservedClaims()
	if !slices.IsSorted(list) || len(list) != 18 {
		t.Fatalf("ReservedClaims() = %v: want 18 sorted names", list)
	}
	list[0] = "changed"
	if ReservedClaims()[0] == "changed" {
		t.Fatal("ReservedClaims hands out its own list")
	}
	for _, c := range []struct {
		name          string
		exact, folded bool
	}{
		{"jti", true, true}, {"nonce", true, true}, {"act", true, true}, {"may_act", true, true}, {"Nonce", false, true}, {"AUD", false, true},
		{"roles", false, false}, {"", false, false}, {"ſcope", false, true}, // encoding/json folds ſ to s
	} {
		if got := Reserved(c.name); got != c.exact {
			t.Errorf("Reserved(%q) = %v, want %v", c.name, got, c.exact)
		}
		if got := reservedFold(c.name); got != c.folded {
			t.Errorf("reservedFold(%q) = %v, want %v", c.name, got, c.folded)
		}
	}
}
