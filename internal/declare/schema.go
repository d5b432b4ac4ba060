package declare

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
)

// SchemaID is the address of the document's JSON Schema: the committed
// docs/monban.schema.json.
const SchemaID = "https://raw.githubusercontent.com/monban/monban/main/docs/monban.schema.json"

// Schema returns the JSON Schema (draft 2020-12) of a document, generated
// from the Go types Parse decodes into, so that the two cannot disagree:
// the keys, their types, which are required, the allowed values and the
// descriptions all come from the types and their tags.
func Schema() []byte {
	s := schemaOf(reflect.TypeFor[Document]())
	s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
	s["$id"] = SchemaID
	s["title"] = "Monban configuration"
	s["description"] = "What monban apply and MONBAN_CONFIG_FILE make a server hold. See docs/config-as-code.md."
	props := s["properties"].(map[string]any)
	props["version"] = map[string]any{"const": Version, "description": "The document version; 1."}
	s["required"] = []string{"version"}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		panic(err) // only maps, strings and slices: cannot fail
	}
	return buf.Bytes()
}

func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Int:
		return map[string]any{"type": "integer"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		var required []string
		for f := range t.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			p := schemaOf(f.Type)
			if d := f.Tag.Get("doc"); d != "" {
				p["description"] = d
			}
			for _, opt := range strings.Split(f.Tag.Get("schema"), ",") {
				switch {
				case opt == "required":
					required = append(required, name)
				case strings.HasPrefix(opt, "enum="):
					p["enum"] = strings.Split(strings.TrimPrefix(opt, "enum="), "|")
				}
			}
			props[name] = p
		}
		s := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
		if len(required) > 0 {
			s["required"] = required
		}
		return s
	}
	panic("declare: no schema for " + t.String())
}
