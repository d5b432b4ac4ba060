// End-to-end test of the console in headless Chromium, against a real
// Monban started by internal/console's TestConsoleE2E (which passes the
// addresses and credentials in the environment). Screenshots of the main
// pages go to e2e/screenshots/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run this through TestConsoleE2E (see internal/console/e2e_test.go)`);
  return v;
};
const BASE = env('MONBAN_URL');
const ADMIN = { username: env('MONBAN_ADMIN_USERNAME'), password: env('MONBAN_ADMIN_PASSWORD') };
const MGMT = env('MONBAN_MANAGEMENT_INDICATOR');
const VIEWER = process.env.MONBAN_VIEWER_USERNAME;
const RESOURCE = 'https://inventory.e2e.test';
const shotsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'screenshots');
fs.rmSync(shotsDir, { recursive: true, force: true });
fs.mkdirSync(shotsDir, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB', timezoneId: 'UTC' });
context.setDefaultTimeout(15_000);
// Report CSP violations of the console's pages as console errors.
await context.addInitScript(() => {
  document.addEventListener('securitypolicyviolation', (e) => {
    if (location.pathname.startsWith("/console")) console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}:${e.columnNumber}`);
  });
});
const page = await context.newPage();
const problems = [];
page.on('console', (m) => {
  if (m.type() === 'error' && page.url().includes('/console') && !/Failed to load resource/.test(m.text())) problems.push(`console error on ${page.url()}: ${m.text()}`);
});
page.on('pageerror', (e) => problems.push(`page error on ${page.url()}: ${e.message}`));
// A page asking for what may not exist answers a 404 the browser logs as an
// error (filtered above as "Failed to load resource"): the console must ask
// in a way that does not fail, as for a custom JWT script not saved yet.
page.on('response', (r) => {
  if (r.status() === 404 && r.request().method() === 'GET' && /\/api\/configs\/jwt-customizer\//.test(r.url())) problems.push(`404 for ${r.url()} on ${page.url()}`);
});

let passed = 0;
let failed = 0;
async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    passed++;
    console.log(`  ✔ ${name} (${Date.now() - t0} ms)`);
  } catch (err) {
    failed++;
    console.log(`  ✘ ${name}\n${err?.stack ?? err}`);
    await page.screenshot({ path: path.join(shotsDir, `failed-${name.replace(/\W+/g, '-')}.png`), fullPage: true }).catch(() => {});
    throw err;
  }
}
async function shot(name) {
  await page.waitForTimeout(250); // let transitions settle
  // A page whole and from its top; a dialog as the screen shows it (its
  // backdrop covers the viewport, not the whole page). Toasts are left out:
  // in a whole-page picture they float over the middle of it.
  // (Hidden through the CSSOM: a style sheet would break the page's CSP.)
  const dialogOpen = (await page.locator('dialog[open]').count()) > 0;
  const toasts = (hidden) => page.evaluate((v) => document.querySelector('.toasts')?.style.setProperty('visibility', v), hidden ? 'hidden' : '');
  if (!dialogOpen) await page.evaluate(() => window.scrollTo(0, 0));
  await toasts(true);
  await page.screenshot({ path: path.join(shotsDir, `${name}.png`), fullPage: !dialogOpen });
  await toasts(false);
}
const heading = (name) => page.getByRole('heading', { level: 1, name });
const dialog = (name) => page.getByRole('dialog', { name });
const nav = (name) => page.getByRole('navigation').getByRole('link', { name, exact: true });
const toast = (text) => page.locator('.toast', { hasText: text });
/** Waits until no dialog is open (whatever its title says meanwhile). */
const noDialog = () => page.locator('dialog[open]').waitFor({ state: 'detached' });
/** Picks item in the assign dialog titled title and assigns it. */
async function assign(title, item) {
  const d = dialog(title);
  await d.getByText(item, { exact: true }).click();
  await d.getByRole('button', { name: 'Assign' }).click();
}
const decode = (jwt) => JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());

/**
 * Replaces an editor's content: select all, delete, then the text as one
 * insertion, as a paste would (no auto-closing brackets).
 */
async function setEditor(testId, text) {
  const content = page.getByTestId(testId).locator('.cm-content');
  await content.click();
  await page.keyboard.press('ControlOrMeta+A');
  await page.keyboard.press('Backspace');
  await page.keyboard.insertText(text);
}

let app = { id: '', secret: '' };

try {
  await step('sign in through the hosted sign-in page (authorization code + PKCE)', async () => {
    await page.goto(`${BASE}/console/`);
    await page.waitForURL(/\/sign-in\?/);
    await shot('00-sign-in');
    await page.fill('#identifier', ADMIN.username);
    await page.fill('#password', ADMIN.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${BASE}/console/applications`);
    await heading('Applications').waitFor();
    await page.getByRole('link', { name: 'Monban Console' }).waitFor();
    assert.match(await page.locator('.user-button').innerText(), /Ada Admin/);
    // The tokens live in memory only.
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!/eyJ/.test(stored), 'no token in web storage');
    await shot('01-applications');
  });

  await step('security headers of the console', async () => {
    const res = await page.request.get(`${BASE}/console/applications`);
    const h = res.headers();
    assert.equal(h['x-frame-options'], 'DENY');
    assert.equal(h['x-content-type-options'], 'nosniff');
    assert.equal(h['referrer-policy'], 'no-referrer');
    assert.match(h['content-security-policy'], /script-src 'self';/);
    assert.doesNotMatch(h['content-security-policy'], /unsafe-inline|unsafe-eval/);
  });

  await step('create a machine-to-machine app and assign the Management API access role', async () => {
    await page.getByRole('button', { name: 'Create application' }).click();
    const d = dialog('Create application');
    await d.locator('label.type-card', { hasText: 'Machine-to-machine' }).click();
    await d.getByRole('button', { name: 'Create application' }).click();
    await d.getByText('Enter a name for the application.').waitFor(); // client-side validation
    await d.getByLabel('Application name').fill('Inventory sync');
    await d.getByLabel('Description').fill('Syncs stock levels every night');
    await shot('02-application-create');
    await d.getByRole('button', { name: 'Create application' }).click();
    const roles = dialog('Assign machine-to-machine roles');
    await roles.getByText('Management API access', { exact: true }).click();
    await shot('03-application-assign-roles');
    await roles.getByRole('button', { name: 'Assign 1 role' }).click();
    await page.waitForURL(/\/console\/applications\/[^/?]+$/);
    app.id = decodeURIComponent(page.url().split('/').pop());
    await heading('Inventory sync').waitFor();
    await page.getByRole('button', { name: 'Show App Secret' }).click();
    app.secret = (await page.locator('.banner .copy-value').innerText()).trim();
    assert.ok(app.secret.length >= 32, 'the new secret is shown once');
    await page.getByRole('button', { name: 'Hide App Secret' }).click();
    await shot('04-application-detail');
    await page.getByRole('tab', { name: 'Machine-to-machine roles' }).click();
    await page.getByRole('tabpanel').getByRole('link', { name: 'Management API access' }).waitFor();
    await shot('05-application-roles');
  });

  await step('app secrets: generate with an expiry, copy once, delete', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Generate new secret' }).click();
    const d = dialog('Generate new secret');
    await d.getByLabel('Name').fill('rotation-2026');
    await d.getByLabel('Expires').selectOption('30');
    await d.getByRole('button', { name: 'Generate' }).click();
    const copy = dialog('Copy the new secret');
    const value = (await copy.locator('.copy-value').innerText()).trim();
    assert.ok(value.length >= 32);
    await shot('06-application-secret-created');
    await copy.getByRole('button', { name: 'Done' }).click();
    const row = page.locator('tr', { hasText: 'rotation-2026' });
    await row.waitFor();
    assert.ok(!(await page.locator('table').innerText()).includes(value), 'the value is never listed');
    // The new secret works at the token endpoint.
    const out = JSON.parse(execFileSync('curl', ['-s', '-u', `${app.id}:${value}`, '-d', 'grant_type=client_credentials', '--data-urlencode', `resource=${MGMT}`, '-d', 'scope=all', `${BASE}/oidc/token`]).toString());
    assert.ok(out.access_token, `token with the new secret: ${JSON.stringify(out)}`);
    await page.getByRole('button', { name: 'Delete secret rotation-2026' }).click();
    await dialog('Delete secret').getByRole('button', { name: 'Delete secret' }).click();
    await row.waitFor({ state: 'detached' });
  });

  await step('security settings: require DPoP, saved and read back, then off again', async () => {
    const card = page.locator('.card', { hasText: 'Security' });
    const dpop = card.getByRole('switch', { name: 'Require DPoP' });
    assert.equal(await dpop.getAttribute('aria-checked'), 'false');
    assert.ok(await card.getByRole('button', { name: 'Save security settings' }).isDisabled(), 'Save enabled with nothing to save');
    assert.equal(await card.getByRole('switch', { name: 'Device flow' }).count(), 0, 'the device flow is offered to Native apps only');
    await dpop.click();
    await card.getByRole('button', { name: 'Save security settings' }).click();
    await page.getByText('Security settings saved').waitFor();
    await page.reload();
    await heading('Inventory sync').waitFor();
    const again = page.locator('.card', { hasText: 'Security' }).getByRole('switch', { name: 'Require DPoP' });
    assert.equal(await again.getAttribute('aria-checked'), 'true', 'require DPoP read back after a reload');
    // A bearer token request of the app is refused now.
    const out = JSON.parse(execFileSync('curl', ['-s', '-u', `${app.id}:${app.secret}`, '-d', 'grant_type=client_credentials', '--data-urlencode', `resource=${MGMT}`, '-d', 'scope=all', `${BASE}/oidc/token`]).toString());
    assert.equal(out.error, 'invalid_dpop_proof', `a bearer token request of a DPoP app: ${JSON.stringify(out)}`);
    await again.click();
    await page.locator('.card', { hasText: 'Security' }).getByRole('button', { name: 'Save security settings' }).click();
    await page.getByText('Security settings saved').waitFor();
  });

  await step('create an API resource with two permissions', async () => {
    await nav('API resources').click();
    await heading('API resources').waitFor();
    // Logto's Management API and Auth0's Management API v2 are both built in.
    await page.locator('tr').filter({ has: page.getByText('Management API', { exact: true }) }).getByText('Built-in').waitFor();
    await page.locator('tr').filter({ has: page.getByText('Management API v2', { exact: true }) }).getByText('Built-in').waitFor();
    await page.getByRole('button', { name: 'Create API resource' }).click();
    const d = dialog('Create API resource');
    await d.getByLabel('API name').fill('Inventory API');
    await d.getByLabel('API identifier').fill('not a uri');
    await d.getByRole('button', { name: 'Create API resource' }).click();
    await d.getByText(/must be an absolute URI/).waitFor();
    await d.getByLabel('API identifier').fill(RESOURCE);
    await d.getByRole('button', { name: 'Create API resource' }).click();
    await heading('Inventory API').waitFor();
    for (const [name, description] of [
      ['read:inventory', 'Read stock levels'],
      ['write:inventory', 'Change stock levels'],
    ]) {
      await page.getByRole('button', { name: 'Create permission' }).first().click();
      const p = dialog('Create permission');
      await p.getByLabel('Permission name').fill(name.replace(':', ' '));
      await p.getByRole('button', { name: 'Create permission' }).click();
      await p.getByText('A permission has no spaces').waitFor();
      await p.getByLabel('Permission name').fill(name);
      await p.getByLabel('Description').fill(description);
      await p.getByRole('button', { name: 'Create permission' }).click();
      await page.locator('td', { hasText: name }).waitFor();
    }
    // The server's error message is shown for a duplicate.
    await page.getByRole('button', { name: 'Create permission' }).first().click();
    const dup = dialog('Create permission');
    await dup.getByLabel('Permission name').fill('read:inventory');
    await dup.getByRole('button', { name: 'Create permission' }).click();
    await dup.locator('.banner-danger').waitFor();
    await dup.getByRole('button', { name: 'Cancel' }).click();
    await shot('07-resource-permissions');
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('switch', { name: 'Use as the default API' }).click();
    await toast('is now the default API resource').waitFor();
    await page.getByRole('switch', { name: 'Use as the default API' }).click();
    await toast('No longer the default').waitFor();
    // Auth0's per-API RBAC settings, saved at once and kept.
    const rbac = page.getByRole('switch', { name: 'Enable RBAC' });
    const claim = page.getByRole('switch', { name: 'Add permissions in the access token' });
    if ((await rbac.getAttribute('aria-checked')) !== 'true' || (await claim.getAttribute('aria-checked')) !== 'false') {
      throw new Error('a new API has RBAC on and no permissions claim');
    }
    await rbac.click();
    await toast('RBAC disabled').waitFor();
    await claim.click();
    await toast('Tokens carry the permissions claim').waitFor();
    await page.reload();
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByRole('switch', { name: 'Enable RBAC' }).and(page.locator('[aria-checked="false"]')).waitFor();
    await page.getByRole('switch', { name: 'Add permissions in the access token' }).and(page.locator('[aria-checked="true"]')).waitFor();
    await shot('07b-resource-rbac');
    await page.getByRole('switch', { name: 'Enable RBAC' }).click();
    await toast('RBAC enabled').waitFor();
    await nav('API resources').click();
    await page.locator('tr', { hasText: 'Inventory API' }).waitFor();
    await shot('08-resources');
  });

  await step('create a machine-to-machine role with both permissions and give it to the app', async () => {
    await nav('Roles').click();
    await heading('Roles').waitFor();
    await page.getByRole('tab', { name: 'Machine-to-machine roles' }).click();
    await page.getByText('Management API access').waitFor();
    await shot('09-roles');
    await page.getByRole('button', { name: 'Create role' }).first().click();
    const d = dialog('Create role');
    await d.getByLabel('Role name').fill('Inventory writer');
    await d.getByLabel('Description').fill('Reads and changes stock levels');
    await d.locator('label.radio-card', { hasText: 'Machine-to-machine' }).click();
    await d.getByRole('button', { name: 'Next: permissions' }).click();
    const p = dialog('Permissions of “Inventory writer”');
    await p.getByText('read:inventory', { exact: true }).click();
    await p.getByText('write:inventory', { exact: true }).click();
    await p.getByText('2 permissions selected').waitFor();
    await shot('10-role-create-permissions');
    await p.getByRole('button', { name: 'Create role' }).click();
    await heading('Inventory writer').waitFor();
    await page.locator('td', { hasText: 'write:inventory' }).waitFor();
    await page.getByRole('tab', { name: 'Machine-to-machine apps' }).click();
    await page.getByRole('button', { name: 'Assign applications' }).first().click();
    await assign('Assign applications', 'Inventory sync');
    await page.getByRole('tabpanel').getByRole('link', { name: 'Inventory sync' }).waitFor();
    await shot('11-role-apps');
  });

  await step('remove from a role and assign again: an app, a permission', async () => {
    const panel = page.getByRole('tabpanel');
    await panel.getByRole('button', { name: 'Remove Inventory sync from the role' }).click();
    const rm = dialog('Remove application');
    await rm.getByText('Remove Inventory sync from Inventory writer?').waitFor();
    await rm.getByRole('button', { name: 'Remove' }).click();
    await toast('“Inventory sync” removed from the role').waitFor();
    await panel.getByText('No apps hold this role').waitFor();
    await panel.getByRole('button', { name: 'Assign applications' }).last().click();
    await assign('Assign applications', 'Inventory sync');
    await panel.getByRole('link', { name: 'Inventory sync' }).waitFor();

    await page.getByRole('tab', { name: 'Permissions' }).click();
    await panel.getByRole('button', { name: 'Remove permission write:inventory' }).click();
    await dialog('Remove permission').getByRole('button', { name: 'Remove' }).click();
    await toast('Permission “write:inventory” removed').waitFor();
    await panel.locator('td', { hasText: 'write:inventory' }).waitFor({ state: 'detached' });
    await panel.getByRole('button', { name: 'Assign permissions' }).click();
    const p = dialog('Assign permissions');
    await p.getByText('write:inventory', { exact: true }).click();
    await p.getByRole('button', { name: 'Assign permissions' }).click();
    await toast('Permission assigned').waitFor();
    await noDialog();
    await panel.locator('td', { hasText: 'write:inventory' }).waitFor();
  });

  await step('custom JWT: server lint of a syntax error, env variable, run test, save', async () => {
    await nav('Custom JWT').click();
    await heading('Custom JWT').waitFor();
    await shot('12-custom-jwt');
    await page.locator('.jwt-card', { hasText: 'Machine-to-machine access token' }).getByRole('link', { name: 'Add custom claims' }).click();
    await heading('Machine-to-machine access token').waitFor();
    await page.getByTestId('script-editor').locator('.cm-content').waitFor();
    await setEditor('script-editor', 'const getCustomJwtClaims = async ({ token }) => {\n  return { tier: };\n};\n');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    const err = page.getByTestId('save-error');
    await err.waitFor();
    assert.match(await err.innerText(), /^Line 2, column \d+:/);
    await page.locator('.cm-lintRange-error').first().waitFor();
    await shot('13-custom-jwt-syntax-error');

    await setEditor(
      'script-editor',
      [
        'const getCustomJwtClaims = async ({ token, context, environmentVariables, api }) => {',
        "  console.log('issuing a token for', context.application.name);",
        "  if (context.application.name === 'Blocked app') api.denyAccess('this app is blocked');",
        '  return { tier: environmentVariables.TIER, app_name: context.application.name, scopes: (token.scope || "").split(" ") };',
        '};',
        '',
      ].join('\n'),
    );
    await page.getByRole('tab', { name: /Variables/ }).click();
    await page.getByRole('button', { name: 'Add variable' }).click();
    await page.getByLabel('Variable 1 name').fill('TIER');
    await page.getByLabel('Variable 1 value').fill('gold');
    assert.equal(await page.getByLabel('Variable 1 value').getAttribute('type'), 'text');
    await page.getByRole('button', { name: 'Hide value of variable 1' }).click();
    assert.equal(await page.getByLabel('Variable 1 value').getAttribute('type'), 'password', 'values are masked');

    await page.getByRole('tab', { name: 'Test data' }).click();
    await page.getByTestId('context-editor').locator('.cm-content').waitFor();
    await page.getByRole('button', { name: 'Run test' }).first().click();
    const claims = page.getByTestId('test-claims');
    await claims.waitFor();
    const result = JSON.parse(await claims.innerText());
    assert.equal(result.tier, 'gold');
    assert.equal(result.app_name, 'Shopping service');
    assert.match(await page.getByTestId('test-logs').innerText(), /issuing a token for Shopping service/);
    await shot('14-custom-jwt-test-run');

    // A denial, with the test context edited.
    const ctx = JSON.parse(await page.getByTestId('context-editor').locator('.cm-content').innerText());
    ctx.application.name = 'Blocked app';
    await setEditor('context-editor', JSON.stringify(ctx, null, 2));
    await page.getByRole('button', { name: 'Run test' }).first().click();
    await page.getByTestId('test-denied').waitFor();
    assert.match(await page.getByTestId('test-denied').innerText(), /this app is blocked/);
    await page.getByRole('button', { name: 'Reset to sample' }).nth(1).click();

    await page.getByRole('switch', { name: 'Block token issuance on error' }).click();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await toast('Custom claims created').waitFor();
    await page.locator('.page-subtitle .badge', { hasText: 'Active' }).waitFor();
    await page.getByRole('tab', { name: 'Reference' }).click();
    await shot('15-custom-jwt-saved');
  });

  await step("custom JWT: the user token's sample sign-in has each kind of code record, and a test run sees them", async () => {
    await nav('Custom JWT').click();
    await heading('Custom JWT').waitFor();
    await page.locator('.jwt-card', { hasText: 'User access token' }).getByRole('link', { name: 'Add custom claims' }).click();
    await heading('User access token').waitFor();
    await page.getByTestId('script-editor').locator('.cm-content').waitFor();
    await setEditor('script-editor', 'const getCustomJwtClaims = async ({ context }) => ({ proofs: context.interaction.verificationRecords.map((r) => `${r.type}:${r.identifier.type}`) });\n');
    await page.getByRole('tab', { name: 'Test data' }).click();
    await page.getByTestId('context-editor').locator('.cm-content').waitFor();
    await page.getByRole('button', { name: 'Run test' }).first().click();
    const claims = page.getByTestId('test-claims');
    await claims.waitFor();
    // The sample context (the editor's, sent with the run) has a record of
    // each kind a sign-in by password and codes leaves.
    assert.deepEqual(JSON.parse(await claims.innerText()).proofs, ['Password:username', 'EmailVerificationCode:email', 'PhoneVerificationCode:phone']);
  });

  await step('a real token for the new app carries the custom claim (curl, client_credentials)', async () => {
    const out = JSON.parse(
      execFileSync('curl', ['-s', '-u', `${app.id}:${app.secret}`, '-d', 'grant_type=client_credentials', '--data-urlencode', `resource=${RESOURCE}`, '-d', 'scope=read:inventory write:inventory', `${BASE}/oidc/token`]).toString(),
    );
    assert.ok(out.access_token, `token response: ${JSON.stringify(out)}`);
    const claims = decode(out.access_token);
    console.log('    token claims:', JSON.stringify(claims));
    assert.equal(claims.tier, 'gold');
    assert.equal(claims.app_name, 'Inventory sync');
    assert.equal(claims.aud, RESOURCE);
    assert.equal(claims.sub, app.id);
    assert.deepEqual(claims.scope.split(' ').sort(), ['read:inventory', 'write:inventory']);
    // And with the Management API access role, it may call the Management API.
    const mt = JSON.parse(execFileSync('curl', ['-s', '-u', `${app.id}:${app.secret}`, '-d', 'grant_type=client_credentials', '--data-urlencode', `resource=${MGMT}`, '-d', 'scope=all', `${BASE}/oidc/token`]).toString());
    const status = execFileSync('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Authorization: Bearer ${mt.access_token}`, `${BASE}/api/applications`]).toString();
    assert.equal(status, '200');
  });

  await step('rotate the signing key to ES384', async () => {
    await nav('Signing keys').click();
    await heading('Signing keys').waitFor();
    await page.locator('tr', { hasText: 'Current' }).waitFor();
    await page.getByRole('button', { name: 'Rotate key' }).click();
    const d = dialog('Rotate signing key');
    await d.locator('label.radio-card', { hasText: 'ES384' }).click();
    await shot('16-signing-keys-rotate');
    await d.getByRole('button', { name: 'Rotate key' }).click();
    await toast('Key rotated').waitFor();
    // Published first as Next; current once the publish delay has passed.
    await page.locator('tr', { has: page.locator('.badge', { hasText: 'Next' }) }).filter({ hasText: 'ES384' }).waitFor();
    await page.getByText(/is published and becomes current shortly/).waitFor();
    await shot('17-signing-keys-next');
    const current = page.locator('tr', { has: page.locator('.badge', { hasText: 'Current' }) });
    await current.filter({ hasText: 'ES384' }).waitFor({ timeout: 20_000 });
    await page.locator('tr', { has: page.locator('.badge', { hasText: 'Previous' }) }).waitFor();
    await shot('18-signing-keys');
    // New tokens are signed with the new key.
    const out = JSON.parse(execFileSync('curl', ['-s', '-u', `${app.id}:${app.secret}`, '-d', 'grant_type=client_credentials', '--data-urlencode', `resource=${RESOURCE}`, `${BASE}/oidc/token`]).toString());
    assert.equal(JSON.parse(Buffer.from(out.access_token.split('.')[0], 'base64url').toString()).alg, 'ES384');
  });

  await step('webhooks: create one, see its signing key, list it, delete it', async () => {
    await nav('Webhooks').click();
    await heading('Webhooks').waitFor();
    await page.getByText('No webhooks yet').waitFor();
    await page.getByRole('button', { name: 'Create webhook' }).first().click();
    const d = dialog('Create webhook');
    await d.getByRole('button', { name: 'Create webhook' }).click();
    await d.getByText('Enter the endpoint, an http or https URL.').waitFor();
    await d.getByText('Choose at least one event.').waitFor();
    await d.getByLabel('Name').fill('CRM sync');
    await d.getByLabel('Endpoint URL').fill('http://10.0.0.1/hook');
    await d.locator('label', { hasText: 'User.Created' }).click();
    await d.getByRole('button', { name: 'Create webhook' }).click();
    // The server's egress rule refuses a private address.
    await d.getByText(/config\.url/).waitFor();
    await d.getByLabel('Endpoint URL').fill('https://hooks.e2e.test/monban');
    await shot('19-webhooks-create');
    await d.getByRole('button', { name: 'Create webhook' }).click();
    await toast('Webhook created').waitFor();
    const created = dialog('Webhook created');
    await created.getByRole('button', { name: 'Copy Signing key' }).waitFor();
    await created.getByRole('button', { name: /close/i }).first().click();
    const row = page.locator('tr', { hasText: 'CRM sync' });
    await row.getByText('https://hooks.e2e.test/monban').waitFor();
    await row.getByText('User.Created').waitFor();
    await row.getByText('0 of 0 delivered').waitFor();
    await shot('20-webhooks');
    await row.getByRole('button', { name: 'Delete CRM sync' }).click();
    await dialog('Delete webhook').getByRole('button', { name: 'Delete' }).click();
    await toast('Webhook deleted').waitFor();
    await page.getByText('No webhooks yet').waitFor();
  });

  await step('read the rotation in the audit log', async () => {
    await nav('Audit logs').click();
    await heading('Audit logs').waitFor();
    await page.locator('tbody tr').first().waitFor();
    assert.ok((await page.getByTestId('log-by').allInnerTexts()).some((t) => t.includes(`${ADMIN.username} (user)`)), 'no entry names the administrator');
    await shot('19-audit-logs');
    const key = 'ManagementApi.POST /api/configs/oidc/private-keys/rotate';
    await page.getByLabel('Event').fill(key);
    await page.waitForURL(/logKey=/);
    const row = page.locator('tbody tr', { hasText: key });
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1); // the filter applies after a pause
    await row.first().waitFor();
    await row.first().getByRole('link').click();
    await page.waitForURL(/\/console\/audit-logs\/[^/?]+$/);
    assert.equal(await page.getByTestId('log-key').innerText(), key);
    assert.match(await page.getByTestId('log-raw').innerText(), /"path": "\/api\/configs\/oidc\/private-keys\/rotate"/);
    // The change names who made it: the administrator signed in here.
    assert.equal(await page.getByTestId('log-actor').innerText(), `${ADMIN.username} (user)`);
    assert.match(await page.getByTestId('log-target').innerText(), /^config/);
    await shot('20-audit-log-detail');
    // Filter by application: the app's token requests.
    await page.goto(`${BASE}/console/audit-logs`);
    await page.getByLabel('Application').selectOption({ label: 'Inventory sync' });
    await page.locator('tbody tr', { hasText: 'ExchangeTokenBy.ClientCredentials' }).first().waitFor();
  });

  await step('users: add, edit custom data, suspend and reactivate, assign a role', async () => {
    await nav('Users').click();
    await heading('Users').waitFor();
    await page.getByRole('button', { name: 'Add user' }).first().click();
    const d = dialog('Add user');
    await d.getByLabel('Username').fill('jane doe');
    await d.getByRole('button', { name: 'Add user' }).click();
    await d.getByText('A letter or underscore').waitFor();
    await d.getByLabel('Username').fill('jane');
    await d.getByLabel('Full name').fill('Jane Doe');
    await d.getByLabel('Email').fill('jane@example.com');
    await d.getByRole('button', { name: 'Generate' }).click();
    await d.getByRole('button', { name: 'Add user' }).click();
    const added = dialog('User added');
    await added.locator('.copy-value').waitFor();
    await added.getByRole('button', { name: 'Go to user' }).click();
    await heading('Jane Doe').waitFor();
    // Nothing to save yet: the save buttons wait for a change.
    assert.ok(await page.getByRole('button', { name: 'Save custom data' }).isDisabled(), 'Save custom data enabled with nothing to save');
    assert.ok(await page.getByRole('button', { name: 'Save profile' }).isDisabled(), 'Save profile enabled with nothing to save');
    await setEditor('custom-data', '["not", "an", "object"]');
    await page.getByRole('button', { name: 'Save custom data' }).click();
    await page.getByRole('alert').filter({ hasText: 'Custom data must be a JSON object' }).waitFor();
    await setEditor('custom-data', '{\n  "plan": "pro"\n}');
    await page.getByRole('button', { name: 'Save custom data' }).click();
    await toast('Custom data saved').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Save custom data' }).isDisabled(), 'Save custom data enabled after saving');
    // A toast does not follow the user to another page.
    await page.waitForTimeout(1100);
    await nav('Users').click();
    await heading('Users').waitFor();
    assert.equal(await page.locator('.toast').count(), 0, 'a toast lingered on another page');
    await page.goBack();
    await heading('Jane Doe').waitFor();
    // The confirmation keeps its question while its own action changes the
    // user, and the next step starts once it has closed.
    await page.getByRole('button', { name: 'Suspend' }).click();
    await dialog('Suspend user').getByRole('button', { name: 'Suspend' }).click();
    await noDialog();
    await page.locator('.page-subtitle .badge', { hasText: 'Suspended' }).waitFor();
    await page.getByRole('button', { name: 'Reactivate' }).click();
    await dialog('Reactivate user').getByRole('button', { name: 'Reactivate' }).click();
    await noDialog();
    await page.locator('.page-subtitle .badge', { hasText: 'Active' }).waitFor();
    await shot('21-user-detail');
    await page.getByRole('button', { name: 'Reset password' }).click();
    const pw = dialog('Reset password');
    await pw.getByLabel('New password').fill('short');
    await pw.getByRole('button', { name: 'Reset password' }).click();
    await pw.getByText('At least 8 characters.').waitFor();
    await pw.getByRole('button', { name: 'Generate' }).click();
    await pw.getByRole('button', { name: 'Reset password' }).click();
    const reset = dialog('Password reset');
    assert.ok((await reset.locator('.copy-value').innerText()).length >= 16);
    await reset.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('tab', { name: 'Roles' }).click();
    await page.getByRole('button', { name: 'Assign roles' }).first().click();
    // "Admin": the user role the server seeds with the Management API's all permission.
    await assign('Assign roles', 'Admin');
    await page.getByRole('tabpanel').getByRole('link', { name: 'Admin', exact: true }).waitFor();
    await nav('Users').click();
    await page.getByLabel('Search users').fill('jane');
    await page.waitForFunction(() => document.querySelectorAll('tbody tr').length === 1);
    await page.locator('tbody tr').filter({ hasText: 'jane@example.com' }).waitFor();
    await page.getByLabel('Search users').fill('');
    await page.locator('tbody tr', { hasText: 'Ada Admin' }).waitFor();
    await shot('22-users');
  });

  await step('organizations: template roles and permissions, create, edit, members and their roles', async () => {
    await nav('Organizations').click();
    await heading('Organizations').waitFor();
    await page.getByText('No organizations yet').waitFor();
    // The template: a permission, a role granting it.
    await page.getByRole('tab', { name: 'Organization template' }).click();
    await page.getByRole('button', { name: 'Create organization permission' }).click();
    let d = dialog('Create organization permission');
    await d.getByRole('button', { name: 'Create permission' }).click();
    await d.getByText('Enter a name.').waitFor();
    await d.getByLabel('Name').fill('read:invoices');
    await d.getByRole('button', { name: 'Create permission' }).click();
    await toast('Organization permission created').waitFor();
    await page.getByRole('button', { name: 'Create organization role' }).click();
    d = dialog('Create organization role');
    await d.getByLabel('Name').fill('billing');
    await d.getByLabel('Description').fill('Reads invoices');
    await d.getByRole('button', { name: 'Create role' }).click();
    await toast('Organization role created').waitFor();
    await page.getByRole('button', { name: 'Edit permissions of billing' }).click();
    d = dialog('Permissions of billing');
    await d.locator('label', { hasText: 'read:invoices' }).click();
    await d.getByRole('button', { name: 'Save' }).click();
    await toast('Permissions saved').waitFor();
    await page.locator('tr', { hasText: 'billing' }).getByText('read:invoices').waitFor();
    // A second role of the same name is refused by the server.
    await page.getByRole('button', { name: 'Create organization role' }).click();
    d = dialog('Create organization role');
    await d.getByLabel('Name').fill('billing');
    await d.getByRole('button', { name: 'Create role' }).click();
    await d.getByRole('alert').waitFor();
    await d.getByRole('button', { name: 'Cancel' }).click();
    await shot('23-organization-template');
    // An organization.
    await page.getByRole('tab', { name: 'Organizations' }).click();
    await page.getByRole('button', { name: 'Create organization' }).click();
    d = dialog('Create organization');
    await d.getByLabel('Name').fill('Acme');
    await d.getByRole('button', { name: 'Create organization' }).click();
    await heading('Acme').waitFor();
    assert.ok(await page.getByRole('button', { name: 'Save organization' }).isDisabled(), 'Save organization enabled with nothing to save');
    await page.getByLabel('Name').fill('Acme Corp');
    await page.getByRole('button', { name: 'Save organization' }).click();
    await toast('Organization saved').waitFor();
    await heading('Acme Corp').waitFor();
    // Members and their roles.
    await page.getByText('No members yet').waitFor();
    await page.getByRole('button', { name: 'Add member' }).click();
    d = dialog('Add member');
    await d.getByRole('button', { name: 'Add member' }).click();
    await d.getByText('Choose a user.').waitFor();
    await d.getByLabel('User').selectOption({ label: 'Jane Doe' });
    await d.getByRole('button', { name: 'Add member' }).click();
    await toast('Member added').waitFor();
    await page.getByRole('button', { name: 'Edit roles of Jane Doe' }).click();
    d = dialog('Organization roles of Jane Doe');
    await d.locator('label', { hasText: 'billing' }).click();
    await d.getByRole('button', { name: 'Save' }).click();
    await toast('Roles saved').waitFor();
    await page.locator('tr', { hasText: 'Jane Doe' }).getByText('billing').waitFor();
    await shot('24-organization');
    await page.getByRole('button', { name: 'Remove Jane Doe' }).click();
    await dialog('Remove member').getByRole('button', { name: 'Remove' }).click();
    await toast('Member removed').waitFor();
    await page.getByText('No members yet').waitFor();
    await page.getByRole('button', { name: 'Delete organization' }).click();
    await dialog('Delete organization').getByRole('button', { name: 'Delete' }).click();
    await toast('Organization deleted').waitFor();
    await page.getByText('No organizations yet').waitFor();
  });

  await step('connectors: add an SMS connector after a failed test send; e-mail templates', async () => {
    await nav('Connectors').click();
    await heading('Connectors').waitFor();
    await page.getByText('No connectors yet').waitFor();
    await page.getByRole('button', { name: 'Add connector' }).first().click();
    const d = dialog('Add connector');
    await d.getByLabel('Connector').selectOption({ label: 'HTTP SMS' });
    await d.getByLabel('Configuration').fill('{');
    await d.getByRole('button', { name: 'Add connector' }).click();
    await d.getByText('The configuration must be a JSON object.').waitFor();
    await d.getByLabel('Configuration').fill('{"endpoint": "https://sms.invalid/send", "signingKey": "k-e2e-secret"}');
    await d.getByLabel('Test phone number').fill('+15550100123');
    await d.getByRole('button', { name: 'Send test' }).click();
    // Nothing answers at that address: the test says so, nothing is saved.
    await d.getByText('The connector answered with an error').waitFor();
    await shot('25-connector-test-failed');
    await d.getByRole('button', { name: 'Add connector' }).click();
    await toast('Connector added').waitFor();
    const row = page.locator('tr', { hasText: 'HTTP SMS' });
    await row.getByText('Sms', { exact: true }).waitFor();
    assert.ok(!(await page.content()).includes('k-e2e-secret'), 'a connector secret is on the page');
    await page.getByRole('tab', { name: 'E-mail templates' }).click();
    await page.getByText('No e-mail templates yet').waitFor();
    await page.getByRole('button', { name: 'Add template' }).first().click();
    const t = dialog('Add e-mail template');
    await t.getByRole('button', { name: 'Save template' }).click();
    await t.getByText('Enter a subject.').waitFor();
    await t.getByLabel('Language tag').fill('ja');
    await t.getByLabel('Subject').fill('サインイン用の確認コード');
    await t.locator('textarea').fill('確認コードは {{code}} です。');
    await t.getByRole('button', { name: 'Save template' }).click();
    await toast('Template saved').waitFor();
    await page.locator('tr', { hasText: 'サインイン用の確認コード' }).waitFor();
    await shot('26-email-templates');
    await page.getByRole('button', { name: 'Delete ja SignIn' }).click();
    await dialog('Delete e-mail template').getByRole('button', { name: 'Delete' }).click();
    await toast('Template deleted').waitFor();
    await page.getByRole('tab', { name: 'Connectors' }).click();
    await page.getByRole('button', { name: 'Delete http-sms' }).click();
    await dialog('Delete connector').getByRole('button', { name: 'Delete' }).click();
    await toast('Connector deleted').waitFor();
    await page.getByText('No connectors yet').waitFor();
  });

  await step('sign-in experience: password policy, branding, links, and a rule the server enforces', async () => {
    await nav('Sign-in experience').click();
    await heading('Sign-in experience').waitFor();
    const card = (title) => page.locator('section.card', { has: page.getByRole('heading', { name: title, exact: true }) });
    const policy = card('Password policy');
    assert.ok(await policy.getByRole('button', { name: 'Save changes' }).isDisabled(), 'Save enabled with nothing to save');
    await policy.getByLabel('Minimum length').fill('40');
    await policy.getByLabel('Maximum length').fill('20');
    await policy.getByRole('button', { name: 'Save changes' }).click();
    await policy.getByText('a minimum of at least 1, at most the maximum').waitFor();
    await policy.getByLabel('Minimum length').fill('12');
    await policy.getByLabel('Maximum length').fill('128');
    await policy.getByLabel('Character types required').selectOption('3');
    await policy.getByRole('button', { name: 'Add word' }).click();
    await policy.getByRole('textbox').last().fill('inventory');
    await policy.getByRole('button', { name: 'Save changes' }).click();
    await toast('Password policy saved').waitFor();
    const branding = card('Branding');
    await branding.getByLabel('Name', { exact: true }).fill('E2E Inventory');
    await branding.getByLabel('Logo URL', { exact: true }).fill('https://inventory.e2e.test/logo.svg');
    await branding.getByLabel('Primary color', { exact: true }).fill('#0B7A75');
    await branding.getByRole('button', { name: 'Save changes' }).click();
    await toast('Branding saved').waitFor();
    const links = card('Languages and links');
    await links.getByLabel('Terms of use URL').fill('not a url');
    await links.getByRole('button', { name: 'Save changes' }).click();
    await links.getByRole('alert').filter({ hasText: 'termsOfUseUrl' }).waitFor();
    await links.getByLabel('Terms of use URL').fill('https://inventory.e2e.test/terms');
    await links.getByRole('button', { name: 'Save changes' }).click();
    await toast('Languages and links saved').waitFor();
    // A sign-up identifier that is not a sign-in method: the server's rule.
    const methods = card('Sign-up and sign-in');
    await methods.locator('fieldset', { hasText: 'Sign-up identifiers' }).locator('label', { hasText: 'E-mail address' }).click();
    await methods.getByRole('button', { name: 'Save changes' }).click();
    await methods.getByRole('alert').filter({ hasText: 'Must enable verify for email/phone sign up identifier' }).waitFor();
    await shot('22a-sign-in-experience');
    // What was saved is what the server answers after a reload.
    await page.reload();
    await heading('Sign-in experience').waitFor();
    assert.equal(await card('Password policy').getByLabel('Minimum length').inputValue(), '12');
    assert.equal(await card('Branding').getByLabel('Name', { exact: true }).inputValue(), 'E2E Inventory');
  });

  await step('keyboard: dialogs close with Escape and give focus back', async () => {
    await nav('Applications').click();
    await page.getByRole('button', { name: 'Create application' }).focus();
    await page.keyboard.press('Enter');
    await dialog('Create application').waitFor();
    await page.keyboard.press('Escape');
    await dialog('Create application').waitFor({ state: 'hidden' });
    const focused = await page.evaluate(() => document.activeElement?.textContent ?? '');
    assert.match(focused, /Create application/);
  });

  await step('narrow screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/console/applications`);
    await heading('Applications').waitFor(); // a reload signs in again, silently
    await shot('23-narrow-applications');
    await page.getByRole('button', { name: 'Open navigation' }).click();
    await nav('Custom JWT').waitFor();
    await shot('24-narrow-navigation');
    await nav('Custom JWT').click();
    await page.locator('.jwt-card', { hasText: 'Machine-to-machine access token' }).getByRole('link', { name: 'Edit custom claims' }).click();
    await page.getByTestId('script-editor').locator('.cm-content').waitFor();
    await shot('25-narrow-custom-jwt');
    await page.goto(`${BASE}/console/users`);
    await page.locator('tbody tr', { hasText: 'Jane Doe' }).getByRole('link').click();
    await heading('Jane Doe').waitFor();
    await shot('26-narrow-user-detail');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  await step('sign out ends the session', async () => {
    await page.goto(`${BASE}/console/applications`);
    await heading('Applications').waitFor();
    await page.locator('.user-button').click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.waitForURL(/\/sign-in\?/);
  });

  if (VIEWER) {
    await step('a user without the Management API permission is turned away', async () => {
      const other = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-GB' });
      const p = await other.newPage();
      await p.goto(`${BASE}/console/users`);
      await p.waitForURL(/\/sign-in\?/);
      await p.fill('#identifier', VIEWER);
      await p.fill('#password', ADMIN.password);
      await p.getByRole('button', { name: 'Sign in' }).click();
      await p.getByRole('heading', { name: 'No access to the console' }).waitFor();
      await p.screenshot({ path: path.join(shotsDir, '27-no-access.png') });
      await other.close();
    });
  }

  await step('no CSP violation or script error', async () => {
    assert.deepEqual(problems, []);
  });
} catch {
  // reported by step
} finally {
  await browser.close();
}
console.log(`\nconsole e2e: ${passed} passed, ${failed} failed`);
console.log(`screenshots: ${shotsDir}`);
process.exit(failed ? 1 : 0);
