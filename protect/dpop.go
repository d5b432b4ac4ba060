package protect

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/monban/monban/internal/dpop"
	"github.com/monban/monban/internal/replay"
)

// DPoP (RFC 9449). A token Monban bound to a client's key (its cnf.jkt,
// issued with token_type DPoP) is accepted only in the DPoP scheme,
//
//	Authorization: DPoP <token>
//	DPoP: <proof>
//
// with a proof signed by that key for this request: its htm the request's
// method, its htu the request's URL (without query and fragment, as
// Config.PublicURL makes it), its ath the token's hash, its iat within the
// last minute, and its jti not seen before in that time. A bearer token
// sent in the DPoP scheme, or a bound one in the Bearer scheme, is
// refused. With Config.RequireDPoP, bearer tokens are refused altogether.
// Unbound tokens in the Bearer scheme cost what they did: the checks above
// run only for the DPoP scheme or a bound token.

// DefaultDPoPReplaySize is how many proofs' jti a Verifier remembers by
// default: the proofs of a minute at over a thousand requests a second.
const DefaultDPoPReplaySize = 1 << 16

// dpopWindow is how old a proof may be.
const dpopWindow = dpop.DefaultWindow

// VerifyDPoP checks a DPoP-bound access token and its proof, for a request
// with method to url (the URL the client sent it to; query and fragment
// are ignored). A token that is not bound is refused: use Verify. Errors
// wrap ErrInvalidToken (with ErrInvalidDPoPProof for the proof's faults)
// or ErrUnavailable.
func (v *Verifier) VerifyDPoP(ctx context.Context, token, proof, method, url string) (*Claims, error) {
	c, err := v.Verify(ctx, token)
	if err != nil {
		return nil, err
	}
	if c.DPoPKey == "" {
		return nil, invalid("the token is not bound to a DPoP key: use the Bearer scheme")
	}
	if err := v.checkProof(ctx, c, token, proof, method, url); err != nil {
		return nil, err
	}
	return c, nil
}

// ErrInvalidDPoPProof is wrapped by the errors of a missing, malformed or
// misdirected DPoP proof, besides ErrInvalidToken.
var ErrInvalidDPoPProof = errors.New("invalid DPoP proof")

type proofError struct{ desc string }

func (e *proofError) Error() string { return "protect: " + ErrInvalidDPoPProof.Error() + ": " + e.desc }
func (e *proofError) Is(target error) bool {
	return target == ErrInvalidDPoPProof || target == ErrInvalidToken
}

func invalidProof(desc string) error { return &proofError{desc} }

// checkProof checks proof against the bound token c.
func (v *Verifier) checkProof(ctx context.Context, c *Claims, token, proof, method, url string) error {
	if proof == "" {
		return invalidProof("a DPoP proof is required")
	}
	p, err := dpop.Check(proof, dpop.Expect{Method: method, URL: url, AccessToken: token, Window: dpopWindow, Leeway: v.proofLeeway()}, v.now())
	if err != nil {
		var de *dpop.Error
		if errors.As(err, &de) {
			return invalidProof(de.Desc)
		}
		return invalidProof("invalid DPoP proof")
	}
	if subtle.ConstantTimeCompare([]byte(p.JKT), []byte(c.DPoPKey)) != 1 {
		return invalidProof("the DPoP proof is not signed by the key the token is bound to")
	}
	if err := v.proofs.UseOnce(ctx, p.ReplayID(), p.Until); err != nil {
		return invalidProof("the DPoP proof was used before")
	}
	return nil
}

func (v *Verifier) proofLeeway() time.Duration {
	if v.leeway > 0 && v.leeway < dpop.DefaultLeeway {
		return v.leeway
	}
	return dpop.DefaultLeeway
}

// requestURL is the URL a request was sent to, for a proof's htu: by
// Config.PublicURL, or from the request (https when it came over TLS, its
// Host and path).
func (v *Verifier) requestURL(r *http.Request) string {
	if v.publicURL != nil {
		return v.publicURL(r)
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + r.URL.EscapedPath()
}

// authenticateDPoP checks the DPoP side of a request whose token verified
// as c: the scheme must match the token's binding and a bound token must
// come with a valid proof. On failure it writes the answer and returns
// false.
func (v *Verifier) authenticateDPoP(w http.ResponseWriter, r *http.Request, token string, c *Claims, scheme bool) bool {
	switch {
	case !scheme && c.DPoPKey == "" && v.requireDPoP:
		v.dpopFail(w, http.StatusUnauthorized, "invalid_token", "a DPoP-bound token is required")
		return false
	case !scheme:
		v.dpopFail(w, http.StatusUnauthorized, "invalid_token", "the token is bound to a DPoP key: use the DPoP scheme with a proof")
		return false
	case c.DPoPKey == "":
		v.dpopFail(w, http.StatusUnauthorized, "invalid_token", "the token is not bound to a DPoP key")
		return false
	}
	proofs := r.Header.Values("DPoP")
	if len(proofs) > 1 {
		v.dpopFail(w, http.StatusBadRequest, "invalid_dpop_proof", "more than one DPoP header")
		return false
	}
	proof := ""
	if len(proofs) == 1 {
		proof = proofs[0]
	}
	if err := v.checkProof(r.Context(), c, token, proof, r.Method, v.requestURL(r)); err != nil {
		var pe *proofError
		errors.As(err, &pe)
		v.dpopFail(w, http.StatusUnauthorized, "invalid_dpop_proof", pe.desc)
		return false
	}
	return true
}

// dpopFail answers with an error and a DPoP challenge (RFC 9449 §7.1).
func (v *Verifier) dpopFail(w http.ResponseWriter, status int, code, desc string) {
	var b strings.Builder
	b.WriteString(`DPoP algs="`)
	b.WriteString(strings.Join(dpop.Algorithms, " "))
	b.WriteString(`", error="`)
	b.WriteString(code)
	b.WriteString(`", error_description=`)
	b.WriteString(quote(desc))
	w.Header().Set("WWW-Authenticate", b.String())
	writeJSON(w, status, code, desc)
}

// newProofCache is the replay record of a Verifier's proofs.
func newProofCache(size int, now func() time.Time) replay.Cache {
	if size <= 0 {
		size = DefaultDPoPReplaySize
	}
	return replay.NewMemory(size, now)
}
