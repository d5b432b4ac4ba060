// The hosted sign-in pages in headless Chromium, against the server that
// internal/signin's TestPagesInBrowser starts (it passes the address and
// the credentials in the environment): every path in English and in
// Japanese, with a screenshot of each state.
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through TestPagesInBrowser (internal/signin/browser_test.go)`);
  return v;
};
const BASE = env('MONBAN_URL');
const SHOTS = env('SCREENSHOTS');
const { chromium } = createRequire(env('PLAYWRIGHT_FROM'))('playwright-core');
let janePassword = env('JANE_PASSWORD');
const satoPassword = env('SATO_PASSWORD');

const browser = await chromium.launch({
  executablePath: env('CHROMIUM_PATH'),
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

const post = (p) => fetch(BASE + p, { method: 'POST' });
const lastCode = async (to) => {
  const r = await fetch(`${BASE}/test/last-code?to=${encodeURIComponent(to)}`);
  assert.equal(r.status, 200, `no code delivered to ${to}`);
  return (await r.text()).trim();
};

for (const lang of ['en', 'ja']) {
  const context = await browser.newContext({ viewport: { width: 480, height: 900 }, locale: lang === 'ja' ? 'ja-JP' : 'en-GB' });
  context.setDefaultTimeout(60_000); // a loaded machine is slow, not wrong
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  // Error statuses are the pages' answers (and the favicon's 404), not problems.
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text()); });
  let n = 0;
  const shot = async (name) => {
    n++;
    await page.screenshot({ path: path.join(SHOTS, `${lang}-${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const start = async (extra = {}) => {
    const q = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: `${BASE}/cb`, scope: 'openid', state: 'st', prompt: 'login', ...extra });
    if (lang === 'ja') q.set('ui_locales', 'ja');
    await page.goto(`${BASE}/oidc/auth?${q}`);
    assert.equal(await page.getAttribute('html', 'lang'), lang, 'the page is not in the language asked for');
  };
  const signedIn = async (what) => {
    await page.waitForURL((u) => u.pathname === '/cb', { timeout: 60_000 });
    const u = new URL(page.url());
    assert.ok(u.searchParams.get('code'), `${what}: no code`);
    assert.equal(u.searchParams.get('state'), 'st');
    assert.equal(await page.textContent('body'), 'signed in');
  };
  // A submit resolves once the answer's page has loaded, so that what
  // follows reads the new page, not the one the form was on.
  const submit = (action) => Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`form[action$="${action}"] button[type=submit]`),
  ]);
  // The field that has the focus once the page has given it (autofocus
  // lands a moment after load on a busy machine); '' when none gets it.
  const focused = async (want) => {
    try {
      await page.waitForFunction((id) => document.activeElement && document.activeElement.id === id, want, { timeout: 5_000 });
    } catch {
      // answered below with what has the focus
    }
    return page.evaluate(() => (document.activeElement && document.activeElement.id) || '');
  };
  const alertText = () => page.textContent('[role=alert]');
  // says asserts that the page shows the pages' phrase key, in lang.
  const says = async (key, what) => {
    const r = await fetch(`${BASE}/test/phrase?lang=${lang}&key=${key}`);
    assert.equal(r.status, 200, `no phrase ${key}`);
    const want = await r.text();
    assert.ok((await page.textContent('body')).includes(want), `${what}: the page does not say "${want}"`);
  };
  const wrongOf = (code) => (code === '000000' ? '111111' : '000000');

  // Sign-up by username: a taken one, a weak password, then the account.
  await start({ first_screen: 'register' });
  await shot('register');
  await page.fill('#username', 'jane');
  await page.fill('#new_password', `Taken name passphrase ${lang}`);
  await submit('/sign-in/register');
  assert.equal(await focused('username'), 'username', 'the field in error does not have the focus');
  assert.equal(await page.getAttribute('#username', 'aria-describedby'), 'username-error');
  await shot('register-username-taken');
  await page.fill('#username', `kenji_${lang}`);
  await page.fill('#new_password', 'password');
  await submit('/sign-in/register');
  assert.equal(await focused('new_password'), 'new_password');
  assert.ok(await page.isVisible('ul.issues li'), 'the policy issues are not listed');
  await shot('register-weak-password');
  await page.fill('#username', `kenji_${lang}`);
  await page.fill('#new_password', `Kenji long passphrase ${lang} 9`);
  await submit('/sign-in/register');
  await signedIn('sign-up by username');

  // Sign-up by e-mail: a code, a wrong one, the right one, a password.
  await post('/test/advance');
  const mika = `mika.${lang}@example.com`;
  await start({ first_screen: 'register' });
  await page.fill('#code_identifier', mika);
  await submit('/sign-in/code');
  await shot('register-email-code');
  const mikaCode = await lastCode(mika);
  await page.fill('#code', wrongOf(mikaCode));
  await submit('/sign-in/code/verify');
  assert.equal(await focused('code'), 'code');
  await says('err_code_wrong', 'a wrong code');
  await shot('code-wrong');
  await page.fill('#code', mikaCode);
  await submit('/sign-in/code/verify');
  await shot('register-email-password');
  await page.fill('#new_password', `Mika long passphrase ${lang} 3`);
  await submit('/sign-in/password/new');
  await signedIn('sign-up by e-mail');

  // Sign-up by phone.
  const phone = lang === 'en' ? '+81 90 1111 2222' : '+81 90 3333 4444';
  const phoneDigits = phone.replace(/[^0-9]/g, '');
  await start({ screen_hint: 'signup' });
  await page.fill('#code_identifier', phone);
  await submit('/sign-in/code');
  await page.fill('#code', await lastCode(phoneDigits));
  await submit('/sign-in/code/verify');
  await page.fill('#new_password', `Phone long passphrase ${lang} 8`);
  await shot('register-phone-password');
  await submit('/sign-in/password/new');
  await signedIn('sign-up by phone');

  // Passwordless by e-mail, then a resend too soon.
  await post('/test/advance');
  await start();
  await shot('sign-in');
  await page.fill('#code_identifier', 'jane@example.com');
  await submit('/sign-in/code');
  await shot('sign-in-email-code');
  const janeCode = await lastCode('jane@example.com');
  await page.click('button.link');
  assert.match(await page.textContent('#code_identifier-error'), /\d+/, 'no throttled message');
  assert.equal((await page.textContent('#code_identifier-error')).includes('%d'), false);
  await shot('resend-throttled');
  await page.goBack();
  await page.fill('#code', janeCode);
  await submit('/sign-in/code/verify');
  await signedIn('passwordless by e-mail');

  // Passwordless by SMS.
  await post('/test/advance');
  await start();
  await page.fill('#code_identifier', phone);
  await submit('/sign-in/code');
  await page.fill('#code', await lastCode(phoneDigits));
  await shot('sign-in-sms-code');
  await submit('/sign-in/code/verify');
  await signedIn('passwordless by SMS');

  // Forgot password, then the new one signs in.
  await post('/test/advance');
  await start({ first_screen: 'reset_password' });
  await shot('forgot');
  await page.fill('#code_identifier', 'jane@example.com');
  await submit('/sign-in/code');
  await page.fill('#code', await lastCode('jane@example.com'));
  await submit('/sign-in/code/verify');
  await shot('forgot-new-password');
  await page.fill('#new_password', '12345678');
  await submit('/sign-in/password/new');
  assert.ok(await page.isVisible('ul.issues li'));
  await shot('forgot-weak-password');
  janePassword = `Jane reset passphrase ${lang} 5`;
  await page.fill('#new_password', janePassword);
  await submit('/sign-in/password/new');
  await signedIn('reset');
  await start();
  await page.fill('#identifier', 'jane');
  await page.fill('#password', janePassword);
  await submit('/sign-in');
  await signedIn('password after the reset');

  // An expired code: the clock moves past its ten minutes.
  await post('/test/advance');
  await start();
  await page.fill('#code_identifier', 'jane@example.com');
  await submit('/sign-in/code');
  const stale = await lastCode('jane@example.com');
  await post('/test/advance?by=11m');
  await page.fill('#code', stale);
  await submit('/sign-in/code/verify');
  await says('err_code_expired', 'an expired code');
  await shot('code-expired');

  // Exhausted: five wrong tries, then the right code is refused too.
  await start();
  await page.fill('#code_identifier', 'jane@example.com');
  await submit('/sign-in/code');
  const tried = await lastCode('jane@example.com');
  for (let i = 0; i < 5; i++) {
    await page.fill('#code', wrongOf(tried));
    await submit('/sign-in/code/verify');
  }
  await page.fill('#code', tried);
  await submit('/sign-in/code/verify');
  await says('err_code_exhausted', 'a code after five wrong tries');
  await shot('code-exhausted');
  await post('/test/advance');

  // Errors: a wrong password, a suspended account, sign-up turned off.
  await start();
  await page.fill('#identifier', 'jane');
  await page.fill('#password', 'not the password');
  await submit('/sign-in');
  assert.ok((await alertText()).length > 0);
  await shot('wrong-password');
  await page.fill('#identifier', 'sato');
  await page.fill('#password', satoPassword);
  await submit('/sign-in');
  await says('err_suspended', 'a suspended account');
  await shot('suspended');
  await post('/test/sign-up?on=0');
  await start({ screen_hint: 'signup' });
  assert.ok((await alertText()).length > 0, 'no sign-up disabled message');
  await says('err_signup_disabled', 'sign-up turned off');
  await shot('sign-up-disabled');
  await post('/test/sign-up?on=1');

  assert.deepEqual(problems, [], `browser errors: ${problems.join('; ')}`);
  await context.close();
  console.log(`${lang}: every path walked, ${n} screenshots`);
}
await browser.close();
