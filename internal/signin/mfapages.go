package signin

// The second-factor screens and their words, kept beside the other
// screens and catalogs (both languages hold every key).

func init() {
	screens["mfa"] = `{{define "content"}}<h1>{{.T "mfa_verify"}}</h1>
<p>{{.T "mfa_verify_hint"}}</p>
{{template "alert" .}}
{{with .MFA.WebAuthn}}{{template "webauthn" (ceremony $ . "mfa" "get" "mfa_use_passkey")}}{{if or ($.MFA.Has "Totp") ($.MFA.Has "BackupCode")}}<p class="or">{{$.T "or"}}</p>{{end}}{{end}}
{{if .MFA.Has "Totp"}}<form method="post" action="{{.Action}}/mfa">
{{template "hidden" .}}<input type="hidden" name="type" value="Totp">
{{template "field" (.Field "code" (.T "mfa_totp_code") "text" "one-time-code" 6)}}
<p class="hint">{{.T "mfa_totp_hint"}}</p>
{{template "mfa_remember" .}}
<button type="submit">{{.T "continue"}}</button>
</form>{{end}}
{{if .MFA.Has "BackupCode"}}{{if .MFA.Has "Totp"}}<p class="or">{{.T "or"}}</p>{{end}}<form method="post" action="{{.Action}}/mfa">
{{template "hidden" .}}<input type="hidden" name="type" value="BackupCode">
{{template "field" (.Field "backup_code" (.T "mfa_backup_code") "text" "off" 16)}}
<p class="hint">{{.T "mfa_backup_hint"}}</p>
{{if not (.MFA.Has "Totp")}}{{template "mfa_remember" .}}{{end}}
<button type="submit">{{.T "mfa_use_backup"}}</button>
</form>{{end}}
<nav><p><a href="{{.ScreenURL "signin"}}">{{.T "mfa_other_account"}}</a></p></nav>{{end}}
{{define "mfa_remember"}}{{if gt .MFA.RememberDays 0}}<label class="check" for="remember-{{index .MFA.Types 0}}"><input type="checkbox" id="remember-{{index .MFA.Types 0}}" name="remember" value="1">{{.T "mfa_remember" .MFA.RememberDays}}</label>{{end}}{{end}}`

	screens["mfa_enroll"] = `{{define "content"}}<h1>{{.T "mfa_enroll"}}</h1>
{{template "alert" .}}
{{if not .MFA.Bind}}<p>{{.T "mfa_enroll_hint"}}</p>
<ul>{{range .MFA.Types}}<li><a href="{{$.EnrollURL .}}">{{$.T (printf "mfa_type_%s" .)}}</a></li>{{end}}</ul>
{{else if eq .MFA.Bind "Totp"}}<p>{{.T "mfa_totp_enroll_hint"}}</p>
{{if .MFA.QR}}<img class="qr" src="{{.MFA.QR}}" alt="{{.T "mfa_qr_alt"}}">{{end}}
<p>{{.T "mfa_secret"}} <code id="totp-secret">{{.MFA.Secret}}</code></p>
<p class="hint"><a id="totp-uri" href="{{.MFA.URI}}">{{.T "mfa_open_app"}}</a></p>
<form method="post" action="{{.Action}}/mfa/enroll">
{{template "hidden" .}}<input type="hidden" name="type" value="Totp"><input type="hidden" name="state" value="{{.MFA.State}}">
{{template "field" (.Field "code" (.T "mfa_totp_code") "text" "one-time-code" 6)}}
<button type="submit">{{.T "continue"}}</button>
</form>{{else if eq .MFA.Bind "WebAuthn"}}{{with .MFA.WebAuthn}}<p>{{$.T "mfa_passkey_enroll_hint"}}</p>
{{template "webauthn" (ceremony $ . "mfa/enroll" "create" "mfa_add_passkey")}}{{end}}{{end}}
<nav><p><a href="{{.ScreenURL "signin"}}">{{.T "mfa_other_account"}}</a></p></nav>{{end}}`

	screens["mfa_codes"] = `{{define "content"}}<h1>{{.T "mfa_codes"}}</h1>
<p>{{.T "mfa_codes_hint"}}</p>
<ul class="codes" id="backup-codes">{{range .MFA.Codes}}<li><code>{{.}}</code></li>{{end}}</ul>
<form method="post" action="{{.Action}}/mfa/enroll">
{{template "hidden" .}}<input type="hidden" name="type" value="BackupCode"><input type="hidden" name="bound" value="{{.MFA.Bound}}"><input type="hidden" name="state" value="{{.MFA.State}}">
<button type="submit">{{.T "mfa_codes_saved"}}</button>
</form>{{end}}`

	for lang, m := range map[string]map[string]string{
		"en": {
			"mfa_verify":           "Verify it's you",
			"mfa_verify_hint":      "Your account is protected by two-step verification.",
			"mfa_totp_code":        "Code from your authenticator app",
			"mfa_totp_hint":        "Open your authenticator app and enter the 6-digit code it shows.",
			"mfa_backup_code":      "Backup code",
			"mfa_backup_hint":      "Lost your device? Enter one of the backup codes you saved. Each works once.",
			"mfa_use_backup":       "Use backup code",
			"mfa_remember":         "Don't ask again on this device for %d days",
			"mfa_other_account":    "Sign in with another account",
			"mfa_enroll":           "Set up two-step verification",
			"mfa_enroll_hint":      "Your account needs a second step to sign in. Choose how:",
			"mfa_type_Totp":        "Authenticator app",
			"mfa_type_WebAuthn":    "Passkey or security key",
			"mfa_totp_enroll_hint": "Scan the QR code with an authenticator app, or enter the key below in it, then type the 6-digit code it shows.",
			"mfa_qr_alt":           "QR code of the key for your authenticator app",
			"mfa_secret":           "Key:",
			"mfa_open_app":         "Open in an authenticator app on this device",
			"mfa_codes":            "Save your backup codes",
			"mfa_codes_hint":       "If you lose your device, each of these codes signs you in once. Keep them somewhere safe: they are not shown again.",
			"mfa_codes_saved":      "I have saved them",
			"err_mfa_code":         "The code is incorrect. Check it and try again.",
			"err_mfa_type":         "This way of verifying is not available for your account.",
		},
		"ja": {
			"mfa_verify":           "本人確認",
			"mfa_verify_hint":      "このアカウントは2段階認証で保護されています。",
			"mfa_totp_code":        "認証アプリのコード",
			"mfa_totp_hint":        "認証アプリを開き、表示されている6桁のコードを入力してください。",
			"mfa_backup_code":      "バックアップコード",
			"mfa_backup_hint":      "デバイスをなくした場合は、保存したバックアップコードを入力してください。各コードは1回だけ使えます。",
			"mfa_use_backup":       "バックアップコードを使う",
			"mfa_remember":         "このデバイスでは %d 日間確認しない",
			"mfa_other_account":    "別のアカウントでサインイン",
			"mfa_enroll":           "2段階認証の設定",
			"mfa_enroll_hint":      "サインインには2段階目の確認が必要です。方法を選んでください:",
			"mfa_type_Totp":        "認証アプリ",
			"mfa_type_WebAuthn":    "パスキーまたはセキュリティキー",
			"mfa_totp_enroll_hint": "認証アプリでQRコードを読み取るか、下のキーを入力してから、表示された6桁のコードを入力してください。",
			"mfa_qr_alt":           "認証アプリ用のキーのQRコード",
			"mfa_secret":           "キー:",
			"mfa_open_app":         "このデバイスの認証アプリで開く",
			"mfa_codes":            "バックアップコードを保存してください",
			"mfa_codes_hint":       "デバイスをなくしたときは、これらのコードでそれぞれ1回サインインできます。安全な場所に保管してください。再表示はされません。",
			"mfa_codes_saved":      "保存しました",
			"err_mfa_code":         "コードが正しくありません。確認してもう一度お試しください。",
			"err_mfa_type":         "この確認方法はお使いのアカウントでは利用できません。",
		},
	} {
		for k, v := range m {
			messages[lang][k] = v
		}
	}
}
