package token

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/monban/monban/internal/keys"
)

// FuzzVerify signs arbitrary headers and payloads with the current key,
// optionally corrupts the token, and verifies it with KeyVerifier. Any
// token it accepts must verify with go-jose too, with the algorithm pinned
// to the key's, and carry the claims Verify returns under their exact names.
func FuzzVerify(f *testing.F) {
	set := newSet(f, keys.EdDSA)
	k := set.Current
	now := time.Unix(1_800_000_000, 0)
	v := &KeyVerifier{Issuer: issuer, Keys: func() *keys.Set { return set }, Now: func() time.Time { return now }}
	good := `{"iss":"` + issuer + `","sub":"app","aud":"https://api","exp":1800003600,"iat":1800000000,"scope":"a b","jti":"j","client_id":"app"}`
	hdr := `{"alg":"EdDSA","kid":"` + k.ID + `","typ":"at+jwt"}`
	f.Add(hdr, good, []byte(nil))
	f.Add(`{"alg":"EdDSA","kid":"`+k.ID+`","typ":"JWT"}`, good, []byte(nil))
	f.Add(`{"alg":"ES256","kid":"`+k.ID+`","typ":"at+jwt"}`, good, []byte(nil))
	f.Add(`{"alg":"none","kid":"`+k.ID+`","typ":"at+jwt"}`, good, []byte(nil))
	f.Add(`{"alg":"EdDSA","kid":"`+k.ID+`","typ":"at+jwt","crit":["b64"]}`, good, []byte(nil))
	f.Add(`{"ALG":"EdDSA","KID":"`+k.ID+`","TYP":"at+jwt"}`, good, []byte(nil))
	f.Add(hdr, `{"iss":"`+issuer+`","exp":"1800003600"}`, []byte(nil))
	f.Add(hdr, `{"iss":"`+issuer+`","exp":1e300,"aud":["a",1]}`, []byte(nil))
	f.Add(hdr, `{"ISS":"`+issuer+`","exp":1800003600}`, []byte(nil))
	f.Add(hdr, `null`, []byte(nil))
	f.Add(hdr, good, []byte{3, 'A', 90, '.'})
	f.Fuzz(func(t *testing.T, header, payload string, tamper []byte) {
		b64 := base64.RawURLEncoding
		input := b64.EncodeToString([]byte(header)) + "." + b64.EncodeToString([]byte(payload))
		sig, err := signBytes(k, []byte(input))
		if err != nil {
			t.Fatal(err)
		}
		tok := []byte(input + "." + b64.EncodeToString(sig))
		for i := 0; i+1 < len(tamper); i += 2 {
			tok[int(tamper[i])%len(tok)] = tamper[i+1]
		}
		c, err := v.Verify(string(tok))
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error %v is not ErrInvalid", err)
			}
			return
		}
		jws, err := jose.ParseSignedCompact(string(tok), []jose.SignatureAlgorithm{jose.SignatureAlgorithm(k.Algorithm)})
		if err != nil {
			t.Fatalf("accepted, but go-jose cannot parse it: %v", err)
		}
		body, err := jws.Verify(k.Public)
		if err != nil || jws.Signatures[0].Header.KeyID != k.ID {
			t.Fatalf("accepted, but go-jose does not verify it: %v", err)
		}
		var m map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("accepted a payload that is not an object: %v", err)
		}
		if m["iss"] != issuer || c.Issuer != issuer {
			t.Fatalf("accepted iss %v", m["iss"])
		}
		if _, ok := m["exp"].(json.Number); !ok {
			t.Fatalf("accepted exp %v", m["exp"])
		}
	})
}

// FuzzMintAccess mints access tokens with arbitrary extra claims (what a
// custom claims script returns) and checks that none of them replaces a
// registered claim: read back by their exact names, and by a reader that
// matches names in any case (encoding/json into a struct, as many JWT
// libraries do), the registered claims are the ones the server set.
func FuzzMintAccess(f *testing.F) {
	set := newSet(f, keys.EdDSA)
	signer := NewSigner(set.Current)
	f.Add(`{"tier":"gold"}`)
	f.Add(`{"sub":"admin","aud":"https://other","scope":"all","exp":99999999999}`)
	f.Add(`{"Sub":"admin","AUD":"https://other","Scope":"all","EXP":99999999999,"Iss":"https://evil","client_ID":"x","JTI":"j"}`)
	f.Add(`{"ſcope":"all","K":1}`)
	f.Add(`{"__proto__":{"isAdmin":true},"nested":{"iss":"x"}}`)
	f.Fuzz(func(t *testing.T, extraJSON string) {
		var extra map[string]any
		dec := json.NewDecoder(strings.NewReader(extraJSON))
		dec.UseNumber()
		if err := dec.Decode(&extra); err != nil {
			return
		}
		a := Access{Issuer: issuer, Subject: "app1", Audience: "https://shopping.api", ClientID: "app1",
			Scope: "read", IssuedAt: time.Unix(1_800_000_000, 0), TTL: time.Hour, Extra: extra}
		tok, exp, err := MintAccess(signer, a, "jti-1")
		if err != nil {
			return // a value that does not encode (e.g. a bad json.Number) refuses issuance
		}
		payload, err := base64.RawURLEncoding.DecodeString(strings.Split(tok, ".")[1])
		if err != nil {
			t.Fatal(err)
		}
		var exact map[string]any
		if err := json.Unmarshal(payload, &exact); err != nil {
			t.Fatalf("payload %s: %v", payload, err)
		}
		var folded struct {
			Iss, Sub, Aud, Scope, Jti string
			ClientID                  string `json:"client_id"`
			Exp, Iat                  float64
		}
		if err := json.Unmarshal(payload, &folded); err != nil {
			t.Fatalf("payload %s: %v", payload, err)
		}
		want := map[string]any{"iss": issuer, "sub": "app1", "aud": "https://shopping.api", "scope": "read",
			"client_id": "app1", "jti": "jti-1", "exp": float64(exp.Unix()), "iat": float64(1_800_000_000)}
		for name, w := range want {
			if exact[name] != w {
				t.Fatalf("%s = %v, want %v (payload %s)", name, exact[name], w, payload)
			}
		}
		got := map[string]any{"iss": folded.Iss, "sub": folded.Sub, "aud": folded.Aud, "scope": folded.Scope,
			"client_id": folded.ClientID, "jti": folded.Jti, "exp": folded.Exp, "iat": folded.Iat}
		for name, w := range want {
			if got[name] != w {
				t.Fatalf("a case-insensitive reader sees %s = %v, want %v (payload %s)", name, got[name], w, payload)
			}
		}
	})
}
