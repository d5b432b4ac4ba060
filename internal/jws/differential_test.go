package jws

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// joseVerify verifies tok with go-jose, the algorithm pinned to k's: the
// reference this package is compared with.
func joseVerify(tok string, k testKey) (kid string, payload []byte, err error) {
	obj, err := jose.ParseSignedCompact(tok, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(k.alg)})
	if err != nil {
		return "", nil, err
	}
	payload, err = obj.Verify(k.public())
	if err != nil {
		return "", nil, err
	}
	return obj.Signatures[0].Header.KeyID, payload, nil
}

// canonical re-encodes each part of tok that decodes (leniently) as
// base64url in its one canonical encoding, without stray bits.
func canonical(tok string) string {
	parts := strings.Split(tok, ".")
	for i, p := range parts {
		if b, err := b64.DecodeString(p); err == nil {
			parts[i] = b64.EncodeToString(b)
		}
	}
	return strings.Join(parts, ".")
}

// agree checks that this package and go-jose agree on tok: both accept it
// with the same kid and payload, or both refuse it.
//
// They differ, by design, on one point: go-jose reads base64url with stray
// bits and then checks the signature over its own re-encoding of the
// header and payload, so it accepts a token that is not in canonical form
// if that form verifies. Strict refuses every such token; Lenient reads
// stray bits but checks the signature over the bytes received. So on a
// canonical token Strict, Lenient and go-jose all agree; on any other,
// Strict refuses it, go-jose decides as Strict does on the canonical form,
// and what Lenient accepts go-jose accepts too.
func agree(t testing.TB, tok string, k testKey) (accepted bool) {
	t.Helper()
	canon := canonical(tok)
	sh, sp, serr := verifyToken(canon, Strict, k)
	kid, want, jerr := joseVerify(tok, k)
	if (serr == nil) != (jerr == nil) {
		t.Fatalf("%s token %q: jws says %v, go-jose says %v", k.alg, tok, serr, jerr)
	}
	if serr == nil && (!bytes.Equal(sp, want) || sh.Kid != kid) {
		t.Fatalf("%s token %q: jws read kid %q payload %q, go-jose kid %q payload %q", k.alg, tok, sh.Kid, sp, kid, want)
	}
	if canon != tok {
		if _, _, err := verifyToken(tok, Strict, k); err == nil {
			t.Fatalf("%s token %q is not canonical but was accepted", k.alg, tok)
		}
	}
	lh, lp, lerr := verifyToken(tok, Lenient, k)
	if canon == tok && (lerr == nil) != (serr == nil) {
		t.Fatalf("%s token %q: lenient says %v, strict says %v", k.alg, tok, lerr, serr)
	}
	if lerr == nil && (jerr != nil || !bytes.Equal(lp, want) || lh.Kid != kid) {
		t.Fatalf("%s token %q: accepted leniently (kid %q payload %q), go-jose says %v", k.alg, tok, lh.Kid, lp, jerr)
	}
	return jerr == nil
}

const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// mutate changes tok in one of the ways an attacker or a broken client
// might: a character replaced, dropped or added, a part swapped, the
// header re-encoded with another algorithm, stray bits, padding, spaces.
func mutate(r *rand.Rand, tok string, other string) string {
	parts := strings.Split(tok, ".")
	switch r.IntN(11) {
	case 0:
		return tok
	case 1:
		i := r.IntN(len(tok))
		return tok[:i] + string(alphabet[r.IntN(len(alphabet))]) + tok[i+1:]
	case 2:
		return tok[:r.IntN(len(tok))]
	case 3:
		i := r.IntN(len(tok) + 1)
		return tok[:i] + string((alphabet + ".= +/")[r.IntN(len(alphabet)+5)]) + tok[i:]
	case 4:
		o := strings.Split(other, ".")
		parts[r.IntN(3)] = o[r.IntN(3)]
	case 5:
		alg := append(Algorithms, "none", "HS256", "")[r.IntN(len(Algorithms)+3)]
		parts[0] = b64.EncodeToString([]byte(`{"alg":"` + alg + `","kid":"k"}`))
		if alg == "none" && r.IntN(2) == 0 {
			parts[2] = ""
		}
	case 6:
		// Stray bits: the last character of a part moved to a neighbour
		// that decodes to the same bytes, or not.
		i := r.IntN(3)
		if p := parts[i]; p != "" {
			c := strings.IndexByte(alphabet, p[len(p)-1])
			parts[i] = p[:len(p)-1] + string(alphabet[(c+1)%len(alphabet)])
		}
	case 7:
		parts[r.IntN(3)] += "=="
	case 8:
		return " " + tok
	case 9:
		parts[0] = b64.EncodeToString([]byte(`{"alg":"` + strings.Split(other, ".")[0] + `","crit":["b"]}`))
	case 10:
		parts[1] = ""
	}
	return strings.Join(parts, ".")
}

func randomPayload(r *rand.Rand) string {
	switch r.IntN(4) {
	case 0:
		return ""
	case 1:
		b := make([]byte, r.IntN(64))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return string(b)
	}
	m := map[string]any{"sub": fmt.Sprint(r.Uint64()), "exp": r.Int64N(1 << 40), "scope": "a b"}
	for i := r.IntN(5); i > 0; i-- {
		m[fmt.Sprintf("c%d", r.IntN(100))] = strings.Repeat("x", r.IntN(200))
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// TestDifferential checks valid tokens of every algorithm (signed by Sign
// and by go-jose) and mutations of them: this package and go-jose agree
// on each, accept or refuse, and on what an accepted token says.
func TestDifferential(t *testing.T) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 1))
	n := 30
	if testing.Short() {
		n = 8
	}
	ks := testKeys(t)
	accepted, refused := 0, 0
	for _, k := range ks {
		var prev string
		for i := 0; i < n; i++ {
			var tok string
			if signable(k.alg) && i%2 == 0 {
				tok = compact(t, k, header(k.alg, fmt.Sprint("k", i)), randomPayload(r))
			} else {
				tok = joseToken(t, k, randomPayload(r))
			}
			if !agree(t, tok, k) {
				t.Fatalf("%s: valid token refused: %q", k.alg, tok)
			}
			if prev == "" {
				prev = tok
			}
			for j := 0; j < 8; j++ {
				if agree(t, mutate(r, tok, prev), k) {
					accepted++
				} else {
					refused++
				}
			}
			prev = tok
		}
	}
	t.Logf("%d mutated tokens accepted (unchanged or equivalent), %d refused", accepted, refused)
}
