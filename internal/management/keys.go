package management

import (
	"cmp"
	"errors"
	"net/http"
	"slices"

	"github.com/monban/monban/internal/httpjson"
	"github.com/monban/monban/internal/keys"
	"github.com/monban/monban/internal/store"
)

// keyJSON is a signing key's metadata, in Logto's shape. Key material never
// leaves the server through this API.
type keyJSON struct {
	ID        string `json:"id"`
	Algorithm string `json:"signingKeyAlgorithm"`
	Status    string `json:"status"` // Next, Current or Previous
	CreatedAt int64  `json:"createdAt"`
}

var keyStatusNames = map[store.KeyStatus]string{
	store.KeyNext:     "Next",
	store.KeyCurrent:  "Current",
	store.KeyPrevious: "Previous",
}

var keyStatusOrder = map[store.KeyStatus]int{store.KeyNext: 0, store.KeyCurrent: 1, store.KeyPrevious: 2}

func keysOut(list []store.SigningKey) []keyJSON {
	// Next, then current, then previous, newest first within each: the
	// order of a key's life.
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b store.SigningKey) int {
		if c := cmp.Compare(keyStatusOrder[a.Status], keyStatusOrder[b.Status]); c != 0 {
			return c
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	out := make([]keyJSON, len(list))
	for i, k := range list {
		status := keyStatusNames[k.Status]
		if status == "" {
			status = string(k.Status)
		}
		out[i] = keyJSON{ID: k.ID, Algorithm: k.Algorithm, Status: status, CreatedAt: ms(k.CreatedAt)}
	}
	return out
}

func (s *server) listKeys(w http.ResponseWriter, r *http.Request) error {
	list, err := s.Keys.ListKeys(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, keysOut(list))
	return nil
}

// rotateKey makes a new current key; the old one stays published as
// previous until no token it signed can still be valid. The body is
// optional: without signingKeyAlgorithm the current algorithm is kept.
func (s *server) rotateKey(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Algorithm *string `json:"signingKeyAlgorithm"`
	}
	if err := decode(w, r, &body); err != nil && !errors.Is(err, httpjson.ErrEmptyBody) {
		return err
	}
	alg := ""
	if body.Algorithm != nil {
		alg = *body.Algorithm
		if !keys.Supported(alg) {
			return invalid("signingKeyAlgorithm must be one of ES256, ES384, RS256, EdDSA")
		}
	}
	if err := s.Keys.RotateKey(r.Context(), alg); err != nil {
		if errors.Is(err, ErrUnsupportedAlgorithm) {
			return invalid("signingKeyAlgorithm must be one of ES256, ES384, RS256, EdDSA")
		}
		return err
	}
	s.changed(r)
	list, err := s.Keys.ListKeys(r.Context())
	if err != nil {
		return err
	}
	httpjson.Write(w, http.StatusOK, keysOut(list))
	return nil
}
