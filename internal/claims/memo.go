package claims

import (
	"maps"
	"slices"
	"sync"
)

// A run's claims are a function of the parts of its input that the script
// read, provided the run used nothing else that changes: the sandbox freezes
// every global, so runs share no state, and the run notes the token's jti
// (unique to each token), the clock, Math.random, random bytes, timers and
// fetches. Such a result is kept, per script, under the parts it read; a
// later run on the same parts would take the same paths, read the same
// values and return the same claims, so it is answered from the memo
// instead. At issuance nothing else of a run is seen (its console output is
// not kept), which is why only issuance asks for it (Input.Memoize).

// What a run read and used, as the harness reports it (READ_* in
// js/src/state.js) and the host functions add to it.
const (
	readToken   = 1
	readContext = 2
	readEnv     = 4
	readJTI     = 8
	runVolatile = 16

	readParts = readToken | readContext | readEnv
)

const (
	// memoBudget bounds the bytes one script's memo holds: its keys (the
	// parts of the input) and claims. Past it, random entries go.
	memoBudget = 1 << 20
	// maxReadSets bounds the different read sets a lookup tries; a script
	// whose reads vary more than that keeps the first ones.
	maxReadSets = 4
)

// memo holds the reusable results of one script.
type memo struct {
	mu      sync.Mutex
	sets    []uint8 // the read sets of the entries, in the order first seen
	entries map[memoKey]memoEntry
	bytes   int
}

// memoKey is a read set and the JSON of the parts in it; parts outside it
// are empty.
type memoKey struct {
	reads               uint8
	trigger             string
	token, context, env string
}

// memoEntry is a reusable result: the claims of the access token, those of
// the ID token (an Auth0 Action's) and the names dropped.
type memoEntry struct {
	claims   map[string]any
	idClaims map[string]any
	dropped  []string
	size     int
}

func keyOf(reads uint8, in encodedInput) memoKey {
	k := memoKey{reads: reads, trigger: in.trigger}
	if reads&readToken != 0 {
		k.token = in.token
	}
	if reads&readContext != 0 {
		k.context = in.context
	}
	if reads&readEnv != 0 {
		k.env = in.env
	}
	return k
}

// memoizable reports whether a successful run with these flags depends only
// on the parts of the input it read.
func memoizable(flags int) bool {
	return flags&(readJTI|runVolatile) == 0
}

// lookup returns the claims of a stored run on the same parts of in. The
// map is the caller's; its values are shared.
func (m *memo) lookup(in encodedInput) (memoEntry, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.sets {
		if e, ok := m.entries[keyOf(s, in)]; ok {
			e.claims, e.idClaims = maps.Clone(e.claims), maps.Clone(e.idClaims)
			return e, true
		}
	}
	return memoEntry{}, false
}

// store keeps the result of a reusable run that read reads of in. payload
// is the size of the claims' JSON.
func (m *memo) store(reads uint8, in encodedInput, e memoEntry, payload int) {
	k := keyOf(reads, in)
	size := len(k.token) + len(k.context) + len(k.env) + payload + 128
	if size > memoBudget/8 {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.entries[k]; ok {
		return
	}
	if !slices.Contains(m.sets, reads) {
		if len(m.sets) >= maxReadSets {
			return
		}
		m.sets = append(m.sets, reads)
	}
	if m.entries == nil {
		m.entries = make(map[memoKey]memoEntry)
	}
	for old, e := range m.entries {
		if m.bytes+size <= memoBudget {
			break
		}
		delete(m.entries, old)
		m.bytes -= e.size
	}
	e.claims, e.idClaims, e.size = maps.Clone(e.claims), maps.Clone(e.idClaims), size
	m.entries[k] = e
	m.bytes += size
}
