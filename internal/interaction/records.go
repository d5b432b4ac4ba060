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
