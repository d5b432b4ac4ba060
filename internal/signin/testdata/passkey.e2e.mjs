// Passkeys in headless Chromium with a virtual authenticator (CDP's
// WebAuthn domain), against the server internal/signin's
// TestPasskeysInBrowser starts on http://localhost (a relying party id
// must be a host name): a passkey enrolled as a second factor at the
// sign-in, used as the second factor, then used alone ("sign in with a
// passkey"); a cancelled ceremony and a page without JavaScript say what
// to do. In English and in Japanese, with a screenshot of each state.
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through TestPasskeysInBrowser (internal/signin/passkey_browser_test.go)`);
  return v;
};
const BASE = env('MONBAN_URL');
const SHOTS = env('SCREENSHOTS');
const { chromium } = createRequire(env('PLAYWRIGHT_FROM'))('playwright-core');

const browser = await chromium.launch({
  executablePath: env('CHROMIUM_PATH'),
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
});

for (const lang of ['en', 'ja']) {
  const user = `pk_${lang}`;
  const password = env(lang === 'en' ? 'EN_PASSWORD' : 'JA_PASSWORD');
  const context = await browser.newContext({ viewport: { width: 480, height: 900 }, locale: lang === 'ja' ? 'ja-JP' : 'en-GB' });
  context.setDefaultTimeout(60_000);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) problems.push(m.text()); });

  // The virtual authenticator: an internal (platform) one with resident
  // keys and user verification, as a phone's or a laptop's.
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: { protocol: 'ctap2', transport: 'internal', hasResidentKey: true, hasUserVerification: true,
      isUserVerified: true, automaticPresenceSimulation: true },
  });

  let n = 0;
  const shot = async (name) => {
    n++;
    await page.screenshot({ path: path.join(SHOTS, `${lang}-${String(n).padStart(2, '0')}-${name}.png`), fullPage: true });
  };
  const start = async (extra = {}) => {
    const q = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: `${BASE}/cb`, scope: 'openid', state: 'st', prompt: 'login', ...extra });
    if (lang === 'ja') q.set('ui_locales', 'ja');
    await page.goto(`${BASE}/oidc/auth?${q}`);
    assert.equal(await page.getAttribute('html', 'lang'), lang);
  };
  const signedIn = async (what) => {
    await page.waitForURL((u) => u.pathname === '/cb', { timeout: 60_000 });
    const u = new URL(page.url());
    assert.ok(u.searchParams.get('code'), `${what}: no code`);
    assert.equal(await page.textContent('body'), 'signed in');
  };
  const submit = (action) => Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.click(`form[action$="${action}"] button[type=submit]`),
  ]);
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;

  // 1. Password, then the second factor's enrolment: the passkey.
  await start();
  await page.fill('#identifier', user);
  await page.fill('#password', password);
  await submit('/sign-in');
  await page.waitForSelector('form[data-webauthn="create"]');
  await shot('mfa-enroll');
  await page.fill('#passkey_name', `Laptop ${lang}`);
  await Promise.all([page.waitForURL((u) => u.pathname === '/cb'), page.click('form[data-webauthn="create"] button[type=submit]')]);
  await signedIn('enrolment');
  const creds = await credentials();
  assert.equal(creds.length, 1, 'the authenticator holds no credential');
  assert.ok(creds[0].isResidentCredential, 'the passkey is not discoverable');
  const counter = creds[0].signCount;

  // 2. Password, then the passkey as the second factor.
  await start();
  await page.fill('#identifier', user);
  await page.fill('#password', password);
  await submit('/sign-in');
  await page.waitForSelector('form[data-webauthn="get"]');
  await shot('mfa-verify');
  await Promise.all([page.waitForURL((u) => u.pathname === '/cb'), page.click('form[data-webauthn="get"] button[type=submit]')]);
  await signedIn('second factor');
  assert.ok((await credentials())[0].signCount > counter, 'the counter did not move');

  // 3. A failed ceremony says so and stays on the page: the
  // authenticator cannot verify its user.
  await start();
  await page.waitForSelector('form[action$="/sign-in/passkey"]');
  await shot('sign-in-with-passkey');
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: false });
  await page.click('form[action$="/sign-in/passkey"] button[type=submit]');
  const alert = page.locator('form[action$="/sign-in/passkey"] [data-webauthn-error]');
  await alert.waitFor({ state: 'visible', timeout: 120_000 });
  assert.ok((await alert.textContent()).length > 0);
  assert.ok(new URL(page.url()).pathname.startsWith('/sign-in'), 'the page was left');
  await shot('passkey-cancelled');
  await cdp.send('WebAuthn.setUserVerified', { authenticatorId, isUserVerified: true });

  // 4. Sign in with the passkey alone: no identifier, no password.
  await start();
  await Promise.all([page.waitForURL((u) => u.pathname === '/cb'), page.click('form[action$="/sign-in/passkey"] button[type=submit]')]);
  await signedIn('passkey sign-in');

  // 5. Without JavaScript the form still posts, and the page says what
  // to do.
  const noJS = await browser.newContext({ javaScriptEnabled: false, locale: lang === 'ja' ? 'ja-JP' : 'en-GB' });
  const p2 = await noJS.newPage();
  const q = new URLSearchParams({ response_type: 'code', client_id: 'web', redirect_uri: `${BASE}/cb`, scope: 'openid', state: 'st', prompt: 'login' });
  if (lang === 'ja') q.set('ui_locales', 'ja');
  await p2.goto(`${BASE}/oidc/auth?${q}`);
  assert.ok(await p2.isVisible('noscript p, form[action$="/sign-in/passkey"] .hint'), 'no word about JavaScript');
  await Promise.all([p2.waitForNavigation({ waitUntil: 'load' }), p2.click('form[action$="/sign-in/passkey"] button[type=submit]')]);
  assert.ok((await p2.textContent('[role=alert]')).includes('JavaScript'), 'the page does not say JavaScript is needed');
  await p2.screenshot({ path: path.join(SHOTS, `${lang}-${String(++n).padStart(2, '0')}-passkey-without-javascript.png`), fullPage: true });
  await noJS.close();

  assert.deepEqual(problems, [], `browser errors: ${problems.join('; ')}`);
  await context.close();
  console.log(`${lang}: passkeys enrolled and used, ${n} screenshots`);
}
await browser.close();
