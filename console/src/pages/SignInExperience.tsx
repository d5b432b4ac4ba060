import { useState } from 'preact/hooks';
import { api } from '../api';
import { useAction, useAsync, useTitle } from '../hooks';
import { FormCard } from '../ui/FormCard';
import { Checkbox, ErrorBanner, ListField, Loading, PageHeader, SelectField, Switch, TextField, toast } from '../ui/ui';

// The sign-in experience (Logto's /api/sign-in-exp): each card saves the
// fields it shows, and the server holds the result to its rules.

type Identifier = 'username' | 'email' | 'phone';
const identifiers: { id: Identifier; label: string }[] = [
  { id: 'username', label: 'Username' },
  { id: 'email', label: 'E-mail address' },
  { id: 'phone', label: 'Phone number' },
];

interface Method {
  identifier: Identifier;
  password: boolean;
  verificationCode: boolean;
  isPasswordPrimary: boolean;
}

interface PolicySettings {
  length?: { min?: number; max?: number };
  characterTypes?: { min?: number };
  rejects?: { pwned?: boolean; repetitionAndSequence?: boolean; userInfo?: boolean; words?: string[] };
}

export interface SignInExperienceSettings {
  signInMode: 'SignIn' | 'Register' | 'SignInAndRegister';
  signIn: { methods: Method[] };
  signUp: { identifiers: Identifier[]; password: boolean; verify: boolean };
  passwordPolicy: PolicySettings;
  color: { primaryColor: string; isDarkModeEnabled: boolean; darkPrimaryColor: string };
  branding: { name?: string; logoUrl?: string; darkLogoUrl?: string; favicon?: string; darkFavicon?: string };
  languageInfo: { autoDetect: boolean; fallbackLanguage: string };
  termsOfUseUrl: string | null;
  privacyPolicyUrl: string | null;
}

const PATH = '/api/sign-in-exp';

export function SignInExperience() {
  useTitle('Sign-in experience');
  const sie = useAsync(() => api.get<SignInExperienceSettings>(PATH), []);
  if (sie.error) return <ErrorBanner error={sie.error} onRetry={sie.reload} title="The sign-in experience could not be loaded" />;
  if (!sie.data) return <Loading />;
  const s = sie.data;
  // Each card starts over from what the server answered after a save.
  const key = JSON.stringify(s);
  return (
    <div class="page">
      <PageHeader
        title="Sign-in experience"
        subtitle="What the hosted sign-in and sign-up pages offer and how they look, and the policy every new password must meet."
      />
      <MethodsCard key={`m${key}`} s={s} onSaved={sie.set} />
      <PolicyCard key={`p${key}`} s={s} onSaved={sie.set} />
      <BrandingCard key={`b${key}`} s={s} onSaved={sie.set} />
      <LanguageCard key={`l${key}`} s={s} onSaved={sie.set} />
    </div>
  );
}

type CardProps = { s: SignInExperienceSettings; onSaved: (s: SignInExperienceSettings) => void };

/** save PATCHes patch and hands the answer on. */
function useSave(onSaved: CardProps['onSaved'], what: string) {
  const action = useAction();
  const save = (patch: Partial<SignInExperienceSettings>) =>
    action.run(async () => {
      onSaved(await api.patch<SignInExperienceSettings>(PATH, patch));
      toast(`${what} saved`);
    });
  return { ...action, save };
}

function MethodsCard({ s, onSaved }: CardProps) {
  const [mode, setMode] = useState(s.signInMode);
  const [methods, setMethods] = useState<Method[]>(s.signIn.methods);
  const [signUp, setSignUp] = useState(s.signUp);
  const { busy, error, save } = useSave(onSaved, 'Sign-in methods');
  const dirty = mode !== s.signInMode || JSON.stringify(methods) !== JSON.stringify(s.signIn.methods) || JSON.stringify(signUp) !== JSON.stringify(s.signUp);
  const method = (id: Identifier) => methods.find((m) => m.identifier === id);
  const setMethod = (id: Identifier, m: Method | null) => {
    const rest = methods.filter((x) => x.identifier !== id);
    setMethods(m ? [...rest, m].sort((a, b) => order(a.identifier) - order(b.identifier)) : rest);
  };
  const toggleSignUp = (id: Identifier, on: boolean) =>
    setSignUp({ ...signUp, identifiers: on ? [...signUp.identifiers, id].sort((a, b) => order(a) - order(b)) : signUp.identifiers.filter((x) => x !== id) });
  return (
    <FormCard
      title="Sign-up and sign-in"
      description="Who may sign up, and the identifiers and factors of each sign-in. A code needs an e-mail or SMS connector for its channel."
      save={() => save({ signInMode: mode, signIn: { methods }, signUp })}
      busy={busy}
      dirty={dirty}
      error={error}
      formClass="form-stack"
    >
      <SelectField
        label="Who may use the pages"
        value={mode}
        onChange={(v) => setMode(v as SignInExperienceSettings['signInMode'])}
        options={[
          { value: 'SignInAndRegister', label: 'Sign-in and sign-up' },
          { value: 'SignIn', label: 'Sign-in only (no new accounts)' },
          { value: 'Register', label: 'Sign-up only' },
        ]}
      />
      <fieldset class="field">
        <legend class="field-label">Sign-in methods</legend>
        {identifiers.map(({ id, label }) => {
          const m = method(id);
          return (
            <div key={id} class="sie-method">
              <Checkbox checked={!!m} onChange={(on) => setMethod(id, on ? { identifier: id, password: true, verificationCode: false, isPasswordPrimary: true } : null)}>
                {label}
              </Checkbox>
              {m && (
                <span class="sie-factors">
                  <Checkbox checked={m.password} onChange={(v) => setMethod(id, { ...m, password: v })}>
                    Password
                  </Checkbox>
                  {id !== 'username' && (
                    <Checkbox checked={m.verificationCode} onChange={(v) => setMethod(id, { ...m, verificationCode: v })}>
                      One-time code
                    </Checkbox>
                  )}
                </span>
              )}
            </div>
          );
        })}
      </fieldset>
      <fieldset class="field">
        <legend class="field-label">Sign-up identifiers</legend>
        {identifiers.map(({ id, label }) => (
          <Checkbox key={id} checked={signUp.identifiers.includes(id)} onChange={(on) => toggleSignUp(id, on)}>
            {label}
          </Checkbox>
        ))}
      </fieldset>
      <Switch label="Set a password at sign-up" checked={signUp.password} onChange={(v) => setSignUp({ ...signUp, password: v })} />
      <Switch
        label="Verify the e-mail address or phone number at sign-up"
        description="A one-time code proves it before the account exists."
        checked={signUp.verify}
        onChange={(v) => setSignUp({ ...signUp, verify: v })}
      />
    </FormCard>
  );
}

function order(id: Identifier): number {
  return identifiers.findIndex((x) => x.id === id);
}

function PolicyCard({ s, onSaved }: CardProps) {
  const p = s.passwordPolicy;
  const [min, setMin] = useState(String(p.length?.min ?? 8));
  const [max, setMax] = useState(String(p.length?.max ?? 256));
  const [types, setTypes] = useState(String(p.characterTypes?.min ?? 1));
  const [pwned, setPwned] = useState(p.rejects?.pwned ?? true);
  const [repetition, setRepetition] = useState(p.rejects?.repetitionAndSequence ?? true);
  const [userInfo, setUserInfo] = useState(p.rejects?.userInfo ?? true);
  const [words, setWords] = useState<string[]>(p.rejects?.words ?? []);
  const [lengthError, setLengthError] = useState<string | null>(null);
  const { busy, error, save } = useSave(onSaved, 'Password policy');
  const next: PolicySettings = {
    length: { min: Number(min), max: Number(max) },
    characterTypes: { min: Number(types) },
    rejects: { pwned, repetitionAndSequence: repetition, userInfo, words: words.map((w) => w.trim()).filter(Boolean) },
  };
  const was: PolicySettings = {
    length: { min: p.length?.min ?? 8, max: p.length?.max ?? 256 },
    characterTypes: { min: p.characterTypes?.min ?? 1 },
    rejects: { pwned: p.rejects?.pwned ?? true, repetitionAndSequence: p.rejects?.repetitionAndSequence ?? true, userInfo: p.rejects?.userInfo ?? true, words: p.rejects?.words ?? [] },
  };
  const submit = async () => {
    const lo = Number(min);
    const hi = Number(max);
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 256 || lo > hi) {
      setLengthError('Enter whole numbers: a minimum of at least 1, at most the maximum, and a maximum of at most 256.');
      return;
    }
    setLengthError(null);
    await save({ passwordPolicy: next });
  };
  return (
    <FormCard
      title="Password policy"
      description="Every new password is held to it: sign-up, reset, and passwords set through either Management API."
      save={submit}
      busy={busy}
      dirty={JSON.stringify(next) !== JSON.stringify(was)}
      error={error}
    >
      <TextField label="Minimum length" type="number" min={1} max={256} value={min} onInput={setMin} error={lengthError ?? undefined} />
      <TextField label="Maximum length" type="number" min={1} max={256} value={max} onInput={setMax} />
      <SelectField
        label="Character types required"
        hint="Of lower-case letters, upper-case letters, digits and symbols."
        value={types}
        onChange={setTypes}
        options={['1', '2', '3', '4'].map((n) => ({ value: n, label: `At least ${n}` }))}
      />
      <Switch label="Reject common passwords" description="The 10,000 most common passwords, checked on this server." checked={pwned} onChange={setPwned} />
      <Switch label="Reject repetitions and sequences" description="Such as aaa, 123 or qwerty." checked={repetition} onChange={setRepetition} />
      <Switch label="Reject the user's own details" description="Their username, e-mail address, phone number or name." checked={userInfo} onChange={setUserInfo} />
      <ListField label="Forbidden words" hint="Compared without case, e.g. your product's name." values={words} onChange={setWords} placeholder="word" addLabel="Add word" />
    </FormCard>
  );
}

function BrandingCard({ s, onSaved }: CardProps) {
  const [name, setName] = useState(s.branding.name ?? '');
  const [logo, setLogo] = useState(s.branding.logoUrl ?? '');
  const [darkLogo, setDarkLogo] = useState(s.branding.darkLogoUrl ?? '');
  const [color, setColor] = useState(s.color);
  const { busy, error, save } = useSave(onSaved, 'Branding');
  const branding = { ...s.branding, name: name.trim() || undefined, logoUrl: logo.trim() || undefined, darkLogoUrl: darkLogo.trim() || undefined };
  const dirty = JSON.stringify(branding) !== JSON.stringify({ ...s.branding, name: s.branding.name || undefined, logoUrl: s.branding.logoUrl || undefined, darkLogoUrl: s.branding.darkLogoUrl || undefined }) || JSON.stringify(color) !== JSON.stringify(s.color);
  return (
    <FormCard title="Branding" description="The name, logo and colors of the hosted pages." save={() => save({ branding, color })} busy={busy} dirty={dirty} error={error}>
      <TextField label="Name" hint="Shown beside the logo; leave empty for none." value={name} onInput={setName} />
      <TextField label="Logo URL" placeholder="https://example.com/logo.svg" value={logo} onInput={setLogo} />
      <TextField label="Logo URL in dark mode" placeholder="https://example.com/logo-dark.svg" value={darkLogo} onInput={setDarkLogo} />
      <TextField label="Primary color" mono value={color.primaryColor} onInput={(v) => setColor({ ...color, primaryColor: v })} />
      <TextField label="Primary color in dark mode" mono value={color.darkPrimaryColor} onInput={(v) => setColor({ ...color, darkPrimaryColor: v })} />
      <Switch label="Dark mode" description="Follow the browser's dark mode." checked={color.isDarkModeEnabled} onChange={(v) => setColor({ ...color, isDarkModeEnabled: v })} />
    </FormCard>
  );
}

function LanguageCard({ s, onSaved }: CardProps) {
  const [language, setLanguage] = useState(s.languageInfo.fallbackLanguage);
  const [auto, setAuto] = useState(s.languageInfo.autoDetect);
  const [terms, setTerms] = useState(s.termsOfUseUrl ?? '');
  const [privacy, setPrivacy] = useState(s.privacyPolicyUrl ?? '');
  const { busy, error, save } = useSave(onSaved, 'Languages and links');
  const dirty = language !== s.languageInfo.fallbackLanguage || auto !== s.languageInfo.autoDetect || terms !== (s.termsOfUseUrl ?? '') || privacy !== (s.privacyPolicyUrl ?? '');
  return (
    <FormCard
      title="Languages and links"
      save={() => save({ languageInfo: { autoDetect: auto, fallbackLanguage: language }, termsOfUseUrl: terms.trim() || null, privacyPolicyUrl: privacy.trim() || null })}
      busy={busy}
      dirty={dirty}
      error={error}
    >
      <SelectField
        label="Default language"
        value={language}
        onChange={setLanguage}
        options={[
          { value: 'en', label: 'English' },
          { value: 'ja', label: '日本語 (Japanese)' },
        ]}
      />
      <Switch label="Follow the browser's language" description="ui_locales, then Accept-Language, before the default." checked={auto} onChange={setAuto} />
      <TextField label="Terms of use URL" placeholder="https://example.com/terms" value={terms} onInput={setTerms} />
      <TextField label="Privacy policy URL" placeholder="https://example.com/privacy" value={privacy} onInput={setPrivacy} />
    </FormCard>
  );
}
