package password

import (
	_ "embed"
	"strings"
	"sync"
)

// commonList is the shipped list of common passwords; its header names its
// source and licence.
//
//go:embed common.txt
var commonList string

var common = sync.OnceValue(func() map[string]struct{} {
	set := make(map[string]struct{}, 10000)
	for line := range strings.Lines(commonList) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		set[line] = struct{}{}
	}
	return set
})

// IsCommon reports whether pw, compared without case, is one of the 10,000
// most common passwords shipped with the binary: what a Policy's
// RejectBreached rejects, with no network call.
func IsCommon(pw string) bool {
	if len(pw) > 64 { // no entry is this long
		return false
	}
	_, ok := common()[strings.ToLower(pw)]
	return ok
}

// CommonCount is the number of passwords IsCommon knows.
func CommonCount() int { return len(common()) }
