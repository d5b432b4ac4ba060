// The auth0 SDK's AuthenticationClient (auth0/legacy), unchanged, against
// Monban's Auth0 face: passwordless.sendEmail and loginWithEmail,
// sendSMS and loginWithSMS (the codes read from the test's mailbox),
// a wrong code, and database.changePassword followed by the e-mailed
// link's page (fetched and posted as a browser would) and a sign-in
// with the new password. The server serves HTTPS and
// NODE_EXTRA_CA_CERTS trusts its certificate.
//
// Environment: MONBAN_DOMAIN (host:port), CLIENT_ID and CLIENT_SECRET (a
// regular web app allowed the passwordless and password grants), AUDIENCE, MAILBOX (the test's
// mailbox URL), EMAIL and PHONE (the user's). Prints {passed, failed}
// (see steps.mjs).
import { AuthenticationClient } from 'auth0/legacy';
import { steps, check, claims } from './steps.mjs';

const domain = process.env.MONBAN_DOMAIN;
const clientId = process.env.CLIENT_ID;
const audience = process.env.AUDIENCE;
const email = process.env.EMAIL;
const phone = process.env.PHONE;
const { step, done } = steps();

const auth = new AuthenticationClient({ domain, clientId, clientSecret: process.env.CLIENT_SECRET });

// next is the next message the server sent to an address.
async function next(to) {
  const res = await fetch(`${process.env.MAILBOX}/next?to=${encodeURIComponent(to)}`);
  check(res.ok, 'the mailbox', await res.clone().text());
  return res.json();
}

let userId;
await step('passwordless.sendEmail and loginWithEmail', async () => {
  await auth.passwordless.sendEmail({ email, send: 'code' });
  const { code } = await next(email);
  check(/^\d{6}$/.test(code), 'the code', code);
  const { data } = await auth.passwordless.loginWithEmail({ email, code, audience, scope: 'openid email read:orders' });
  const id = claims(data.id_token);
  const at = claims(data.access_token);
  userId = id.sub;
  check(id.email === email && id.iss === `https://${domain}/`, 'ID token', id);
  // The user holds no role granting read:orders: RBAC leaves it out.
  check(at.sub === userId && at.scope === 'openid email' && at.aud.includes(audience), 'access token', at);
});

await step('passwordless.sendSMS and loginWithSMS', async () => {
  await auth.passwordless.sendSMS({ phone_number: phone, send: 'code' });
  const { code } = await next(phone.replace(/^\+/, ''));
  const { data } = await auth.passwordless.loginWithSMS({ phone_number: phone, code, scope: 'openid' });
  check(claims(data.id_token).sub === userId, 'the SMS sign-in is the same user', claims(data.id_token));
});

await step('a wrong code is invalid_grant 403', async () => {
  // A minute after the first code to the address: a new one is throttled,
  // so the code exchanged is one never sent.
  try {
    await auth.passwordless.loginWithEmail({ email, code: '000000', scope: 'openid' });
    throw new Error('a wrong code signed in');
  } catch (e) {
    check(e.statusCode === 403 && e.error === 'invalid_grant' && e.error_description === 'Wrong email or verification code.',
      'the error', { status: e.statusCode, error: e.error, description: e.error_description, message: e.message });
  }
});

await step("database.changePassword, the link's page, then the new password", async () => {
  const { data } = await auth.database.changePassword({ email, connection: 'Username-Password-Authentication' });
  check(data === "We've just sent you an email to reset your password.", 'the answer', data);
  const { link } = await next(email);
  // The page, as a browser: its cookie and the form's hidden fields.
  const page = await fetch(link);
  const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const html = await page.text();
  const hidden = Object.fromEntries([...html.matchAll(/<input type="hidden" name="(\w+)" value="([^"]*)">/g)].map((m) => [m[1], m[2]]));
  check(page.status === 200 && hidden.csrf && hidden.ticket, 'the page', html.slice(0, 500));
  const pw = 'a brand new password 42';
  const form = new URLSearchParams({ ...hidden, password: pw, password_confirm: pw });
  const res = await fetch(`https://${domain}/lo/reset`, { method: 'POST', body: form, headers: { cookie }, redirect: 'manual' });
  const after = await res.text();
  check(res.status === 200 && after.includes('Password changed'), 'the form', after.slice(0, 500));
  const { data: tokens } = await auth.oauth.passwordGrant({ username: email, password: pw, realm: 'Username-Password-Authentication', scope: 'openid' });
  check(claims(tokens.id_token).sub === userId, 'the new password signs in', claims(tokens.id_token));
});

done();
