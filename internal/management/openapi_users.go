package management

import (
	_ "embed"
	"encoding/json"
)

// openAPIUsers documents the user routes and the OIDC metadata of
// applications; it is merged into openAPI, so the two documents can be
// edited apart.
//
//go:embed openapi_users.json
var openAPIUsers []byte

func init() { addOpenAPI(openAPIUsers) }

// mergeOpenAPI lays the fragment over the document: objects merge key by
// key, the tag lists are joined, anything else in the fragment wins.
func mergeOpenAPI(doc, fragment []byte) []byte {
	var base, add map[string]any
	if err := json.Unmarshal(doc, &base); err != nil {
		panic("openapi.json: " + err.Error())
	}
	if err := json.Unmarshal(fragment, &add); err != nil {
		panic("openapi_users.json: " + err.Error())
	}
	out, err := json.MarshalIndent(mergeJSON(base, add), "", "  ")
	if err != nil {
		panic(err)
	}
	return out
}

func mergeJSON(base, add any) any {
	switch a := add.(type) {
	case map[string]any:
		b, ok := base.(map[string]any)
		if !ok {
			return a
		}
		for k, v := range a {
			b[k] = mergeJSON(b[k], v)
		}
		return b
	case []any:
		b, ok := base.([]any)
		if !ok || !isTagList(a) {
			return a
		}
		for _, t := range a {
			if !containsTag(b, t) {
				b = append(b, t)
			}
		}
		return b
	}
	return add
}

func isTagList(l []any) bool {
	for _, v := range l {
		m, ok := v.(map[string]any)
		if !ok || m["name"] == nil || len(m) > 2 {
			return false
		}
	}
	return len(l) > 0
}

func containsTag(l []any, t any) bool {
	name := t.(map[string]any)["name"]
	for _, v := range l {
		if m, ok := v.(map[string]any); ok && m["name"] == name {
			return true
		}
	}
	return false
}
