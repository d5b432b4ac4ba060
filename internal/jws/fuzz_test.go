package jws

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// seeds adds real tokens to f: one of each algorithm, signed by Sign where
// it can and by go-jose, and a few broken ones.
func seeds(f *testing.F, add func(tok string, key int)) {
	for i, k := range testKeys(f) {
		add(joseToken(f, k, `{"iss":"https://id.example","sub":"u1","exp":1800003600}`), i)
		if signable(k.alg) {
			tok := compact(f, k, header(k.alg, k.kid), `{"sub":"app","scope":"a b"}`)
			add(tok, i)
			add(tok[:len(tok)-1], i)
			add(strings.Replace(tok, ".", "..", 1), i)
			add(b64.EncodeToString([]byte(`{"alg":"none"}`))+"."+strings.Split(tok, ".")[1]+".", i)
			add(b64.EncodeToString([]byte(`{"alg":"`+k.alg+`","crit":["b64"],"b64":false}`))+"."+strings.Split(tok, ".")[1]+"."+strings.Split(tok, ".")[2], i)
		}
	}
	add("", 0)
	add("..", 0)
	add("e30.e30.", 0)
}

// FuzzParse splits and decodes arbitrary input: no panic, the parts make
// up the input, and Strict accepts a subset of what Lenient does, reading
// the same bytes.
func FuzzParse(f *testing.F) {
	seeds(f, func(tok string, _ int) { f.Add(tok) })
	f.Fuzz(func(t *testing.T, raw string) {
		s, serr := Split(raw, Strict)
		l, lerr := Split(raw, Lenient)
		if (serr == nil) != (lerr == nil) {
			t.Fatalf("Split: strict %v, lenient %v", serr, lerr)
		}
		if serr != nil {
			if !errors.Is(serr, ErrMalformed) && !errors.Is(serr, ErrTooLong) {
				t.Fatalf("Split: %v", serr)
			}
			return
		}
		if len(raw) > MaxLen || strings.Count(raw, ".") != 2 {
			t.Fatalf("Split accepted %d bytes with %d dots", len(raw), strings.Count(raw, "."))
		}
		in := s.SigningInput()
		if !strings.HasPrefix(raw, in+".") || !strings.HasPrefix(in, s.RawHeader()+".") || strings.Contains(s.RawHeader(), ".") {
			t.Fatalf("parts of %q: header %q, input %q", raw, s.RawHeader(), in)
		}
		sh, sherr := s.Header()
		lh, lherr := l.Header()
		if sherr == nil && (lherr != nil || sh.Alg != lh.Alg || sh.Kid != lh.Kid || sh.Typ != lh.Typ || !bytes.Equal(sh.Crit, lh.Crit)) {
			t.Fatalf("header: strict %+v, lenient %+v %v", sh, lh, lherr)
		}
		for _, get := range []func(Compact) ([]byte, error){Compact.Payload, Compact.Signature} {
			sb, err := get(s)
			lb, lerr := get(l)
			if err == nil && (lerr != nil || !bytes.Equal(sb, lb)) {
				t.Fatalf("part: strict %q, lenient %q %v", sb, lb, lerr)
			}
			if err != nil && !errors.Is(err, ErrEncoding) {
				t.Fatalf("part: %v", err)
			}
		}
	})
}

// FuzzVerify verifies arbitrary tokens with one of the test keys, the
// algorithm pinned to the key's, and checks the verdict against go-jose's
// (see agree).
func FuzzVerify(f *testing.F) {
	seeds(f, func(tok string, key int) { f.Add(tok, uint8(key)) })
	ks := testKeys(f)
	f.Fuzz(func(t *testing.T, tok string, key uint8) {
		agree(t, tok, ks[int(key)%len(ks)])
	})
}
