package main

import (
	"flag"
	"fmt"

	"github.com/monban/monban/internal/sealed"
)

// keyFlags are the two ways to give a secret key: its value, or a file
// holding it (a mounted Kubernetes secret, say), each with its variable.
type keyFlags struct {
	flag, env   string // "secret-key", "MONBAN_SECRET_KEY"
	value, file *string
}

func addKeyFlags(fs *flag.FlagSet, getenv func(string) string, name, env, what string) *keyFlags {
	return &keyFlags{
		flag: name, env: env,
		value: fs.String(name, getenv(env), what+", 32 random bytes in base64 ("+env+"; prefer the variable or the file: flags show in process lists)"),
		file:  fs.String(name+"-file", getenv(env+"_FILE"), "file holding "+what+" ("+env+"_FILE)"),
	}
}

// key returns the key given, or the zero Key when neither form is set.
func (k *keyFlags) key() (sealed.Key, error) {
	switch {
	case *k.value != "" && *k.file != "":
		return sealed.Key{}, fmt.Errorf("-%s (%s) and -%s-file (%s_FILE) are both set: give one", k.flag, k.env, k.flag, k.env)
	case *k.value != "":
		key, err := sealed.ParseKey(*k.value)
		if err != nil {
			return sealed.Key{}, fmt.Errorf("-%s (%s): %w", k.flag, k.env, err)
		}
		return key, nil
	case *k.file != "":
		key, err := sealed.LoadKeyFile(*k.file)
		if err != nil {
			return sealed.Key{}, fmt.Errorf("-%s-file (%s_FILE): %w", k.flag, k.env, err)
		}
		return key, nil
	}
	return sealed.Key{}, nil
}
