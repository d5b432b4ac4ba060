package httpjson

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"sync"
)

// maxDepth bounds the nesting of arrays and objects, as encoding/json does.
const maxDepth = 10000

// CheckKeys reports the first object member name of data, one JSON value,
// that encoding/json would quietly accept although it is not what the
// client wrote: a name repeated in its object, at any depth (encoding/json
// keeps the last value), or, where v's type decodes the object into a
// struct, a name that matches a field's JSON name only when case is
// ignored (encoding/json matches names case-insensitively). Names that
// match no field at all are left to the decoder's DisallowUnknownFields.
// v may be nil: then only repeated names are reported. The error is a
// *DecodeError with status 400 naming the member by its path.
func CheckKeys(data []byte, v any) error {
	var t reflect.Type
	if v != nil {
		t = reflect.TypeOf(v)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	s := keyScanner{dec: dec}
	if err := s.value(t, "", 0); err != nil {
		return err
	}
	return nil
}

type keyScanner struct{ dec *json.Decoder }

func (s *keyScanner) value(t reflect.Type, path string, depth int) error {
	tok, err := s.dec.Token()
	if err != nil {
		return malformed(err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return nil
	}
	if depth >= maxDepth {
		return badRequest("request body is nested too deeply")
	}
	t = target(t)
	switch d {
	case '[':
		var elem reflect.Type
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			elem = t.Elem()
		}
		for s.dec.More() {
			if err := s.value(elem, path, depth+1); err != nil {
				return err
			}
		}
	case '{':
		var fields map[string]reflect.Type
		var elem reflect.Type
		switch {
		case t == nil:
		case t.Kind() == reflect.Struct:
			fields = structFields(t)
		case t.Kind() == reflect.Map:
			elem = t.Elem()
		}
		seen := map[string]bool{}
		for s.dec.More() {
			tok, err := s.dec.Token()
			if err != nil {
				return malformed(err)
			}
			name, _ := tok.(string)
			at := name
			if path != "" {
				at = path + "." + name
			}
			if seen[name] {
				return badRequest("field %s is repeated", strconv.Quote(shorten(at)))
			}
			seen[name] = true
			sub := elem
			if fields != nil {
				ft, exact := fields[name]
				if !exact {
					for known := range fields {
						if strings.EqualFold(known, name) {
							return badRequest("unknown field %s (names are case-sensitive: %s)", strconv.Quote(shorten(at)), strconv.Quote(known))
						}
					}
				}
				sub = ft
			}
			if err := s.value(sub, at, depth+1); err != nil {
				return err
			}
		}
	}
	if _, err := s.dec.Token(); err != nil { // the closing delimiter
		return malformed(err)
	}
	return nil
}

func malformed(err error) *DecodeError {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return &DecodeError{Status: http.StatusBadRequest, Message: "malformed JSON request body", err: err}
}

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// target is the type a JSON value decodes into, when it is one whose
// member names encoding/json matches itself; nil when it is not (an
// interface, json.RawMessage, a type with its own UnmarshalJSON).
func target(t reflect.Type) reflect.Type {
	for t != nil {
		if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) ||
			t.Implements(textUnmarshalerType) || reflect.PointerTo(t).Implements(textUnmarshalerType) {
			return nil
		}
		switch t.Kind() {
		case reflect.Pointer:
			t = t.Elem()
		case reflect.Struct, reflect.Map, reflect.Slice, reflect.Array:
			return t
		default:
			return nil
		}
	}
	return nil
}

var fieldCache sync.Map // reflect.Type → map[string]reflect.Type

// structFields maps the JSON names of a struct's fields, those of embedded
// structs included, to their types.
func structFields(t reflect.Type) map[string]reflect.Type {
	if f, ok := fieldCache.Load(t); ok {
		return f.(map[string]reflect.Type)
	}
	out := map[string]reflect.Type{}
	addFields(t, out, 0)
	fieldCache.Store(t, out)
	return out
}

func addFields(t reflect.Type, out map[string]reflect.Type, depth int) {
	if depth > 16 {
		return
	}
	var embedded []reflect.Type
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				embedded = append(embedded, ft)
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		if _, ok := out[name]; !ok {
			out[name] = f.Type
		}
	}
	// Fields of embedded structs are promoted unless a shallower field has
	// the name.
	for _, et := range embedded {
		addFields(et, out, depth+1)
	}
}
