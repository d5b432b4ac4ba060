package main

import (
	"os"
	"strings"
	"testing"
)

// The README's layout names every internal package, so that a new one
// cannot be added without a word on what it is.
func TestReadmeLayoutListsEveryPackage(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir("../../internal")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() && !strings.Contains(string(readme), "`internal/"+e.Name()+"`") {
			t.Errorf("README.md's layout does not name internal/%s", e.Name())
		}
	}
}

// Every command is in the usage text and the README.
func TestUsageListsEveryCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"serve", "healthcheck", "reset-admin-password", "create-bootstrap-app", "rotate-secret-key", "version"} {
		if !strings.Contains(usage, "monban "+c) {
			t.Errorf("the usage lacks %s", c)
		}
		if !strings.Contains(string(readme), "monban "+c) && !strings.Contains(string(readme), "monban\n"+c) {
			t.Errorf("README.md does not mention monban %s", c)
		}
	}
}
