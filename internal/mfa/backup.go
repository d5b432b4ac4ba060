package mfa

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// BackupCodes is the recovery factor: BackupCodeCount single-use codes
// of ten hexadecimal digits (Logto's), shown once when bound and kept
// only as salted SHA-256 digests. Each holds 40 random bits, beyond
// guessing under the back-off.
type BackupCodes struct{}

// BackupCodeCount is how many codes a set holds.
const BackupCodeCount = 10

// backupData is the stored document of a set of backup codes.
type backupData struct {
	Salt  []byte       `json:"salt"`
	Codes []backupCode `json:"codes"`
}

type backupCode struct {
	Hash   []byte `json:"hash"`
	UsedAt int64  `json:"usedAt,omitempty"` // Unix seconds; 0: unused
}

// Type is BackupCode.
func (BackupCodes) Type() string { return TypeBackupCode }

// Single: a user holds one set of backup codes.
func (BackupCodes) Single() bool { return true }

// BeginBind makes a new set; the page shows the codes ("codes", one a
// line).
func (BackupCodes) BeginBind(context.Context, Subject, string) ([]byte, Shown, error) {
	codes := NewBackupCodes()
	return []byte(strings.Join(codes, "\n")), Shown{"codes": strings.Join(codes, "\n")}, nil
}

// FinishBind keeps the digests of the codes shown; the codes are handed
// back to be shown once more.
func (BackupCodes) FinishBind(_ context.Context, _ Subject, state []byte, _ url.Values, _ time.Time) ([]byte, []string, error) {
	codes := strings.Split(string(state), "\n")
	data, err := BackupCodeData(codes)
	return data, codes, err
}

// Verify strikes out the code given, if it is one of the unused ones.
func (BackupCodes) Verify(_ context.Context, _ Subject, data []byte, answer url.Values, now time.Time) ([]byte, error) {
	var d backupData
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("mfa: malformed backup code document: %w", err)
	}
	code := normalizeBackupCode(answer.Get("code"))
	if len(code) != 10 {
		return nil, ErrWrongAnswer
	}
	h := backupHash(d.Salt, code)
	hit := -1
	for i, c := range d.Codes {
		if subtle.ConstantTimeCompare(c.Hash, h) == 1 && c.UsedAt == 0 {
			hit = i
		}
	}
	if hit < 0 {
		return nil, ErrWrongAnswer
	}
	d.Codes[hit].UsedAt = now.Unix()
	return json.Marshal(d)
}

// NewBackupCodes is a new set of codes.
func NewBackupCodes() []string {
	codes := make([]string, BackupCodeCount)
	for i := range codes {
		var b [5]byte
		_, _ = rand.Read(b[:])
		codes[i] = hex.EncodeToString(b[:])
	}
	return codes
}

// ValidBackupCodes reports whether codes is a set in Logto's form: ten
// codes of ten hexadecimal digits.
func ValidBackupCodes(codes []string) bool {
	if len(codes) != BackupCodeCount {
		return false
	}
	for _, c := range codes {
		if len(c) != 10 || strings.Trim(strings.ToLower(c), "0123456789abcdef") != "" {
			return false
		}
	}
	return true
}

// Spent reports whether every code of the set data is used: a new set
// may replace it.
func (BackupCodes) Spent(data []byte) bool { return BackupCodesLeft(data) == 0 }

// BackupCodeData is the stored document of codes.
func BackupCodeData(codes []string) ([]byte, error) {
	var salt [16]byte
	_, _ = rand.Read(salt[:])
	d := backupData{Salt: salt[:]}
	for _, c := range codes {
		c = normalizeBackupCode(c)
		if len(c) != 10 || strings.Trim(c, "0123456789abcdef") != "" {
			return nil, fmt.Errorf("mfa: a backup code is ten hexadecimal digits")
		}
		d.Codes = append(d.Codes, backupCode{Hash: backupHash(salt[:], c)})
	}
	return json.Marshal(d)
}

// BackupCodesLeft is how many unused codes the document data holds (for
// the APIs' listings).
func BackupCodesLeft(data []byte) int {
	var d backupData
	if json.Unmarshal(data, &d) != nil {
		return 0
	}
	n := 0
	for _, c := range d.Codes {
		if c.UsedAt == 0 {
			n++
		}
	}
	return n
}

func normalizeBackupCode(c string) string {
	c = strings.ToLower(strings.TrimSpace(c))
	return strings.NewReplacer("-", "", " ", "").Replace(c)
}

func backupHash(salt []byte, code string) []byte {
	h := sha256.New()
	h.Write(salt)
	h.Write([]byte(code))
	return h.Sum(nil)
}
