package interaction

import "errors"

// Refusals of a user code typed at the device verification page (RFC 8628
// §3.3): the protocol core checks the code, the pages word the refusal.
// A code whose device request expired is ErrExpired, one already allowed
// or denied ErrUsed.
var (
	// ErrUserCode: no device request has the code.
	ErrUserCode = errors.New("interaction: unknown user code")
	// ErrUserCodeLimited: this address typed too many wrong codes; it
	// waits before trying again.
	ErrUserCodeLimited = errors.New("interaction: too many wrong user codes")
	// ErrSignInRequired: deciding a device request needs a signed-in
	// browser.
	ErrSignInRequired = errors.New("interaction: not signed in")
)
