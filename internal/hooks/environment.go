package hooks

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// Limits of a saved script's environment variables.
const (
	MaxEnvVars     = 100
	maxEnvNameLen  = 256
	maxEnvValueLen = 4096
)

// CheckEnvironment refuses environment variables a saved script may not
// have: too many, a name empty or too long, a value too long, a NUL.
func CheckEnvironment(env map[string]string) error {
	if len(env) > MaxEnvVars {
		return fmt.Errorf("environmentVariables: at most %d variables", MaxEnvVars)
	}
	for k, v := range env {
		if k == "" || utf8.RuneCountInString(k) > maxEnvNameLen || strings.ContainsRune(k, 0) {
			return errors.New("environmentVariables: names must be 1 to 256 characters")
		}
		if utf8.RuneCountInString(v) > maxEnvValueLen || strings.ContainsRune(v, 0) {
			return errors.New("environmentVariables: value of " + k + " is longer than 4096 characters or holds a NUL")
		}
	}
	return nil
}
