package signin

// The passkey pages' words, added to both catalogs.
var passkeyMessages = map[string]map[string]string{
	"en": {
		"passkey_sign_in":         "Sign in with a passkey",
		"passkey_name":            "Name of this passkey (optional)",
		"passkey_needs_script":    "Passkeys need JavaScript: turn it on for this page, or sign in another way.",
		"err_passkey_script":      "Your browser did not send a passkey. Passkeys need JavaScript: turn it on for this page, or sign in another way.",
		"err_passkey_cancelled":   "The passkey was not used. Try again, or sign in another way.",
		"err_passkey_unsupported": "This browser cannot use passkeys. Sign in another way.",
		"err_passkey_expired":     "The passkey request has expired or was used already. Try again.",
		"err_passkey_unknown":     "This passkey is not registered here. Sign in another way.",
		"err_passkey_failed":      "The passkey could not be verified. Try again, or sign in another way.",
		"mfa_use_passkey":         "Use a passkey or security key",
		"mfa_add_passkey":         "Add a passkey or security key",
		"mfa_passkey_enroll_hint": "Your device asks you to create a passkey (with your fingerprint, face or screen lock) or to touch your security key.",
	},
	"ja": {
		"passkey_sign_in":         "パスキーでサインイン",
		"passkey_name":            "このパスキーの名前(任意)",
		"passkey_needs_script":    "パスキーを使うには JavaScript が必要です。このページで有効にするか、別の方法でサインインしてください。",
		"err_passkey_script":      "ブラウザからパスキーが送信されませんでした。パスキーを使うには JavaScript が必要です。有効にするか、別の方法でサインインしてください。",
		"err_passkey_cancelled":   "パスキーは使用されませんでした。もう一度お試しいただくか、別の方法でサインインしてください。",
		"err_passkey_unsupported": "このブラウザはパスキーに対応していません。別の方法でサインインしてください。",
		"err_passkey_expired":     "パスキーの要求が期限切れか、すでに使用されています。もう一度お試しください。",
		"err_passkey_unknown":     "このパスキーはここに登録されていません。別の方法でサインインしてください。",
		"err_passkey_failed":      "パスキーを確認できませんでした。もう一度お試しいただくか、別の方法でサインインしてください。",
		"mfa_use_passkey":         "パスキーまたはセキュリティキーを使う",
		"mfa_add_passkey":         "パスキーまたはセキュリティキーを追加",
		"mfa_passkey_enroll_hint": "デバイスがパスキーの作成(指紋・顔認証・画面ロック)またはセキュリティキーへのタッチを求めます。",
	},
}

func init() {
	for lang, m := range passkeyMessages {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
