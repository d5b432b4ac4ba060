package interaction

import (
	"github.com/monban/monban/internal/randid"
	"github.com/monban/monban/internal/store"
)

// The verification record types the hosted pages make, as Logto names
// them (context.interaction's verificationRecords).
const (
	RecordPassword              = "Password"
	RecordEmailVerificationCode = "EmailVerificationCode"
	RecordPhoneVerificationCode = "PhoneVerificationCode"
	// RecordSocial and RecordEnterpriseSso: an identity proved by an
	// upstream provider (a social or an enterprise SSO connector).
	RecordSocial        = "Social"
	RecordEnterpriseSso = "EnterpriseSso"
	// RecordSignInPasskey: a passkey (a discoverable WebAuthn
	// credential) signed the account in, as Logto's passkey sign-in
	// records it.
	RecordSignInPasskey = "SignInPasskey"
	// The second factors' records (package mfa makes them).
	RecordTotp       = "Totp"
	RecordBackupCode = "BackupCode"
	RecordWebAuthn   = "WebAuthn"
)

// IsMFARecord reports whether typ is a second factor's record type.
func IsMFARecord(typ string) bool {
	return typ == RecordTotp || typ == RecordBackupCode || typ == RecordWebAuthn
}

// MFARecord is the record of a second factor of type typ (Totp,
// BackupCode, WebAuthn) verified or bound for the account userID.
func MFARecord(typ, userID string) Record {
	return Record{ID: randid.ID(), Type: typ, UserID: userID, Verified: true}
}

// MFAVerifiedRecord is the interaction's verified second factor's record,
// if it has one.
func (it *Interaction) MFAVerifiedRecord() (Record, bool) {
	for _, r := range it.Records {
		if IsMFARecord(r.Type) && r.Verified {
			return r, true
		}
	}
	return Record{}, false
}

// Record is one verification record: how the person proved an
// identifier. Its fields are Logto's.
type Record = store.Verification

// PasswordRecord is the record of a password checked for identifier of
// identifierType.
func PasswordRecord(id, identifierType, identifier string) Record {
	return Record{ID: id, Type: RecordPassword, IdentifierType: identifierType, IdentifierValue: identifier, Verified: true}
}

// PasskeyRecord is the record of a passkey sign-in.
func PasskeyRecord() Record {
	return Record{ID: randid.ID(), Type: RecordSignInPasskey, Verified: true}
}

// CodeRecord is the record of a one-time code verified for the
// interaction's identifier (an e-mail address or phone number), sent for
// templateType (Logto's template usage type: SignIn, Register,
// ForgotPassword).
func (it *Interaction) CodeRecord(templateType string) Record {
	typ := RecordEmailVerificationCode
	if it.IdentifierType == "phone" {
		typ = RecordPhoneVerificationCode
	}
	return Record{ID: randid.ID(), Type: typ, TemplateType: templateType,
		IdentifierType: it.IdentifierType, IdentifierValue: it.Identifier, Verified: true}
}

// SignInRecord is what the session and the grants of a done interaction
// keep of it, for the custom claims scripts' context.interaction: the
// event and every verification record; its first fields describe the
// first record, as a password sign-in's always did.
func (it *Interaction) SignInRecord() store.SignInRecord {
	rec := store.SignInRecord{Event: string(it.event()), Verifications: append([]store.Verification(nil), it.Records...)}
	if len(it.Records) > 0 {
		first := it.Records[0]
		rec.VerificationID, rec.IdentifierType, rec.IdentifierValue = first.ID, first.IdentifierType, first.IdentifierValue
	}
	return rec
}

// ACRMultiFactor is the authentication context class of a sign-in that
// verified a second factor: the value an authorization request names in
// acr_values to require one, and the acr claim of its tokens (as
// Auth0's).
const ACRMultiFactor = "http://schemas.openid.net/pape/policies/2007/06/multi-factor"

// HasMFA reports whether recs hold a verified second factor.
func HasMFA(recs []store.Verification) bool {
	for _, r := range recs {
		if IsMFARecord(r.Type) && r.Verified {
			return true
		}
	}
	return false
}

// AMR is the authentication methods references (RFC 8176) of a sign-in
// of records recs, for the tokens' amr claim: "pwd" for a password, "otp"
// for a one-time code (sent by e-mail or SMS, "sms" too for the latter,
// or from an authenticator app, or a backup code), "hwk" for a WebAuthn
// authenticator ("user" too for a passkey sign-in: its authenticator
// verified the person), and "mfa" when a second factor was verified
// besides the first. Each once, in this order; nil for none.
func AMR(recs []store.Verification) []string {
	has := map[string]bool{}
	for _, r := range recs {
		if !r.Verified {
			continue
		}
		switch r.Type {
		case RecordPassword:
			has["pwd"] = true
		case RecordEmailVerificationCode, RecordTotp, RecordBackupCode:
			has["otp"] = true
		case RecordPhoneVerificationCode:
			has["otp"], has["sms"] = true, true
		case RecordWebAuthn:
			has["hwk"] = true
		case RecordSignInPasskey: // a passkey alone, its user verified by the authenticator
			has["hwk"], has["user"] = true, true
		}
	}
	if HasMFA(recs) {
		has["mfa"] = true
	}
	var out []string
	for _, m := range []string{"pwd", "otp", "sms", "hwk", "user", "mfa"} {
		if has[m] {
			out = append(out, m)
		}
	}
	return out
}
