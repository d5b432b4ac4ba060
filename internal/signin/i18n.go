package signin

import (
	"fmt"
	"strings"
)

// The languages of the pages. A page is in the first of the
// authorization request's ui_locales the pages speak, else the first of
// the browser's Accept-Language they speak, else the sign-in
// experience's default language.
var languages = []string{"en", "ja"}

// messages are the pages' words, by language and key. Both catalogs hold
// every key (a test checks it).
var messages = map[string]map[string]string{
	"en": {
		"sign_in":              "Sign in",
		"to_continue":          "to continue to %s",
		"identifier":           "Username or email",
		"password":             "Password",
		"or":                   "or",
		"code_sign_in":         "Sign in with a one-time code",
		"code_identifier":      "Email or phone number",
		"email":                "Email",
		"phone":                "Phone number",
		"username":             "Username",
		"send_code":            "Send code",
		"no_account":           "No account yet?",
		"create_account":       "Create account",
		"have_account":         "Already have an account?",
		"forgot_password":      "Forgot your password?",
		"register":             "Create your account",
		"register_with_code":   "We send a one-time code to verify it.",
		"enter_code":           "Enter the code",
		"code_sent":            "If the address can receive it, a 6-digit code is on its way to %s. It is valid for %d minutes.",
		"code":                 "Code",
		"continue":             "Continue",
		"resend":               "Send a new code",
		"use_another":          "Use another address",
		"forgot":               "Reset your password",
		"forgot_hint":          "Enter the email or phone number of your account. We send a code to it.",
		"set_password":         "Choose a password",
		"new_password":         "New password",
		"new_password_hint":    "Set the new password of your account.",
		"save_password":        "Save password",
		"back_to_sign_in":      "Back to sign in",
		"terms":                "Terms of use",
		"privacy":              "Privacy policy",
		"agree":                "By continuing you agree to the",
		"and":                  "and the",
		"error_heading":        "Something went wrong",
		"return_to_app":        "Return to the application and try again.",
		"err_bad_credentials":  "Incorrect username, email or password.",
		"err_locked":           "Too many failed attempts. Please wait a while and try again.",
		"err_suspended":        "This account is suspended. Contact the administrator.",
		"err_expired_form":     "The form has expired. Please try again.",
		"err_busy":             "The service is busy. Please try again in a moment.",
		"err_required":         "Enter a value.",
		"err_too_long":         "This value is too long.",
		"err_username":         "Use letters, digits and underscores, not starting with a digit.",
		"err_username_taken":   "This username is taken. Choose another.",
		"err_signup_disabled":  "Creating an account is not available here.",
		"err_method_disabled":  "This way of signing in is not available here.",
		"err_email":            "Enter an email address such as jane@example.com.",
		"err_phone":            "Enter a phone number with its country code, such as +81 90 1234 5678.",
		"err_code_wrong":       "The code is incorrect. Check it and try again.",
		"err_code_expired":     "The code has expired. Send a new code.",
		"err_code_exhausted":   "Too many incorrect codes. Send a new code.",
		"err_code_throttled":   "A code was sent a moment ago. Wait %d seconds before asking for another.",
		"err_no_connector":     "Codes cannot be sent to this kind of address at the moment.",
		"err_code_format":      "Enter the 6 digits of the code.",
		"err_no_account":       "No account uses this address, and new accounts cannot be created here.",
		"err_identifier_taken": "An account with this address exists already.",
		"err_unknown":          "This sign-in is unknown here, or was started in another browser.",
		"err_expired":          "This sign-in has expired.",
		"err_used":             "This sign-in was already completed.",
		"err_malformed":        "The request is malformed.",
		"err_password":         "The password is not accepted.",
		"pw.too_short":         "The password must have at least %v characters.",
		"pw.too_long":          "The password must have at most %v characters.",
		"pw.character_types":   "The password must mix at least %v of: lower-case letters, upper-case letters, digits and symbols.",
		"pw.unsupported":       "The password holds characters that are not allowed.",
		"pw.pwned":             "The password is too common or was found in a data breach. Choose another.",
		"pw.repetition":        "The password must not repeat one character many times.",
		"pw.sequence":          "The password must not be a sequence such as 12345 or abcde.",
		"pw.user_info":         "The password must not contain your username, email or phone number.",
		"pw.words":             "The password contains a word that is not allowed.",
		"language":             "Language",

		// Upstream identity providers.
		"social_sign_in":             "Continue with %s",
		"link_heading":               "Link your account",
		"link_offer":                 "An account with the email %s exists. Link your %s sign-in to it and continue?",
		"link_confirm":               "Link and continue",
		"link_decline":               "Cancel",
		"err_federation":             "The sign-in with the provider could not be verified. Please try again.",
		"err_sso_no_connector":       "Single sign-on is not set up for this email domain.",
		"sso_email":                  "Work email",
		"sso_sign_in":                "Sign in with single sign-on",
		"err_federation_denied":      "The sign-in was cancelled at the provider.",
		"err_federation_unavailable": "The provider cannot be reached at the moment. Please try again later.",
		"err_federation_no_account":  "No account uses this sign-in, and new accounts cannot be created here.",
		"err_federation_conflict":    "This sign-in was used elsewhere meanwhile. Please try again.",
		"reset_title":                "Change your password",
		"reset_intro":                "Choose a new password for",
		"password_confirm":           "Confirm new password",
		"reset_submit":               "Change password",
		"err_mismatch":               "The two passwords do not match.",
		"reset_invalid_title":        "This link cannot be used",
		"reset_invalid":              "The link is invalid, has expired or was already used. Ask for a new one.",
		"reset_done_title":           "Password changed",
		"reset_done":                 "Your password has been changed. You can now sign in with the new password.",
	},
	"ja": {
		"sign_in":              "サインイン",
		"to_continue":          "%s を続行します",
		"identifier":           "ユーザー名またはメールアドレス",
		"password":             "パスワード",
		"or":                   "または",
		"code_sign_in":         "確認コードでサインイン",
		"code_identifier":      "メールアドレスまたは電話番号",
		"email":                "メールアドレス",
		"phone":                "電話番号",
		"username":             "ユーザー名",
		"send_code":            "確認コードを送信",
		"no_account":           "アカウントをお持ちでない場合",
		"create_account":       "アカウントを作成",
		"have_account":         "すでにアカウントをお持ちの場合",
		"forgot_password":      "パスワードをお忘れですか?",
		"register":             "アカウントを作成",
		"register_with_code":   "確認のため、確認コードを送信します。",
		"enter_code":           "確認コードを入力",
		"code_sent":            "受信可能なアドレスであれば、%s に6桁の確認コードを送信しました。有効期限は%d分です。",
		"code":                 "確認コード",
		"continue":             "続行",
		"resend":               "確認コードを再送信",
		"use_another":          "別のアドレスを使う",
		"forgot":               "パスワードをリセット",
		"forgot_hint":          "アカウントのメールアドレスまたは電話番号を入力してください。確認コードを送信します。",
		"set_password":         "パスワードを設定",
		"new_password":         "新しいパスワード",
		"new_password_hint":    "アカウントの新しいパスワードを設定してください。",
		"save_password":        "パスワードを保存",
		"back_to_sign_in":      "サインインに戻る",
		"terms":                "利用規約",
		"privacy":              "プライバシーポリシー",
		"agree":                "続行すると、次に同意したものとみなされます:",
		"and":                  "および",
		"error_heading":        "問題が発生しました",
		"return_to_app":        "アプリケーションに戻って、もう一度お試しください。",
		"err_bad_credentials":  "ユーザー名、メールアドレス、またはパスワードが正しくありません。",
		"err_locked":           "失敗が続いたため、一時的にサインインできません。しばらく待ってからもう一度お試しください。",
		"err_suspended":        "このアカウントは停止されています。管理者にお問い合わせください。",
		"err_expired_form":     "フォームの有効期限が切れました。もう一度お試しください。",
		"err_busy":             "サービスが混み合っています。しばらくしてからもう一度お試しください。",
		"err_required":         "入力してください。",
		"err_too_long":         "入力が長すぎます。",
		"err_username":         "英字、数字、アンダースコアを使い、数字で始めないでください。",
		"err_username_taken":   "このユーザー名は使用されています。別のユーザー名を選んでください。",
		"err_signup_disabled":  "ここではアカウントを作成できません。",
		"err_method_disabled":  "このサインイン方法はここでは使えません。",
		"err_email":            "jane@example.com のようなメールアドレスを入力してください。",
		"err_phone":            "+81 90 1234 5678 のように国番号付きの電話番号を入力してください。",
		"err_code_wrong":       "確認コードが正しくありません。確認してもう一度入力してください。",
		"err_code_expired":     "確認コードの有効期限が切れました。新しいコードを送信してください。",
		"err_code_exhausted":   "確認コードの入力に何度も失敗しました。新しいコードを送信してください。",
		"err_code_throttled":   "確認コードを送信したばかりです。%d 秒待ってから再送信してください。",
		"err_no_connector":     "現在、この種類のアドレスには確認コードを送信できません。",
		"err_code_format":      "6桁の確認コードを入力してください。",
		"err_no_account":       "このアドレスのアカウントはありません。また、ここでは新しいアカウントを作成できません。",
		"err_identifier_taken": "このアドレスのアカウントはすでに存在します。",
		"err_unknown":          "このサインインは見つからないか、別のブラウザーで開始されました。",
		"err_expired":          "このサインインの有効期限が切れました。",
		"err_used":             "このサインインはすでに完了しています。",
		"err_malformed":        "リクエストの形式が正しくありません。",
		"err_password":         "このパスワードは使用できません。",
		"pw.too_short":         "パスワードは %v 文字以上にしてください。",
		"pw.too_long":          "パスワードは %v 文字以下にしてください。",
		"pw.character_types":   "パスワードには、英小文字・英大文字・数字・記号のうち %v 種類以上を含めてください。",
		"pw.unsupported":       "パスワードに使用できない文字が含まれています。",
		"pw.pwned":             "このパスワードはよく使われているか、漏えいしたことがあります。別のパスワードを選んでください。",
		"pw.repetition":        "同じ文字を何度も繰り返さないでください。",
		"pw.sequence":          "12345 や abcde のような連続した文字列は使用できません。",
		"pw.user_info":         "ユーザー名、メールアドレス、電話番号を含めないでください。",
		"pw.words":             "使用できない単語が含まれています。",
		"language":             "言語",

		// Upstream identity providers.
		"social_sign_in":             "%s で続行",
		"link_heading":               "アカウントを連携",
		"link_offer":                 "メールアドレス %s のアカウントがすでに存在します。%s のサインインをこのアカウントに連携して続行しますか?",
		"link_confirm":               "連携して続行",
		"link_decline":               "キャンセル",
		"err_federation":             "プロバイダーでのサインインを確認できませんでした。もう一度お試しください。",
		"err_sso_no_connector":       "このメールドメインではシングルサインオンが設定されていません。",
		"sso_email":                  "勤務先のメールアドレス",
		"sso_sign_in":                "シングルサインオンでサインイン",
		"err_federation_denied":      "プロバイダーでサインインがキャンセルされました。",
		"err_federation_unavailable": "現在プロバイダーに接続できません。しばらくしてからもう一度お試しください。",
		"err_federation_no_account":  "このサインインを使うアカウントはありません。また、ここでは新しいアカウントを作成できません。",
		"err_federation_conflict":    "このサインインは別の場所で使用されました。もう一度お試しください。",
		"reset_title":                "パスワードの変更",
		"reset_intro":                "新しいパスワードを設定してください:",
		"password_confirm":           "新しいパスワード（確認）",
		"reset_submit":               "パスワードを変更",
		"err_mismatch":               "2つのパスワードが一致しません。",
		"reset_invalid_title":        "このリンクは使用できません",
		"reset_invalid":              "リンクが無効か、有効期限が切れているか、すでに使用されています。もう一度リセットを依頼してください。",
		"reset_done_title":           "パスワードを変更しました",
		"reset_done":                 "パスワードを変更しました。新しいパスワードでサインインできます。",
	},
}

// words is one language's words.
type words struct {
	lang string
	m    map[string]string
	// custom are the custom phrases of the language (keys of m whose
	// words take no arguments).
	custom map[string]string
}

// T is the words of key, with args formatted into them; a custom phrase
// replaces the words of a key that takes no arguments.
func (c words) T(key string, args ...any) string {
	if v, ok := c.custom[key]; ok && len(args) == 0 {
		return v
	}
	s, ok := c.m[key]
	if !ok {
		s = messages["en"][key]
	}
	if len(args) > 0 {
		return fmt.Sprintf(s, args...)
	}
	return s
}

// chooseLanguage picks the pages' language: the first of uiLocales
// (space-separated, RFC 5646 tags, as OIDC's ui_locales) the pages speak,
// else the first of acceptLanguage (an Accept-Language header, by
// quality), else fallback, else English.
func chooseLanguage(uiLocales, acceptLanguage, fallback string) string {
	for _, tag := range strings.Fields(uiLocales) {
		if l := speak(tag); l != "" {
			return l
		}
	}
	if l := fromAcceptLanguage(acceptLanguage); l != "" {
		return l
	}
	if l := speak(fallback); l != "" {
		return l
	}
	return "en"
}

// speak is the pages' language of a language tag ("ja-JP" is "ja"), or
// "".
func speak(tag string) string {
	base, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	for _, l := range languages {
		if base == l {
			return l
		}
	}
	return ""
}

// fromAcceptLanguage is the language the header prefers most among the
// pages' (ties go to the earlier one); "" when it names none of them.
// Malformed entries are skipped.
func fromAcceptLanguage(h string) string {
	if len(h) > 1024 {
		h = h[:1024]
	}
	best, bestQ := "", 0.0
	for _, part := range strings.Split(h, ",") {
		tag, params, _ := strings.Cut(part, ";")
		q := 1.0
		if p := strings.TrimSpace(params); strings.HasPrefix(p, "q=") {
			if _, err := fmt.Sscanf(p[2:], "%g", &q); err != nil || q < 0 || q > 1 {
				continue
			}
		}
		if l := speak(tag); l != "" && q > bestQ {
			best, bestQ = l, q
		}
	}
	return best
}
