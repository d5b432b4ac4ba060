package jws

import (
	"errors"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	for _, tc := range []struct {
		raw  string
		want error
	}{
		{"", ErrMalformed},
		{"abc", ErrMalformed},
		{"a.b", ErrMalformed},
		{"a.b.c.d", ErrMalformed},
		{"a..b.c", ErrMalformed},
		{"a.b.c", nil},
		{"..", nil},
		{"a." + strings.Repeat("b", MaxLen-4) + ".c", nil},
		{"a." + strings.Repeat("b", MaxLen-3) + ".c", ErrTooLong},
		{strings.Repeat(".", MaxLen+1), ErrTooLong},
	} {
		c, err := Split(tc.raw, Strict)
		if !errors.Is(err, tc.want) {
			t.Errorf("Split(%.20q): %v, want %v", tc.raw, err, tc.want)
			continue
		}
		if in := c.SigningInput(); err == nil && (!strings.HasPrefix(tc.raw, in+".") || !strings.HasPrefix(in, c.RawHeader()+".")) {
			t.Errorf("Split(%.20q): parts do not make the token", tc.raw)
		}
	}
	c, err := Split("aGVhZA.cGF5bG9hZA.c2ln", Strict)
	if err != nil || c.RawHeader() != "aGVhZA" || c.SigningInput() != "aGVhZA.cGF5bG9hZA" {
		t.Fatalf("Split: %+v, %v", c, err)
	}
	if p, err := c.Payload(); err != nil || string(p) != "payload" {
		t.Fatalf("Payload: %q, %v", p, err)
	}
	if s, err := c.Signature(); err != nil || string(s) != "sig" {
		t.Fatalf("Signature: %q, %v", s, err)
	}
}

// Strict refuses stray bits at the end of a part (a second encoding of the
// same bytes); Lenient reads them as go-jose does. Padding and the
// standard alphabet are refused by both.
func TestEncoding(t *testing.T) {
	hdr := b64.EncodeToString([]byte(`{"alg":"ES256"}`)) // ends in "9" (…fQ): stray bits possible
	for _, tc := range []struct {
		part            string
		strict, lenient bool
	}{
		{"cGF5bG9hZA", true, true},
		{"cGF5bG9hZB", false, true}, // "B" sets a stray bit after "payload"
		{"cGF5bG9hZA==", false, false},
		{"cGF5+G9hZA", false, false},
		{"cGF5/G9hZA", false, false},
		{"cGF5_G9hZA", true, true},
		{"c", false, false},
	} {
		for _, m := range []struct {
			enc  Encoding
			want bool
		}{{Strict, tc.strict}, {Lenient, tc.lenient}} {
			c, err := Split(hdr+"."+tc.part+"."+tc.part, m.enc)
			if err != nil {
				t.Fatal(err)
			}
			_, perr := c.Payload()
			_, serr := c.Signature()
			if (perr == nil) != m.want || (serr == nil) != m.want {
				t.Errorf("%q in mode %d: payload %v, signature %v, want ok=%v", tc.part, m.enc, perr, serr, m.want)
			}
			if perr != nil && !errors.Is(perr, ErrEncoding) {
				t.Errorf("%q: %v, want ErrEncoding", tc.part, perr)
			}
		}
	}
	c, _ := Split(hdr[:len(hdr)-1]+"R.p.s", Strict)
	if _, err := c.Header(); !errors.Is(err, ErrHeader) {
		t.Errorf("strict header with stray bits: %v", err)
	}
}

func TestHeader(t *testing.T) {
	for _, tc := range []struct {
		json string
		want Header
		err  bool
	}{
		{`{"alg":"ES256","kid":"k1","typ":"at+jwt"}`, Header{Alg: "ES256", Kid: "k1", Typ: "at+jwt"}, false},
		{`{"alg":"ES256","alg":"none"}`, Header{Alg: "none"}, false},
		{`{"ALG":"ES256","Kid":"k1","TYP":"JWT"}`, Header{}, false},
		{`{"alg":"ES256","x":[1,{"y":null}]}`, Header{Alg: "ES256"}, false},
		{`{"alg":"ES256","crit":["exp"]}`, Header{Alg: "ES256", Crit: []byte(`["exp"]`)}, false},
		{`{"alg":"ES256","crit":null}`, Header{Alg: "ES256", Crit: []byte(`null`)}, false},
		{`{"alg":1}`, Header{}, true},
		{`{"kid":["k"]}`, Header{}, true},
		{`{"typ":null}`, Header{}, false},
		{`null`, Header{}, true},
		{`[]`, Header{}, true},
		{`"alg"`, Header{}, true},
		{`{"alg":"ES256"`, Header{}, true},
		{``, Header{}, true},
	} {
		c, err := Split(b64.EncodeToString([]byte(tc.json))+".e30.", Strict)
		if err != nil {
			t.Fatal(err)
		}
		h, err := c.Header()
		if (err != nil) != tc.err {
			t.Errorf("%s: %v, want error %v", tc.json, err, tc.err)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrHeader) {
				t.Errorf("%s: %v, want ErrHeader", tc.json, err)
			}
			continue
		}
		if h.Alg != tc.want.Alg || h.Kid != tc.want.Kid || h.Typ != tc.want.Typ || string(h.Crit) != string(tc.want.Crit) {
			t.Errorf("%s: %+v, want %+v", tc.json, h, tc.want)
		}
		if h.Critical() != (tc.want.Crit != nil) {
			t.Errorf("%s: Critical() = %v", tc.json, h.Critical())
		}
	}
	c, _ := Split("!!.e30.", Strict)
	if _, err := c.Header(); !errors.Is(err, ErrHeader) {
		t.Errorf("header not base64url: %v", err)
	}
}

func TestUnmarshalExact(t *testing.T) {
	var iss string
	var exp float64
	fields := map[string]any{"iss": &iss, "exp": &exp}
	if err := UnmarshalExact([]byte(`{"ISS":"x","iss":"y","exp":3,"Exp":4}`), fields); err != nil || iss != "y" || exp != 3 {
		t.Fatalf("iss %q exp %v: %v", iss, exp, err)
	}
	for _, b := range []string{`null`, `1`, `{"iss":1}`, `{"exp":"3"}`, `{`} {
		if err := UnmarshalExact([]byte(b), fields); err == nil {
			t.Errorf("%s: no error", b)
		}
	}
}

func TestSupported(t *testing.T) {
	for _, alg := range Algorithms {
		if !Supported(alg) {
			t.Errorf("%s not supported", alg)
		}
	}
	for _, alg := range []string{"", "none", "None", "HS256", "es256", "RS1", "ES256K", "A128KW"} {
		if Supported(alg) {
			t.Errorf("%q supported", alg)
		}
	}
}
