package oidc

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/monban/monban/internal/clientauth"
	"github.com/monban/monban/internal/httpjson"
)

// MaxBodyBytes bounds every request body the OAuth endpoints read.
const MaxBodyBytes = 64 << 10

// maxParamLen bounds one parameter value.
const maxParamLen = 4096

// multiValued are the parameters that may repeat (RFC 8707 §2: resource).
var multiValued = map[string]bool{"resource": true}

// parsedParams are a token request's parameters read ahead of the token
// endpoint (ReadTokenRequest), or why they could not be.
type parsedParams struct {
	params url.Values
	err    *Error
}

type paramsKey struct{}

// ReadTokenRequest reads the parameters of a token request ahead of the
// token endpoint, for the rate limits in front of it, and returns the
// client id the request claims (clientauth.Claimed: unchecked, "" for
// none). The request it returns carries the parameters, or the error
// reading them, to the token endpoint, which answers from them instead of
// reading the spent body again.
func ReadTokenRequest(w http.ResponseWriter, r *http.Request) (*http.Request, string) {
	params, perr := readParams(w, r)
	r = r.WithContext(context.WithValue(r.Context(), paramsKey{}, &parsedParams{params, perr}))
	if perr != nil {
		return r, ""
	}
	return r, clientauth.Claimed(r, params)
}

// tokenParams are the parameters of a token request: read ahead by
// ReadTokenRequest, or now.
func tokenParams(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	if pp, ok := r.Context().Value(paramsKey{}).(*parsedParams); ok {
		return pp.params, pp.err
	}
	return readParams(w, r)
}

// readParams reads the request parameters of a POST from an
// application/x-www-form-urlencoded body (RFC 6749) or a JSON object (as
// Auth0 clients send). Any other content type, a malformed body, a repeated
// parameter, a NUL byte or an over-long value is invalid_request.
func readParams(w http.ResponseWriter, r *http.Request) (url.Values, *Error) {
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return nil, errInvalidRequest("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, &Error{Status: http.StatusRequestEntityTooLarge, Code: "invalid_request", Description: "request body too large"}
		}
		return nil, errInvalidRequest("could not read the request body")
	}
	var params url.Values
	switch mt {
	case "application/x-www-form-urlencoded":
		params, err = url.ParseQuery(string(body))
		if err != nil {
			return nil, errInvalidRequest("malformed form body")
		}
	case "application/json":
		params, err = jsonParams(body)
		if err != nil {
			return nil, errInvalidRequest(err.Error())
		}
	default:
		return nil, errInvalidRequest("Content-Type must be application/x-www-form-urlencoded or application/json")
	}
	for name, vals := range params {
		if len(vals) > 1 && !multiValued[name] {
			return nil, errInvalidRequest("parameter " + safeName(name) + " is repeated")
		}
		for _, v := range vals {
			if len(v) > maxParamLen {
				return nil, errInvalidRequest("parameter " + safeName(name) + " is too long")
			}
			if strings.IndexByte(v, 0) >= 0 || !utf8.ValidString(v) {
				return nil, errInvalidRequest("parameter " + safeName(name) + " is not valid text")
			}
		}
	}
	return params, nil
}

// jsonParams turns a flat JSON object of strings (or, for multi-valued
// parameters, arrays of strings) into parameters. A repeated name is
// refused, like a repeated form parameter, rather than the last one kept.
func jsonParams(body []byte) (url.Values, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil || obj == nil {
		return nil, errors.New("malformed JSON body: an object of string values is expected")
	}
	if err := httpjson.CheckKeys(body, nil); err != nil {
		return nil, err
	}
	params := make(url.Values, len(obj))
	for name, raw := range obj {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			params[name] = []string{s}
			continue
		}
		var list []string
		if multiValued[name] && json.Unmarshal(raw, &list) == nil {
			params[name] = list
			continue
		}
		return nil, errors.New("parameter " + safeName(name) + " must be a string")
	}
	return params, nil
}

// safeName keeps a client-chosen parameter name short and printable for an
// error message.
func safeName(name string) string {
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return '?'
		}
		return r
	}, name)
}
