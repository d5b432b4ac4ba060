package connector

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// maxConfig bounds a configuration's JSON.
const maxConfig = 64 << 10

// decodeStrict reads one JSON object into v, refusing unknown fields,
// wrong types and trailing data, with a message naming the problem.
func decodeStrict(raw []byte, v any) error {
	if len(raw) > maxConfig {
		return errorf(InvalidConfig, "the config is larger than %d bytes", maxConfig)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errorf(InvalidConfig, "invalid config: %s", describeJSONError(err))
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return errorf(InvalidConfig, "invalid config: data after the JSON object")
	}
	return nil
}

func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("%s must be %s, not %s", te.Field, kindName(te.Type.Kind().String()), te.Value)
	}
	msg := err.Error()
	msg = strings.TrimPrefix(msg, "json: ")
	if f, ok := strings.CutPrefix(msg, "unknown field "); ok {
		return "unknown field " + f + " (not supported)"
	}
	return msg
}

func kindName(k string) string {
	switch k {
	case "int", "int64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	case "slice":
		return "an array"
	}
	return k
}

// secret paths: a connector's secrets, as paths into its config object.
type secretPath []string

// getPath returns the value at p in obj, if there is one.
func getPath(obj map[string]any, p secretPath) (any, bool) {
	var cur any = obj
	for _, k := range p {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = m[k]; !ok {
			return nil, false
		}
	}
	return cur, true
}

// setPath sets the value at p in obj when p's parent exists.
func setPath(obj map[string]any, p secretPath, v any) {
	cur := obj
	for _, k := range p[:len(p)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
	cur[p[len(p)-1]] = v
}

// deletePath removes the value at p from obj.
func deletePath(obj map[string]any, p secretPath) {
	cur := obj
	for _, k := range p[:len(p)-1] {
		next, ok := cur[k].(map[string]any)
		if !ok {
			return
		}
		cur = next
	}
	delete(cur, p[len(p)-1])
}

// objectOf decodes a JSON object ("" and null are an empty one).
func objectOf(raw []byte) (map[string]any, error) {
	obj := map[string]any{}
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return obj, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&obj); err != nil || obj == nil {
		return nil, errorf(InvalidConfig, "the config must be a JSON object")
	}
	return obj, nil
}

// withoutSecrets returns config with the secrets at paths removed.
func withoutSecrets(config []byte, paths []secretPath) []byte {
	obj, err := objectOf(config)
	if err != nil {
		return []byte("{}")
	}
	for _, p := range paths {
		deletePath(obj, p)
	}
	out, _ := json.Marshal(obj) // decoded JSON always encodes
	return out
}

// keepSecrets returns next with each secret it lacks taken from prev, so
// that a configuration read back (without its secrets) and sent again
// keeps them. A secret set to "" in next stays removed.
func keepSecrets(next, prev []byte, paths []secretPath) ([]byte, error) {
	obj, err := objectOf(next)
	if err != nil {
		return nil, err
	}
	old, err := objectOf(prev)
	if err != nil {
		old = map[string]any{}
	}
	for _, p := range paths {
		if _, ok := getPath(obj, p); ok {
			continue
		}
		if v, ok := getPath(old, p); ok {
			setPath(obj, p, v)
		}
	}
	return json.Marshal(obj)
}

// checkHTTPURL checks a provider endpoint: an absolute http or https URL
// without credentials.
func checkHTTPURL(field, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || u.Fragment != "" {
		return errorf(InvalidConfig, "%s must be an absolute http or https URL without credentials", field)
	}
	return nil
}
